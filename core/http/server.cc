// The event loop, the connections it owns, and the worker pool (see server.h).
//
// Poco 1.11 still binds and listens (ServerSocket), but the loop is epoll with an eventfd
// for wake-ups: that release's SocketReactor polls with select() and its PollSet has no
// wake-up and answers each poll with a std::map, neither of which holds 10,000 connections.
#include "core/http/server.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/http/envelope.h"
#include "core/http/request_parser.h"
#include "core/http/tls.h"
#include "core/http/wire.h"
#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::http {
namespace {

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr size_t kReadChunk = 64 << 10;
// Read per wake-up before giving other connections their turn (level-triggered: the rest
// is reported again).
constexpr size_t kReadBudget = 256 << 10;
// Lingering close, as nginx: after an answer that leaves request bytes unread, send FIN and
// discard what still comes, so the kernel does not reset the connection under the answer.
constexpr int64_t kLingerMs = 2000;
constexpr int64_t kLingerBytes = int64_t{16} << 20;
// Connections over max_connections that are still being told 503 (past it: closed at once).
constexpr size_t kMaxRefusing = 256;
// A thousand slowloris connections opened together time out together: their 408s, closes and
// the clients' reconnects are spread over several short sweeps instead of one long stall of
// the loop that every other request waits behind.
constexpr size_t kMaxExpiriesPerSweep = 128;
constexpr int64_t kSweepSoonMs = 10;

// The numeric address of an accepted peer; empty for a family without one.
std::string peerText(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  const void* bytes = nullptr;
  if (addr.ss_family == AF_INET) {
    bytes = &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr;
  } else if (addr.ss_family == AF_INET6) {
    bytes = &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr;
  }
  if (bytes == nullptr || inet_ntop(addr.ss_family, bytes, buf, sizeof buf) == nullptr) return "";
  return buf;
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Finished responses travel from workers and commit completions to the loop through here.
// Shared with every pending reply, so a reply that arrives after the server stopped is
// dropped instead of touching a destroyed server.
struct Mailbox {
  struct Item {
    uint64_t conn;
    uint64_t serial;  // which request of the connection this answers
    Response response;
  };
  std::mutex mu;
  std::vector<Item> items;
  bool closed = false;
  int efd = -1;

  ~Mailbox() {
    if (efd >= 0) ::close(efd);
  }
  void post(uint64_t conn, uint64_t serial, Response r) {
    bool wake;
    {
      std::lock_guard<std::mutex> g(mu);
      if (closed) return;
      wake = items.empty();
      items.push_back(Item{conn, serial, std::move(r)});
    }
    if (wake) {
      uint64_t one = 1;
      ssize_t n = ::write(efd, &one, sizeof one);
      (void)n;  // a full counter still wakes the loop
    }
  }
};

// A fixed pool of threads running queued tasks in order of arrival.
class WorkerPool {
 public:
  explicit WorkerPool(int n) {
    for (int i = 0; i < (n < 1 ? 1 : n); ++i) threads_.emplace_back([this] { run(); });
  }
  ~WorkerPool() { stop(); }
  void submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> g(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }
  // Tasks not yet started are dropped (their connections are gone); running ones finish.
  void stop() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stopping_ = true;
      tasks_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  void run() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (stopping_) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// One client connection; touched only by the loop thread.
struct Conn {
  enum class State { kReading, kWaiting, kWriting, kLingering };
  // What the deadline is for.
  enum class Clock { kNone, kFresh, kIdle, kHeader, kBody, kWrite, kLinger };

  uint64_t id = 0;
  int fd = -1;
  std::string peer;  // the client's IP address as text, for Request::peer
  std::unique_ptr<TlsSession> tls;
  RequestParser parser;
  std::string in;  // received; the parser has consumed it up to inOff
  size_t inOff = 0;
  std::string out;  // to send, from outOff on
  size_t outOff = 0;
  State state = State::kReading;
  Clock clock = Clock::kFresh;
  int64_t deadline = 0;
  uint32_t interest = 0;  // registered epoll events
  bool closeAfterWrite = false;
  bool refused = false;  // over max_connections: only its 503 is sent
  bool tlsReadWantsWrite = false;
  bool tlsWriteWantsRead = false;
  int64_t lingerLeft = 0;
  // The request being answered.
  uint64_t serial = 0;  // counts the connection's requests; a reply must name the current one
  bool head = false;
  bool keepAlive = true;
  bool http10 = false;
};

}  // namespace

struct Server::Impl {
  ServerOptions opts;
  const Router& router;
  Poco::Net::ServerSocket listener;
  int listenFd = -1;
  int epfd = -1;
  int port = 0;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::unique_ptr<WorkerPool> pool;
  std::thread loop;
  bool running = false;

  std::mutex tlsMu;
  std::shared_ptr<TlsContext> tls;  // null: plain HTTP

  std::mutex stopMu;
  bool stopRequested = false;
  int64_t graceDeadline = 0;

  // Loop-thread state.
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns;
  uint64_t nextId = 2;
  size_t refusing = 0;
  int64_t now = 0;
  bool stopping = false;
  int64_t acceptPausedUntil = 0;  // out of descriptors: the listener is disarmed until then
  // Connections with input already buffered (pipelined, or TLS) to parse on the next turn of
  // the loop rather than inside the write that finished the last answer: no recursion, and
  // one client cannot hold the loop.
  std::vector<uint64_t> ready;
  int64_t dateSecond = -1;
  std::string date;

  Impl(ServerOptions o, const Router& r) : opts(std::move(o)), router(r) {}

  void run();
  void acceptAll();
  void onEvent(Conn& c, uint32_t events);
  void onReadable(Conn& c);
  void processInput(Conn& c);
  void dispatch(Conn& c, ParsedRequest&& preq);
  void respond(Conn& c, const Response& r);
  void refuse(Conn& c, int status, const std::string& message);
  void flush(Conn& c);
  void afterWrite(Conn& c);
  void startLinger(Conn& c);
  void linger(Conn& c);
  void close(Conn& c);
  void updateInterest(Conn& c);
  // Ends connections past their deadlines, at most kMaxExpiriesPerSweep of them; returns
  // true when more are due (the next sweep comes after kSweepSoonMs, not the usual 100 ms).
  bool sweep();
  void beginStop();
  void lingerQuiet();
  void deliverReplies();
  void runReady();
  void armListener(bool on);
  IoResult readSome(Conn& c, char* buf, size_t len);
  IoResult writeSome(Conn& c, const char* buf, size_t len);
  ParseLimits limits() const;
  const std::string& httpDateNow();
  std::shared_ptr<TlsContext> tlsContext() {
    std::lock_guard<std::mutex> g(tlsMu);
    return tls;
  }
};

ParseLimits Server::Impl::limits() const {
  ParseLimits l;
  l.maxHeaderBytes = opts.maxHeaderBytes;
  l.maxBodyBytes = opts.maxBodyBytes();
  return l;
}

const std::string& Server::Impl::httpDateNow() {
  int64_t sec = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (sec != dateSecond) {
    dateSecond = sec;
    date = httpDate(sec);
  }
  return date;
}

IoResult Server::Impl::readSome(Conn& c, char* buf, size_t len) {
  if (c.tls) return c.tls->read(buf, len);
  while (true) {
    ssize_t n = ::recv(c.fd, buf, len, 0);
    if (n > 0) return {IoResult::kData, static_cast<size_t>(n)};
    if (n == 0) return {IoResult::kEof, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoResult::kWantRead, 0};
    return {IoResult::kError, 0};
  }
}

IoResult Server::Impl::writeSome(Conn& c, const char* buf, size_t len) {
  if (c.tls) return c.tls->write(buf, len);
  while (true) {
    ssize_t n = ::send(c.fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return {IoResult::kData, static_cast<size_t>(n)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoResult::kWantWrite, 0};
    return {IoResult::kError, 0};
  }
}

void Server::Impl::updateInterest(Conn& c) {
  uint32_t want = 0;
  if (c.state == Conn::State::kReading || c.state == Conn::State::kLingering) want |= EPOLLIN;
  if (c.outOff < c.out.size()) want |= c.tlsWriteWantsRead ? EPOLLIN : EPOLLOUT;
  if (c.tlsReadWantsWrite) want |= EPOLLOUT;
  if (want == c.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.id;
  epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = want;
}

void Server::Impl::close(Conn& c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nullptr);
  c.tls.reset();
  ::close(c.fd);
  if (c.refused) {
    --refusing;
  } else {
    metrics::global().httpConnections.add(-1);
  }
  conns.erase(c.id);  // destroys c
}

void Server::Impl::armListener(bool on) {
  epoll_event ev{};
  ev.events = on ? static_cast<uint32_t>(EPOLLIN) : 0u;
  ev.data.u64 = kListenTag;
  epoll_ctl(epfd, EPOLL_CTL_MOD, listenFd, &ev);
}

void Server::Impl::acceptAll() {
  auto tlsCtx = tlsContext();
  while (true) {
    sockaddr_storage peerAddr{};
    socklen_t peerLen = sizeof peerAddr;
    int fd = ::accept4(listenFd, reinterpret_cast<sockaddr*>(&peerAddr), &peerLen,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Out of descriptors (or memory): the listener stays readable, so it is disarmed for
      // 100 ms (the loop re-arms it) instead of spinning; a connection that comes meanwhile
      // waits in the backlog.
      log::warn("accept failed", {{"error", std::string(strerror(errno))}});
      acceptPausedUntil = now + 100;
      armListener(false);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bool over = conns.size() - refusing >= static_cast<size_t>(opts.maxConnections);
    if (over && (refusing >= kMaxRefusing || tlsCtx)) {
      // No room even to say so (or a TLS port, where a plain answer means nothing).
      metrics::global().httpRefusedLimit.inc();
      ::close(fd);
      continue;
    }
    auto conn = std::make_unique<Conn>();
    Conn& c = *conn;
    c.id = nextId++;
    c.fd = fd;
    c.peer = peerText(peerAddr);
    c.parser = RequestParser(limits());
    if (tlsCtx) c.tls = std::make_unique<TlsSession>(tlsCtx, fd);
    c.deadline = now + opts.headerTimeoutMs;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c.id;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    c.interest = EPOLLIN;
    conns.emplace(c.id, std::move(conn));
    if (over) {
      c.refused = true;
      ++refusing;
      metrics::global().httpRefusedLimit.inc();
      refuse(c, 503, "Too many connections");
      continue;
    }
    metrics::global().httpConnections.add(1);
  }
}

void Server::Impl::onEvent(Conn& c, uint32_t events) {
  if (events & EPOLLERR) return close(c);
  uint64_t id = c.id;
  if (events & EPOLLOUT) {
    if (c.tlsReadWantsWrite) {
      c.tlsReadWantsWrite = false;
      onReadable(c);
      if (conns.find(id) == conns.end()) return;
    }
    if (c.outOff < c.out.size()) {
      flush(c);
      if (conns.find(id) == conns.end()) return;
    }
  }
  if (events & (EPOLLIN | EPOLLHUP)) {
    if (c.tlsWriteWantsRead && c.outOff < c.out.size()) {
      c.tlsWriteWantsRead = false;
      flush(c);
      if (conns.find(id) == conns.end()) return;
    }
    if (c.state == Conn::State::kLingering) return linger(c);
    if (c.state == Conn::State::kReading) return onReadable(c);
    if (events & EPOLLHUP) return close(c);  // gone while its request runs: nothing to tell
  }
}

void Server::Impl::onReadable(Conn& c) {
  static thread_local char buf[kReadChunk];
  size_t budget = kReadBudget;
  uint64_t id = c.id;
  while (c.state == Conn::State::kReading && budget > 0) {
    IoResult r = readSome(c, buf, kReadChunk);
    switch (r.kind) {
      case IoResult::kData:
        budget -= std::min(budget, r.n);
        if (c.inOff > 0) {
          c.in.erase(0, c.inOff);  // once per read, not once per request
          c.inOff = 0;
        }
        c.in.append(buf, r.n);
        processInput(c);
        if (conns.find(id) == conns.end()) return;
        break;
      case IoResult::kWantRead:
        return updateInterest(c);
      case IoResult::kWantWrite:
        c.tlsReadWantsWrite = true;
        return updateInterest(c);
      case IoResult::kEof:
      case IoResult::kError:
        // The client went away (or never spoke TLS): a half-sent request has no one to
        // answer.
        return close(c);
    }
  }
}

void Server::Impl::processInput(Conn& c) {
  while (c.state == Conn::State::kReading) {
    size_t consumed = 0;
    RequestParser::Result r = c.parser.parse(std::string_view(c.in).substr(c.inOff), &consumed);
    c.inOff += consumed;
    if (c.inOff == c.in.size()) {
      c.in.clear();
      c.inOff = 0;
    }
    if (c.parser.inRequest() && (c.clock == Conn::Clock::kIdle || c.clock == Conn::Clock::kFresh)) {
      // The header timeout runs from a request's first byte (from accept on a new
      // connection, whose clock already runs), and bytes that trickle in do not extend it.
      if (c.clock == Conn::Clock::kIdle) c.deadline = now + opts.headerTimeoutMs;
      c.clock = Conn::Clock::kHeader;
    }
    switch (r) {
      case RequestParser::Result::kNeedMore:
        return;
      case RequestParser::Result::kHeadersDone:
        c.clock = Conn::Clock::kBody;
        c.deadline = now + opts.bodyTimeoutMs;
        if (c.parser.expectsContinue()) {
          uint64_t id = c.id;
          c.out += "HTTP/1.1 100 Continue\r\n\r\n";
          flush(c);
          if (conns.find(id) == conns.end()) return;
        }
        continue;
      case RequestParser::Result::kComplete:
        return dispatch(c, c.parser.take());
      case RequestParser::Result::kError:
        metrics::global().httpBadRequest.inc();
        return refuse(c, c.parser.errorStatus(), c.parser.errorMessage());
    }
  }
}

void Server::Impl::dispatch(Conn& c, ParsedRequest&& preq) {
  c.head = preq.method == "HEAD";
  c.keepAlive = preq.keepAlive;
  c.http10 = preq.versionMinor == 0;
  c.state = Conn::State::kWaiting;
  c.clock = Conn::Clock::kNone;
  ++c.serial;
  updateInterest(c);
  auto req = toRequest(std::move(preq));
  if (!req) return respond(c, errorResponse(req.status()));
  req->peer = c.peer;
  pool->submit(
      [this, id = c.id, serial = c.serial, box = mailbox, r = std::move(req).value()]() mutable {
        auto reply = [id, serial, box](Response resp) { box->post(id, serial, std::move(resp)); };
        try {
          router.dispatch(r, reply);
        } catch (const std::exception& e) {
          log::error("unhandled error in request", {{"error", e.what()}});
          reply(errorResponse(Status(Code::kInternal, "")));
        }
      });
}

void Server::Impl::respond(Conn& c, const Response& r) {
  bool close = r.close || !c.keepAlive || stopping;
  ResponseFraming framing;
  framing.head = c.head;
  framing.close = close;
  framing.keepAlive10 = c.http10 && c.keepAlive && !close;
  appendResponse(c.out, r, framing, httpDateNow());
  c.closeAfterWrite = close;
  c.state = Conn::State::kWriting;
  c.clock = Conn::Clock::kWrite;
  c.deadline = now + opts.idleTimeoutMs;
  flush(c);
}

void Server::Impl::refuse(Conn& c, int status, const std::string& message) {
  Response r = envelope(status, message);
  r.close = true;
  c.head = false;
  c.http10 = false;
  respond(c, r);
}

void Server::Impl::flush(Conn& c) {
  while (c.outOff < c.out.size()) {
    IoResult r = writeSome(c, c.out.data() + c.outOff, c.out.size() - c.outOff);
    switch (r.kind) {
      case IoResult::kData:
        c.outOff += r.n;
        break;
      case IoResult::kWantWrite:
        return updateInterest(c);
      case IoResult::kWantRead:
        c.tlsWriteWantsRead = true;
        return updateInterest(c);
      case IoResult::kEof:
      case IoResult::kError:
        return close(c);
    }
  }
  c.out.clear();
  c.outOff = 0;
  afterWrite(c);
}

void Server::Impl::afterWrite(Conn& c) {
  if (c.state != Conn::State::kWriting) return updateInterest(c);  // a 100 Continue
  if (c.closeAfterWrite) return startLinger(c);
  c.state = Conn::State::kReading;
  c.clock = Conn::Clock::kIdle;
  c.deadline = now + opts.idleTimeoutMs;
  c.parser = RequestParser(limits());
  // An idle connection keeps no large buffer from its last request.
  if (c.out.capacity() > (16 << 10)) std::string().swap(c.out);
  if (c.in.empty() && c.in.capacity() > (16 << 10)) std::string().swap(c.in);
  updateInterest(c);
  // A pipelined request already buffered, or TLS bytes epoll cannot see: next turn.
  if (!c.in.empty() || c.tls) ready.push_back(c.id);
}

void Server::Impl::runReady() {
  std::vector<uint64_t> now_ready;
  now_ready.swap(ready);
  for (uint64_t id : now_ready) {
    auto it = conns.find(id);
    if (it == conns.end() || it->second->state != Conn::State::kReading) continue;
    Conn& c = *it->second;
    if (!c.in.empty()) {
      processInput(c);
      if (conns.find(id) == conns.end()) continue;
    }
    if (c.tls && c.state == Conn::State::kReading) onReadable(c);
  }
}

void Server::Impl::startLinger(Conn& c) {
  if (c.tls) c.tls->shutdown();
  ::shutdown(c.fd, SHUT_WR);
  c.state = Conn::State::kLingering;
  c.clock = Conn::Clock::kLinger;
  // Stopping: the answer is out; a client that keeps the connection open is not waited for.
  c.deadline = now + (stopping ? kLingerMs / 10 : kLingerMs);
  c.lingerLeft = kLingerBytes;
  c.in.clear();
  c.in.shrink_to_fit();
  c.inOff = 0;
  updateInterest(c);
}

void Server::Impl::linger(Conn& c) {
  char buf[16384];
  while (c.lingerLeft > 0) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.lingerLeft -= n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;  // EOF or error: the client has the answer or is gone
  }
  close(c);
}

bool Server::Impl::sweep() {
  std::vector<uint64_t> expired;
  bool more = false;
  for (const auto& [id, c] : conns) {
    if (c->clock != Conn::Clock::kNone && now >= c->deadline) {
      if (expired.size() == kMaxExpiriesPerSweep) {
        more = true;
        break;
      }
      expired.push_back(id);
    }
  }
  for (uint64_t id : expired) {
    auto it = conns.find(id);
    if (it == conns.end()) continue;
    Conn& c = *it->second;
    bool midRequest = c.clock == Conn::Clock::kHeader || c.clock == Conn::Clock::kBody;
    if (midRequest && c.state == Conn::State::kReading && c.outOff >= c.out.size()) {
      metrics::global().httpTimeout.inc();
      refuse(c, 408, "Request timeout: the request did not arrive in time");
      // Its answer gets a short time of its own to leave.
      if (conns.count(id) && c.state == Conn::State::kWriting) {
        c.deadline = now + kLingerMs;
      }
      continue;
    }
    if (c.clock == Conn::Clock::kFresh) metrics::global().httpTimeout.inc();
    close(c);
  }
  return more;
}

void Server::Impl::beginStop() {
  stopping = true;
  epoll_ctl(epfd, EPOLL_CTL_DEL, listenFd, nullptr);
  listener.close();
  listenFd = -1;
  lingerQuiet();
}

void Server::Impl::lingerQuiet() {
  // Not closed outright: unread bytes (a pipelined request) would make the kernel reset the
  // connection and drop an answer still in its send queue.
  std::vector<uint64_t> quiet;
  for (const auto& [id, c] : conns) {
    if (c->state == Conn::State::kReading && !c->parser.inRequest() && c->in.empty()) {
      quiet.push_back(id);
    }
  }
  for (uint64_t id : quiet) startLinger(*conns.at(id));
}

void Server::Impl::deliverReplies() {
  uint64_t drained;
  ssize_t n = ::read(mailbox->efd, &drained, sizeof drained);
  (void)n;
  std::vector<Mailbox::Item> items;
  {
    std::lock_guard<std::mutex> g(mailbox->mu);
    items.swap(mailbox->items);
  }
  for (auto& item : items) {
    auto it = conns.find(item.conn);
    // The connection may have closed while its request ran: the work is done all the same.
    // A reply for an earlier request of the connection is never taken for the current one.
    if (it == conns.end() || it->second->state != Conn::State::kWaiting ||
        it->second->serial != item.serial) {
      continue;
    }
    respond(*it->second, item.response);
  }
}

void Server::Impl::run() {
  std::vector<epoll_event> events(512);
  int64_t lastSweep = steadyMs();
  bool sweepSoon = false;
  while (true) {
    // Buffered input waiting its turn: look for events without sleeping.
    int wait = !ready.empty() ? 0 : sweepSoon ? static_cast<int>(kSweepSoonMs) : 100;
    int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), wait);
    now = steadyMs();
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        if (!stopping) acceptAll();
      } else if (tag == kWakeTag) {
        deliverReplies();
      } else {
        auto it = conns.find(tag);
        if (it != conns.end()) onEvent(*it->second, events[i].events);
      }
    }
    {
      std::lock_guard<std::mutex> g(stopMu);
      if (stopRequested && !stopping) beginStop();
    }
    runReady();
    if (now - lastSweep >= (sweepSoon ? kSweepSoonMs : 100)) {
      sweepSoon = sweep();
      lastSweep = now;
      if (acceptPausedUntil != 0 && now >= acceptPausedUntil && !stopping) {
        acceptPausedUntil = 0;
        armListener(true);
      }
    }
    if (stopping) {
      // Connections that went quiet after their last answer end as they get there.
      lingerQuiet();
      if (conns.empty() || now >= graceDeadline) break;
    }
  }
  while (!conns.empty()) close(*conns.begin()->second);
}

