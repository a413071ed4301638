// Integration-test harness: a throwaway database per test, the real `dispatch` binary as a
// child process, real loopback receivers (HTTP and HTTPS), and a small API client.
// Everything binds to 127.0.0.1 only.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/util/json.h"
#include "core/util/time.h"

namespace dispatch::test {

// A fresh database on the cluster scripts/test started (DISPATCH_TEST_ADMIN_URL), dropped
// in the destructor.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  const std::string& url() const { return url_; }
  // Runs SQL and returns the first column of the first row as text ("" if none/NULL).
  std::string scalar(const std::string& sql) const;
  void exec(const std::string& sql) const;
  // Drops the database now (terminating every connection to it), e.g. to take the store
  // away from a running server. The destructor then has nothing left to do.
  void drop() const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  TimeMs receivedAt = 0;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? "" : it->second;
  }
};

struct ScriptedResponse {
  int status = 200;
  std::string body = "ok";
  std::map<std::string, std::string> headers;
  int delayMs = 0;
};

// Blocks receiver handlers until opened (or until their own timeout), so a test can hold an
// attempt "in flight" for as long as it needs and end it at once afterwards.
class Gate {
 public:
  void wait(int timeoutMs) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return open_; });
  }
  void open() {
    std::lock_guard<std::mutex> g(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A recording receiver. `script(n, req)` decides the n-th (0-based) answer; default 200.
class Receiver {
 public:
  using Script = std::function<ScriptedResponse(int n, const ReceivedRequest& req)>;
  // With `tlsCertFile`/`tlsKeyFile` it serves HTTPS.
  explicit Receiver(Script script = nullptr, std::string tlsCertFile = "",
                    std::string tlsKeyFile = "");
  ~Receiver();
  int port() const;
  std::string url(const std::string& path = "/hook") const;  // http://127.0.0.1:port/path
  std::vector<ReceivedRequest> requests() const;
  size_t count() const;
  // Waits until at least n requests arrived; false on timeout.
  bool waitFor(size_t n, int timeoutMs) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Makes a self-signed certificate for `localhost` (SAN DNS:localhost, IP:127.0.0.1) in dir.
struct TestCert {
  std::string certFile;
  std::string keyFile;
};
TestCert makeSelfSignedCert(const std::string& dir);

struct ApiResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
  // Parsed envelope (null Value when the body is not JSON). Points into `body`.
  std::shared_ptr<json::Value> json;
  const json::Value* data() const { return json ? json->find("data") : nullptr; }
  std::string message() const;
};

// One call to a server on 127.0.0.1:port.
ApiResponse httpCall(int port, const std::string& method, const std::string& path,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

struct DispatchOptions {
  std::string extraYaml;     // appended at the root (e.g. more settings)
  std::string projectsYaml;  // replaces the default projects section when set
  std::string jobsRetryYaml = "{ max_attempts: 3, schedule: [200ms, 400ms], max_delay: 5s }";
  std::string deliveryYaml =
      "{ allow_http: true, allow_private_networks: true, timeout: 2s, workers: 16 }";
  std::string jobsTimeout = "2s";
  std::map<std::string, std::string> env;
  // Optional settings; empty/unset leaves the key out (the product's default applies).
  std::string serverMaxBodyBytes;         // server.max_body_bytes, e.g. "16KiB"
  std::string jobsMaxPayloadBytes;        // jobs.max_payload_bytes, e.g. "1KiB"
  std::optional<std::string> adminToken;  // admin.token instead of kAdminToken ("" allowed)
  std::string shutdownGrace = "5s";       // server.shutdown_grace
  // More `key: value` lines inside the `server:` map, unindented (the harness indents them),
  // e.g. "threads: 4\nheader_timeout: 2s\n".
  std::string serverExtraYaml;
};

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";
inline constexpr const char* kAlphaSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A `dispatch serve` child process on a port of its own.
class DispatchProcess {
 public:
  DispatchProcess(const TestDatabase& db, DispatchOptions options = {});
  ~DispatchProcess();
  // Starts the process and waits for "listening" (false on failure/timeout).
  bool start(int timeoutMs = 15000);
  void kill(int signal);
  // Waits for exit; returns the exit status (or -1 on timeout).
  int wait(int timeoutMs);
  bool running() const;
  int port() const { return port_; }
  std::string log() const;  // everything the process printed so far
  const std::string& configPath() const { return configPath_; }
  const std::string& dir() const { return dir_; }

  // Convenience calls against this process.
  ApiResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                   std::map<std::string, std::string> headers = {}) const;
  // Creates an API key for the project through the admin endpoint.
  std::string createKey(const std::string& project) const;

 private:
  std::string dir_;
  std::string configPath_;
  std::string logPath_;
  std::map<std::string, std::string> env_;
  mutable pid_t pid_ = -1;
  int port_ = 0;
};

// Runs `dispatch <args>` to completion; returns exit code and stdout+stderr.
struct CliResult {
  int exitCode = -1;
  std::string out;
  // Filled by runCliSplit only: the two streams captured apart.
  std::string stdoutText;
  std::string stderrText;
};
CliResult runCli(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env);
// As runCli, but stdout and stderr go to separate captures (`out` is stdout then stderr).
CliResult runCliSplit(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env);

// A temporary directory removed at destruction.
std::string makeTempDir();

// ISO time `ms` from now.
std::string isoIn(int64_t ms);

// Polls `pred` every 20 ms until true or timeout.
bool eventually(const std::function<bool()>& pred, int timeoutMs);

}  // namespace dispatch::test
