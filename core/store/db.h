// A bounded pool of PostgreSQL connections and the one place pqxx errors become Status.
// Only core/store/ includes libpqxx; other modules call the typed stores.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/util/status.h"

namespace dispatch::store {

// A libpqxx connection; defined in core/store/connection.h (store-internal).
class Connection;
class Sealer;  // core/store/sealer.h

// Thread-safe. Connections are created lazily up to `size` and re-created after a broken
// connection. The pool must outlive every lease.
class Db {
 public:
  Db(std::string url, int size);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs `fn` with a connection of its own. pqxx exceptions are turned into Status:
  // broken connections → kUnavailable, unique violations → kConflict, everything else
  // → kInternal (logged without SQL parameters). Waits at most `wait` for a free slot.
  Status run(const std::function<void(Connection&)>& fn,
             std::chrono::milliseconds wait = std::chrono::milliseconds(5000));

  // True when a trivial query answers within the pool's wait.
  bool ping();

  const std::string& url() const { return url_; }

  // Encryption at rest: what the stores over this pool seal and open with (sealer.h). Null
  // (the default): rows are written in plaintext, and a sealed row does not open.
  void setSealer(std::shared_ptr<const Sealer> sealer);
  std::shared_ptr<const Sealer> sealer() const;
  // A pool of its own that seals as `other` does, now and after each setSealer of `other`
  // (the scheduler's dedicated connection); `other` outlives this pool.
  void useSealerOf(const Db& other) { sealerSource_ = &other; }

 private:
  std::unique_ptr<Connection> acquire(std::chrono::milliseconds wait, Status* status);
  void release(std::unique_ptr<Connection> c, bool broken);

  std::string url_;
  mutable std::mutex sealerMu_;
  std::shared_ptr<const Sealer> sealer_;
  const Db* sealerSource_ = nullptr;
  int size_;
  int created_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// Opens a dedicated connection (for LISTEN, the scheduler). Throws nothing; null + status.
std::unique_ptr<Connection> openConnection(const std::string& url, Status* status);

// Translates the exception in flight (call inside catch(...)) into a Status.
Status statusFromCurrentException(const char* what);

}  // namespace dispatch::store
