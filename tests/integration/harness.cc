// Integration-test harness implementation.
#include "tests/integration/harness.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <thread>

namespace dispatch::test {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string randomSuffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex mu;
  std::lock_guard<std::mutex> g(mu);
  return std::to_string(rng() % 1000000000ULL);
}

std::string adminUrl() {
  const char* u = std::getenv("DISPATCH_TEST_ADMIN_URL");
  if (u == nullptr)
    throw std::runtime_error("DISPATCH_TEST_ADMIN_URL is not set (run scripts/test)");
  return u;
}

std::string readFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// ---------------------------------------------------------------- TestDatabase
TestDatabase::TestDatabase() {
  name_ = "dt_" + randomSuffix();
  pqxx::connection c(adminUrl());
  pqxx::nontransaction(c).exec("CREATE DATABASE " + name_);
  std::string base = adminUrl();
  url_ = base.substr(0, base.rfind('/') + 1) + name_;
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection c(adminUrl());
    pqxx::nontransaction(c).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

void TestDatabase::drop() const {
  pqxx::connection c(adminUrl());
  pqxx::nontransaction(c).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

std::string TestDatabase::scalar(const std::string& sql) const {
  pqxx::connection c(url_);
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

void TestDatabase::exec(const std::string& sql) const {
  pqxx::connection c(url_);
  pqxx::nontransaction(c).exec(sql);
}

// ---------------------------------------------------------------- Receiver
struct Receiver::Impl {
  Script script;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<ReceivedRequest> requests;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
  bool tls = false;
};

namespace {

class RecordingHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RecordingHandler(Receiver::Impl& impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    ReceivedRequest r;
    r.method = req.getMethod();
    r.path = req.getURI();
    for (const auto& [k, v] : req) r.headers[lower(k)] = v;
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    r.receivedAt = nowMs();
    int n;
    {
      std::lock_guard<std::mutex> g(impl_.mu);
      n = static_cast<int>(impl_.requests.size());
      impl_.requests.push_back(r);
      impl_.cv.notify_all();
    }
    ScriptedResponse s = impl_.script ? impl_.script(n, r) : ScriptedResponse{};
    if (s.delayMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(s.delayMs));
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(s.status));
    for (const auto& [k, v] : s.headers) resp.set(k, v);
    resp.setContentLength(static_cast<std::streamsize>(s.body.size()));
    resp.send() << s.body;
  }

 private:
  Receiver::Impl& impl_;
};

class RecordingFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RecordingFactory(Receiver::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RecordingHandler(impl_);
  }

 private:
  Receiver::Impl& impl_;
};

}  // namespace

Receiver::Receiver(Script script, std::string cert, std::string key) : impl_(new Impl) {
  impl_->script = std::move(script);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(64);
  params->setKeepAlive(true);
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, 64);
  Poco::Net::SocketAddress addr("127.0.0.1", 0);
  if (!cert.empty()) {
    impl_->tls = true;
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key,
                                                         cert, "", Poco::Net::Context::VERIFY_NONE);
    Poco::Net::SecureServerSocket sock(addr, 64, ctx);
    impl_->port = sock.address().port();
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new RecordingFactory(*impl_),
                                                            *impl_->pool, sock, params);
  } else {
    Poco::Net::ServerSocket sock(addr, 64);
    impl_->port = sock.address().port();
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new RecordingFactory(*impl_),
                                                            *impl_->pool, sock, params);
  }
  impl_->server->start();
}

Receiver::~Receiver() {
  impl_->server->stopAll(true);
  impl_->pool->joinAll();
}

int Receiver::port() const { return impl_->port; }

std::string Receiver::url(const std::string& path) const {
  return std::string(impl_->tls ? "https://localhost:" : "http://127.0.0.1:") +
         std::to_string(impl_->port) + path;
}

std::vector<ReceivedRequest> Receiver::requests() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->requests;
}

size_t Receiver::count() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->requests.size();
}

bool Receiver::waitFor(size_t n, int timeoutMs) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                            [&] { return impl_->requests.size() >= n; });
}

