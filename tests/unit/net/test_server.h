// An in-process Poco HTTP(S) server on 127.0.0.1, port 0, that records what it receives,
// plus a throwaway self-signed certificate for the HTTPS tests.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace dispatch::net::nettest {

struct RecordedRequest {
  std::string method;
  std::string uri;
  std::string host;
  std::string body;
  std::map<std::string, std::string> headers;
  uint16_t clientPort = 0;
};

// Shared by the server and its handlers, which may outlive a test by a few milliseconds.
struct ServerState {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::vector<RecordedRequest> requests;
  std::set<uint16_t> clientPorts;  // one per TCP connection the server accepted a request on

  size_t requestCount() {
    std::lock_guard<std::mutex> lock(mu);
    return requests.size();
  }
  size_t connectionCount() {
    std::lock_guard<std::mutex> lock(mu);
    return clientPorts.size();
  }
  RecordedRequest last() {
    std::lock_guard<std::mutex> lock(mu);
    return requests.empty() ? RecordedRequest{} : requests.back();
  }
};

// Routes: /slow (answers after 1.5 s unless the server stops), /drip (a chunked body of one
// byte per 50 ms for 1.5 s), /big (100000 bytes, with
// Content-Length), /big-chunked (the same, chunked), /redirect (302), /retry (429 with
// Retry-After: 7), /close (answers with Connection: close); anything else: 200 "ok".
class RecordingHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RecordingHandler(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    RecordedRequest r;
    r.method = req.getMethod();
    r.uri = req.getURI();
    r.host = req.get("Host", "");
    r.body.assign(std::istreambuf_iterator<char>(req.stream()), {});
    for (const auto& [name, value] : req) r.headers[name] = value;
    r.clientPort = req.clientAddress().port();
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->requests.push_back(r);
      state_->clientPorts.insert(r.clientPort);
    }
    const std::string path = r.uri.substr(0, r.uri.find('?'));
    if (path == "/slow") {
      std::unique_lock<std::mutex> lock(state_->mu);
      state_->cv.wait_for(lock, std::chrono::milliseconds(1500), [&] { return state_->stopping; });
      lock.unlock();
      resp.send() << "late";
    } else if (path == "/drip") {
      // Each byte arrives well within any socket timeout; only the overall deadline stops it.
      resp.setChunkedTransferEncoding(true);
      std::ostream& out = resp.send();
      for (int i = 0; i < 30 && out; ++i) {
        out << 'x' << std::flush;
        std::unique_lock<std::mutex> lock(state_->mu);
        if (state_->cv.wait_for(lock, std::chrono::milliseconds(50),
                                [&] { return state_->stopping; })) {
          break;
        }
      }
    } else if (path == "/big" || path == "/big-chunked") {
      std::string body(100000, 'x');
      if (path == "/big") {
        resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
      } else {
        resp.setChunkedTransferEncoding(true);
      }
      resp.send() << body;
    } else if (path == "/redirect") {
      resp.set("Location", "/echo");
      resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_FOUND);
      resp.setContentLength(5);
      resp.send() << "moved";
    } else if (path == "/retry") {
      resp.set("Retry-After", "7");
      resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_TOO_MANY_REQUESTS);
      resp.setContentLength(4);
      resp.send() << "slow";
    } else if (path == "/close") {
      resp.setKeepAlive(false);
      resp.setContentLength(2);
      resp.send() << "ok";
    } else {
      resp.setContentLength(2);
      resp.send() << "ok";
    }
  }

 private:
  std::shared_ptr<ServerState> state_;
};

class RecordingFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RecordingFactory(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RecordingHandler(state_);
  }

 private:
  std::shared_ptr<ServerState> state_;
};

// Listens on the given (loopback) socket until destroyed.
class TestServer {
 public:
  explicit TestServer(const Poco::Net::ServerSocket& socket,
                      Poco::Timespan keepAliveTimeout = Poco::Timespan(10, 0))
      : state_(std::make_shared<ServerState>()), pool_(2, 32) {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(1000);
    params->setKeepAliveTimeout(keepAliveTimeout);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RecordingFactory(state_), pool_, socket,
                                                      params);
    server_->start();
    port_ = socket.address().port();
  }

  ~TestServer() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->stopping = true;
    }
    state_->cv.notify_all();
    server_->stopAll(true);
    server_.reset();
    pool_.joinAll();
  }

  static Poco::Net::ServerSocket loopbackSocket() {
    return Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
  }

  uint16_t port() const { return port_; }
  ServerState& state() { return *state_; }
  std::string url(const std::string& path, const std::string& host = "127.0.0.1",
                  const std::string& scheme = "http") const {
    return scheme + "://" + host + ":" + std::to_string(port_) + path;
  }

 private:
  std::shared_ptr<ServerState> state_;
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

// A self-signed certificate for DNS:localhost (and no IP), written with its key to a
// temporary directory that is removed on destruction.
class SelfSignedCert {
 public:
  SelfSignedCert() {
    char dirTemplate[] = "/tmp/dispatch-net-test-XXXXXX";
    if (mkdtemp(dirTemplate) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dirTemplate;
    keyFile_ = dir_ + "/key.pem";
    certFile_ = dir_ + "/cert.pem";

    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* cert = X509_new();
    if (key == nullptr || cert == nullptr) throw std::runtime_error("openssl alloc failed");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    const std::pair<int, const char*> extensions[] = {
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_subject_key_identifier, "hash"},
        {NID_subject_alt_name, "DNS:localhost"},
    };
    for (const auto& [nid, value] : extensions) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      if (ext == nullptr) throw std::runtime_error("openssl extension failed");
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");

    FILE* f = std::fopen(keyFile_.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    f = std::fopen(certFile_.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }

  ~SelfSignedCert() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const std::string& keyFile() const { return keyFile_; }
  const std::string& certFile() const { return certFile_; }

 private:
  std::string dir_;
  std::string keyFile_;
  std::string certFile_;
};

}  // namespace dispatch::net::nettest
