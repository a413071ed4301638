// Connections benchmark for scripts/bench: many idle keep-alive connections and slowloris
// connections held open against Dispatch, from one thread with epoll, on 127.0.0.1 only.
//   conn_bench --port P [--idle N] [--slowloris M] [--seconds S] [--batch B]
// Idle: N connections each send `GET /healthz` once, read the answer and then stay open
// without a request. Slowloris: M connections send a request header one byte per second each
// and never end it (request line, Host, then `X-a: b` lines); their sends are spread over the
// second, so they do not all write in the same millisecond. A connection the server closes is
// opened again at once (after 1 s when it was closed, or refused, within 1 s of its connect:
// a server refusing connections is not hammered). At most B connects (default 256) are in
// flight at a time. The soft RLIMIT_NOFILE is raised to the hard limit first; the tool exits
// 2 when N + M + 64 files do not fit under it.
// The tool stops by itself after S seconds, or on SIGTERM / SIGINT, and then prints its
// figures. Output: `key value` lines; `established_after_ms T` as soon as every idle
// connection has had its answer and every slowloris connection is connected (printed once,
// flushed at once: scripts/bench polls for it), and a `progress` line every 5 s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <queue>
#include <set>
#include <string>
#include <vector>

namespace {

int64_t monoUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

constexpr char kIdleRequest[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
// The slowloris header: this head, then kSlowLine again and again (never the blank line).
constexpr char kSlowHead[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
constexpr char kSlowLine[] = "X-a: b\r\n";
constexpr int64_t kBackoffUs = 1'000'000;  // reopen delay after a quick close / refusal
constexpr int64_t kConnectTimeoutUs = 5'000'000;
constexpr int64_t kProgressUs = 5'000'000;
constexpr int64_t kSettleUs = 500'000;  // at the end: reconnects in flight may finish

enum class Kind : uint8_t { kIdle, kSlow };
enum class State : uint8_t {
  kClosed,      // queued for a connect or waiting out a backoff
  kConnecting,  // non-blocking connect in flight
  kAwaiting,    // idle: request sent, answer not read yet
  kOpen,        // idle: answered and held; slowloris: connected and trickling
};

struct Conn {
  int fd = -1;
  Kind kind = Kind::kIdle;
  State state = State::kClosed;
  uint32_t gen = 0;         // bumped on close: timers of an earlier life are ignored
  int64_t connectedUs = 0;  // when its connect completed
  uint64_t sent = 0;        // slowloris: header bytes sent on this connection
  bool statusSeen = false;  // slowloris: the server answered on this connection
  std::string in;           // idle: the answer read so far
};

enum class TimerKind : uint8_t { kSend, kReopen, kConnectTimeout };
struct Timer {
  int64_t due;
  uint32_t idx;
  uint32_t gen;
  TimerKind kind;
  bool operator>(const Timer& o) const { return due > o.due; }
};

struct Counts {
  long idleAnswers = 0;          // answers read on idle connections
  long idleNon200 = 0;           // of which not 200
  long idleClosedByServer = 0;   // idle connections the server closed (before or after answering)
  long idleUnexpectedBytes = 0;  // bytes the server sent on an idle connection after its answer
  long slow408 = 0;              // slowloris connections answered 408
  long slowOtherStatus = 0;      // answered anything else
  long slowClosedByServer = 0;
  long slowBytesSent = 0;
  long connectErrors = 0;  // connect failed (refused, timed out, no fd, ...)
  long connects = 0;       // connects started
};

class Bench {
 public:
  Bench(int port, int idle, int slow, int batch) : batch_(batch), idle_(idle), slow_(slow) {
    std::memset(&addr_, 0, sizeof addr_);
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<uint16_t>(port));
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1, never anything else
    conns_.resize(static_cast<size_t>(idle + slow));
    for (int i = 0; i < idle + slow; ++i) {
      conns_[static_cast<size_t>(i)].kind = i < idle ? Kind::kIdle : Kind::kSlow;
      ready_.push_back(static_cast<uint32_t>(i));
    }
    ep_ = epoll_create1(EPOLL_CLOEXEC);
  }

  bool ok() const { return ep_ >= 0; }

  int run(int64_t seconds) {
    const int64_t t0 = monoUs();
    const int64_t deadline = t0 + seconds * 1'000'000;
    int64_t nextProgress = t0 + kProgressUs, settleEnd = 0;
    std::vector<epoll_event> evs(1024);
    while (true) {
      int64_t now = monoUs();
      if (g_stop || now >= deadline) {
        if (settleEnd == 0) settleEnd = now + kSettleUs;
        if ((connecting_ == 0 && ready_.empty()) || now >= settleEnd) break;
      }
      while (connecting_ < batch_ && !ready_.empty()) {
        uint32_t i = ready_.front();
        ready_.pop_front();
        startConnect(i, now);
      }
      runTimers(now);
      int64_t wait = std::min<int64_t>(100'000, (settleEnd ? settleEnd : deadline) - now);
      if (!timers_.empty()) wait = std::min(wait, timers_.top().due - now);
      if (!ready_.empty() && connecting_ < batch_) wait = 0;
      int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()),
                         static_cast<int>(std::max<int64_t>(0, (wait + 999) / 1000)));
      now = monoUs();
      for (int k = 0; k < n; ++k)
        onEvent(evs[static_cast<size_t>(k)].data.u32, evs[static_cast<size_t>(k)].events, now);
      if (establishedUs_ < 0 && idleOpen_ == idle_ && slowOpen_ == slow_) {
        establishedUs_ = now;
        std::printf("established_after_ms %lld\n", static_cast<long long>((now - t0) / 1000));
        std::fflush(stdout);
      }
      if (establishedUs_ >= 0 && settleEnd == 0) {
        idleOpenMin_ = std::min(idleOpenMin_, idleOpen_);
        slowOpenMin_ = std::min(slowOpenMin_, slowOpen_);
      }
      if (now >= nextProgress) {
        nextProgress += kProgressUs;
        std::printf(
            "progress at_s %lld idle_open %d idle_awaiting %d slowloris_open %d "
            "connecting %d closed_by_server %ld connect_errors %ld\n",
            static_cast<long long>((now - t0) / 1'000'000), idleOpen_, idleAwaiting_, slowOpen_,
            connecting_, c_.idleClosedByServer + c_.slowClosedByServer, c_.connectErrors);
        std::fflush(stdout);
      }
    }
    report(monoUs() - t0);
    return 0;
  }

 private:
  void startConnect(uint32_t i, int64_t now) {
    Conn& c = conns_[i];
    c.in.clear();
    c.sent = 0;
    c.statusSeen = false;
    ++c_.connects;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      connectFailed(i, errno, now);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.fd = fd;
    int r = connect(fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
    if (r < 0 && errno != EINPROGRESS) {
      int e = errno;
      ::close(fd);
      c.fd = -1;
      connectFailed(i, e, now);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    c.state = State::kConnecting;
    ++connecting_;
    timers_.push({now + kConnectTimeoutUs, i, c.gen, TimerKind::kConnectTimeout});
    if (r == 0) connected(i, now);
  }

  void connectFailed(uint32_t i, int err, int64_t now) {
    ++c_.connectErrors;
    if (errorsSeen_.insert(err).second)
      std::fprintf(stderr, "conn_bench: connect to 127.0.0.1:%d: %s\n", ntohs(addr_.sin_port),
                   std::strerror(err));
    Conn& c = conns_[i];
    c.state = State::kClosed;
    ++c.gen;
    timers_.push({now + kBackoffUs, i, c.gen, TimerKind::kReopen});
  }

  void connected(uint32_t i, int64_t now) {
    Conn& c = conns_[i];
    --connecting_;
    c.connectedUs = now;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    if (c.kind == Kind::kIdle) {
      c.state = State::kAwaiting;
      ++idleAwaiting_;
      ssize_t w = send(c.fd, kIdleRequest, sizeof kIdleRequest - 1, MSG_NOSIGNAL);
      if (w != static_cast<ssize_t>(sizeof kIdleRequest - 1)) closedByServer(i, now);
    } else {
      c.state = State::kOpen;
      ++slowOpen_;
      // The first byte at this connection's slot in the second: sends spread over time.
      int64_t slot =
          static_cast<int64_t>(i - static_cast<uint32_t>(idle_)) * 1'000'000 / std::max(1, slow_);
      int64_t first = now - now % 1'000'000 + slot;
      if (first <= now) first += 1'000'000;
      timers_.push({first, i, c.gen, TimerKind::kSend});
    }
  }

  // The server closed (or reset) a connection that had connected: count it, open it again.
  void closedByServer(uint32_t i, int64_t now) {
    Conn& c = conns_[i];
    if (c.kind == Kind::kIdle)
      ++c_.idleClosedByServer;
    else
      ++c_.slowClosedByServer;
    bool quick = now - c.connectedUs < kBackoffUs;
    drop(i);
    if (quick)
      timers_.push({now + kBackoffUs, i, c.gen, TimerKind::kReopen});
    else
      ready_.push_back(i);
  }

  // Closes the socket and leaves the connection in kClosed (not queued).
  void drop(uint32_t i) {
    Conn& c = conns_[i];
    if (c.state == State::kConnecting) --connecting_;
    if (c.state == State::kAwaiting) --idleAwaiting_;
    if (c.state == State::kOpen) {
      if (c.kind == Kind::kIdle)
        --idleOpen_;
      else
        --slowOpen_;
    }
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.state = State::kClosed;
    c.in.clear();
    ++c.gen;
  }

  void runTimers(int64_t now) {
    while (!timers_.empty() && timers_.top().due <= now) {
      Timer t = timers_.top();
      timers_.pop();
      Conn& c = conns_[t.idx];
      if (t.gen != c.gen) continue;
      switch (t.kind) {
        case TimerKind::kReopen:
          if (c.state == State::kClosed) ready_.push_back(t.idx);
          break;
        case TimerKind::kConnectTimeout:
          if (c.state == State::kConnecting) {
            drop(t.idx);
            connectFailed(t.idx, ETIMEDOUT, now);
          }
          break;
        case TimerKind::kSend:
          if (c.state == State::kOpen) slowSend(t.idx, t.due);
          break;
      }
    }
  }

  void slowSend(uint32_t i, int64_t due) {
    Conn& c = conns_[i];
    constexpr uint64_t head = sizeof kSlowHead - 1, line = sizeof kSlowLine - 1;
    char b = c.sent < head ? kSlowHead[c.sent] : kSlowLine[(c.sent - head) % line];
    ssize_t w = send(c.fd, &b, 1, MSG_NOSIGNAL);
    if (w != 1) {
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        timers_.push({due + 1'000'000, i, c.gen, TimerKind::kSend});
        return;
      }
      closedByServer(i, monoUs());
      return;
    }
    ++c.sent;
    ++c_.slowBytesSent;
    timers_.push({due + 1'000'000, i, c.gen, TimerKind::kSend});
  }

  void onEvent(uint32_t i, uint32_t events, int64_t now) {
    Conn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.state == State::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
        drop(i);
        connectFailed(i, err != 0 ? err : ECONNRESET, now);
        return;
      }
      if (!(events & EPOLLOUT)) return;
      connected(i, now);
      if (c.fd < 0 || !(events & EPOLLIN)) return;
    }
    char buf[4096];
    while (true) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        onBytes(i, buf, static_cast<size_t>(n), now);
        if (c.fd < 0) return;
        if (static_cast<size_t>(n) < sizeof buf) return;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      closedByServer(i, now);  // EOF or reset
      return;
    }
  }

  void onBytes(uint32_t i, const char* p, size_t n, int64_t now) {
    Conn& c = conns_[i];
    (void)now;
    if (c.kind == Kind::kSlow) {
      // Only the status line matters (a 408 when the server times the header out).
      if (c.statusSeen) return;
      c.in.append(p, std::min<size_t>(n, 64));
      if (c.in.size() < 12) return;
      c.statusSeen = true;
      int status = c.in.rfind("HTTP/1.", 0) == 0 ? std::atoi(c.in.c_str() + 9) : 0;
      if (status == 408)
        ++c_.slow408;
      else
        ++c_.slowOtherStatus;
      c.in.clear();
      return;
    }
    if (c.state != State::kAwaiting) {
      c_.idleUnexpectedBytes += static_cast<long>(n);
      return;
    }
    c.in.append(p, n);
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    long length = 0;
    std::string head = c.in.substr(0, end + 2);
    for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t at = head.find("\r\ncontent-length:");
    if (at != std::string::npos) length = std::strtol(head.c_str() + at + 17, nullptr, 10);
    if (c.in.size() < end + 4 + static_cast<size_t>(std::max(0L, length))) return;
    int status = c.in.rfind("HTTP/1.", 0) == 0 ? std::atoi(c.in.c_str() + 9) : 0;
    ++c_.idleAnswers;
    if (status != 200) ++c_.idleNon200;
    c.in.clear();
    c.in.shrink_to_fit();
    c.state = State::kOpen;
    --idleAwaiting_;
    ++idleOpen_;
  }

  void report(int64_t ranUs) {
    std::printf("idle_target %d\n", idle_);
    std::printf("idle_open %d\n", idleOpen_);
    std::printf("idle_awaiting_answer %d\n", idleAwaiting_);
    std::printf("idle_open_min %d\n", establishedUs_ >= 0 ? idleOpenMin_ : idleOpen_);
    std::printf("idle_answers %ld\n", c_.idleAnswers);
    std::printf("idle_non_200 %ld\n", c_.idleNon200);
    std::printf("idle_closed_by_server %ld\n", c_.idleClosedByServer);
    std::printf("idle_unexpected_bytes %ld\n", c_.idleUnexpectedBytes);
    std::printf("slowloris_target %d\n", slow_);
    std::printf("slowloris_open %d\n", slowOpen_);
    std::printf("slowloris_open_min %d\n", establishedUs_ >= 0 ? slowOpenMin_ : slowOpen_);
    std::printf("slowloris_408 %ld\n", c_.slow408);
    std::printf("slowloris_other_status %ld\n", c_.slowOtherStatus);
    std::printf("slowloris_closed_by_server %ld\n", c_.slowClosedByServer);
    std::printf("slowloris_bytes_sent %ld\n", c_.slowBytesSent);
    std::printf("connects %ld\n", c_.connects);
    std::printf("connect_errors %ld\n", c_.connectErrors);
    std::printf("established %d\n", establishedUs_ >= 0 ? 1 : 0);
    std::printf("ran_ms %lld\n", static_cast<long long>(ranUs / 1000));
    std::fflush(stdout);
  }

  sockaddr_in addr_;
  int ep_ = -1;
  int batch_;
  int idle_, slow_;
  std::vector<Conn> conns_;
  std::deque<uint32_t> ready_;  // to connect now, in order
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::set<int> errorsSeen_;
  Counts c_;
  int connecting_ = 0, idleAwaiting_ = 0, idleOpen_ = 0, slowOpen_ = 0;
  int idleOpenMin_ = 1 << 30, slowOpenMin_ = 1 << 30;
  int64_t establishedUs_ = -1;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0, idle = 1000, slow = 100, seconds = 30, batch = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port")
      port = std::atoi(argv[i + 1]);
    else if (a == "--idle")
      idle = std::max(0, std::atoi(argv[i + 1]));
    else if (a == "--slowloris")
      slow = std::max(0, std::atoi(argv[i + 1]));
    else if (a == "--seconds")
      seconds = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--batch")
      batch = std::max(1, std::atoi(argv[i + 1]));
  }
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr,
                 "usage: conn_bench --port P [--idle N] [--slowloris M] [--seconds S] "
                 "[--batch B]\n");
    return 2;
  }
  // One descriptor per connection, plus a margin (stdio, epoll).
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  const rlim_t need = static_cast<rlim_t>(idle) + static_cast<rlim_t>(slow) + 64;
  if (rl.rlim_max != RLIM_INFINITY && need > rl.rlim_max) {
    std::fprintf(stderr,
                 "conn_bench: %d idle + %d slowloris connections need %llu open files; the hard "
                 "limit is %llu (ulimit -Hn): raise it or ask for fewer connections\n",
                 idle, slow, static_cast<unsigned long long>(need),
                 static_cast<unsigned long long>(rl.rlim_max));
    return 2;
  }
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      std::fprintf(stderr, "conn_bench: raising the open-files limit: %s\n", std::strerror(errno));
      return 2;
    }
  }
  std::printf("fd_limit %llu\n", static_cast<unsigned long long>(rl.rlim_cur));
  std::fflush(stdout);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  Bench b(port, idle, slow, batch);
  if (!b.ok()) {
    std::fprintf(stderr, "conn_bench: epoll_create1: %s\n", std::strerror(errno));
    return 1;
  }
  return b.run(seconds);
}