// ---------------------------------------------------------------- helpers
std::string makeTempDir() {
  std::string tmpl = (fs::temp_directory_path() / "dispatch-it-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

TestCert makeSelfSignedCert(const std::string& dir) {
  TestCert c{dir + "/cert.pem", dir + "/key.pem"};
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + c.keyFile + " -out " +
                    c.certFile +
                    " -days 2 -subj /CN=localhost -addext "
                    "'subjectAltName=DNS:localhost,IP:127.0.0.1' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
  return c;
}

std::string ApiResponse::message() const {
  if (!json) return "";
  const json::Value* m = json->find("message");
  return m && m->isString() ? m->asString() : "";
}

ApiResponse httpCall(int port, const std::string& method, const std::string& path,
                     const std::string& body, const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  bool hasCt = false;
  for (const auto& [k, v] : headers) {
    req.set(k, v);
    hasCt = hasCt || lower(k) == "content-type";
  }
  if (!body.empty() && !hasCt) req.setContentType("application/json");
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = s.receiveResponse(resp);
  ApiResponse out;
  out.status = resp.getStatus();
  for (const auto& [k, v] : resp) out.headers[lower(k)] = v;
  Poco::StreamCopier::copyToString(in, out.body);
  auto parsed = json::parse(out.body);
  if (parsed) out.json = std::make_shared<json::Value>(std::move(parsed).value());
  return out;
}

std::string isoIn(int64_t ms) { return formatIsoUtc(nowMs() + ms); }

bool eventually(const std::function<bool()>& pred, int timeoutMs) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// ---------------------------------------------------------------- DispatchProcess
DispatchProcess::DispatchProcess(const TestDatabase& db, DispatchOptions o) {
  dir_ = makeTempDir();
  configPath_ = dir_ + "/dispatch.yaml";
  logPath_ = dir_ + "/serve.log";
  std::string projects =
      o.projectsYaml.empty()
          ? std::string(
                "projects:\n"
                "  - name: alpha\n"
                "    signing_secret: ") +
                kAlphaSecret +
                "\n"
                "  - name: beta\n"
                "    header_prefix: Beta\n"
                "    signing_secret: whsec_dGhpcyBpcyBiZXRhJ3Mgc2lnbmluZyBrZXkhIQ==\n"
          : o.projectsYaml;
  std::string serverExtra =
      o.serverMaxBodyBytes.empty() ? "" : "  max_body_bytes: " + o.serverMaxBodyBytes + "\n";
  std::istringstream extraLines(o.serverExtraYaml);
  for (std::string line; std::getline(extraLines, line);) {
    if (!line.empty()) serverExtra += "  " + line + "\n";
  }
  std::string jobsExtra =
      o.jobsMaxPayloadBytes.empty() ? "" : "  max_payload_bytes: " + o.jobsMaxPayloadBytes + "\n";
  std::string adminToken = o.adminToken ? "\"" + *o.adminToken + "\"" : std::string(kAdminToken);
  std::ofstream(configPath_) << "server:\n  listen: 127.0.0.1:0\n  shutdown_grace: "
                             << o.shutdownGrace << "\n"
                             << serverExtra << "database:\n  url: " << db.url() << "\n  pool: 8\n"
                             << "admin:\n  token: " << adminToken << "\n"
                             << "delivery: " << o.deliveryYaml << "\n"
                             << "jobs:\n  timeout: " << o.jobsTimeout
                             << "\n  retry: " << o.jobsRetryYaml << "\n"
                             << jobsExtra << o.extraYaml << "\n"
                             << projects;
  env_ = o.env;
}

DispatchProcess::~DispatchProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(5000);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

bool DispatchProcess::start(int timeoutMs) {
  size_t logStart = 0;
  if (fs::exists(logPath_)) logStart = fs::file_size(logPath_);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = ::open(logPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
    unsetenv("DATABASE_URL");
    execl(DISPATCH_BINARY, DISPATCH_BINARY, "serve", "--config", configPath_.c_str(), nullptr);
    _exit(127);
  }
  return eventually(
             [&] {
               if (!running()) return true;  // exited: report failure at once
               std::string text = readFile(logPath_);
               if (text.size() <= logStart) return false;
               size_t pos = text.find("\"msg\":\"listening\"", logStart);
               if (pos == std::string::npos) return false;
               size_t p = text.find("\"port\":", pos);
               port_ = std::atoi(text.c_str() + p + 7);
               return port_ > 0;
             },
             timeoutMs) &&
         port_ > 0 && running();
}

void DispatchProcess::kill(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int DispatchProcess::wait(int timeoutMs) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

bool DispatchProcess::running() const {
  if (pid_ <= 0) return false;
  int status = 0;
  // Reap a child that has exited so it is not mistaken for a live (zombie) process.
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string DispatchProcess::log() const { return readFile(logPath_); }

ApiResponse DispatchProcess::call(const std::string& method, const std::string& path,
                                  const std::string& body,
                                  std::map<std::string, std::string> headers) const {
  return httpCall(port_, method, path, body, headers);
}

std::string DispatchProcess::createKey(const std::string& project) const {
  auto r = call("POST", "/api/v1/projects/" + project + "/keys", R"({"label":"test"})",
                {{"Authorization", std::string("Bearer ") + kAdminToken}});
  if (r.status != 201 || !r.data()) throw std::runtime_error("key creation failed: " + r.body);
  return r.data()->find("key")->asString();
}

namespace {

// Runs `dispatch <args>` with stdout and stderr sent to the given files (the same file
// keeps their interleaving); returns the exit code.
int spawnCli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
             const std::string& outFile, const std::string& errFile) {
  pid_t pid = fork();
  if (pid == 0) {
    int out = ::open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err =
        errFile == outFile ? out : ::open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(DISPATCH_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(DISPATCH_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

CliResult runCli(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  std::string dir = makeTempDir();
  std::string outFile = dir + "/out.txt";
  CliResult r;
  r.exitCode = spawnCli(args, env, outFile, outFile);
  r.out = readFile(outFile);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

CliResult runCliSplit(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env) {
  std::string dir = makeTempDir();
  std::string outFile = dir + "/stdout.txt";
  std::string errFile = dir + "/stderr.txt";
  CliResult r;
  r.exitCode = spawnCli(args, env, outFile, errFile);
  r.stdoutText = readFile(outFile);
  r.stderrText = readFile(errFile);
  r.out = r.stdoutText + r.stderrText;
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

}  // namespace dispatch::test