Server::Server(ServerOptions options, const Router& router)
    : impl_(new Impl(std::move(options), router)) {}

Server::~Server() { stop(0); }

void Server::start() {
  Impl& m = *impl_;
  if (!m.opts.tlsCert.empty() || !m.opts.tlsKey.empty()) {
    auto ctx = TlsContext::load(m.opts.tlsCert, m.opts.tlsKey);
    if (!ctx) throw std::runtime_error(ctx.status().message());
    m.tls = *ctx;
  }
  Poco::Net::SocketAddress addr(m.opts.host, static_cast<Poco::UInt16>(m.opts.port));
  // Bind without SO_REUSEPORT (Poco's default constructor sets it), so a second server on a
  // port in use fails instead of silently sharing it.
  m.listener.bind(addr, true, false);
  m.listener.listen(4096);
  m.listener.setBlocking(false);
  m.listenFd = m.listener.impl()->sockfd();
  m.port = m.listener.address().port();

  m.epfd = epoll_create1(EPOLL_CLOEXEC);
  m.mailbox->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m.epfd < 0 || m.mailbox->efd < 0) throw std::runtime_error("epoll/eventfd failed");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(m.epfd, EPOLL_CTL_ADD, m.listenFd, &ev);
  ev.data.u64 = kWakeTag;
  epoll_ctl(m.epfd, EPOLL_CTL_ADD, m.mailbox->efd, &ev);

  // Each connection is a descriptor: take the hard limit, and say so when it cannot hold
  // max_connections (accept then fails with EMFILE and new clients wait in the backlog).
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    if (rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    // Beside the connections: the store pool, outbound deliveries, files.
    const rlim_t need = static_cast<rlim_t>(m.opts.maxConnections) + 512;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
      log::warn("open-files limit below server.max_connections",
                {{"limit", static_cast<long long>(rl.rlim_cur)},
                 {"max_connections", m.opts.maxConnections}});
    }
  }
  m.pool = std::make_unique<WorkerPool>(m.opts.threads);
  m.running = true;
  m.loop = std::thread([&m] { m.run(); });
}

void Server::stop(int64_t graceMs) {
  Impl& m = *impl_;
  if (!m.running) return;
  {
    std::lock_guard<std::mutex> g(m.stopMu);
    m.stopRequested = true;
    m.graceDeadline = steadyMs() + std::max<int64_t>(graceMs, 0);
  }
  uint64_t one = 1;
  ssize_t n = ::write(m.mailbox->efd, &one, sizeof one);
  (void)n;
  m.loop.join();
  {
    std::lock_guard<std::mutex> g(m.mailbox->mu);
    m.mailbox->closed = true;
    m.mailbox->items.clear();
  }
  m.pool->stop();
  ::close(m.epfd);
  m.epfd = -1;
  m.running = false;
}

Status Server::reloadTls() {
  Impl& m = *impl_;
  if (m.opts.tlsCert.empty()) return Status();
  auto ctx = TlsContext::load(m.opts.tlsCert, m.opts.tlsKey);
  if (!ctx) return ctx.status();
  std::lock_guard<std::mutex> g(m.tlsMu);
  m.tls = *ctx;
  return Status();
}

int Server::port() const { return impl_->port; }

}  // namespace dispatch::http
