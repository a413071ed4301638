// Connection pool and exception translation for libpqxx 6.4.
#include "core/store/db.h"

#include "core/store/connection.h"
#include "core/store/sealer.h"
#include "core/util/log.h"

namespace dispatch::store {

Status statusFromCurrentException(const char* what) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return Status(Code::kUnavailable, "database unavailable");
  } catch (const pqxx::unique_violation& e) {
    return Status(Code::kConflict, "already exists");
  } catch (const pqxx::in_doubt_error& e) {
    return Status(Code::kUnavailable, "database commit in doubt");
  } catch (const pqxx::sql_error& e) {
    // The SQL state names the failure without echoing parameters.
    std::string state = e.sqlstate();
    if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03") {
      return Status(Code::kUnavailable, "database unavailable");
    }
    log::error("database error", {{"op", what}, {"sqlstate", state}});
    return Status(Code::kInternal, "database error");
  } catch (const SealError& e) {
    log::error("stored value does not open", {{"op", what}, {"error", e.what()}});
    return Status(Code::kInternal, "a stored value could not be decrypted");
  } catch (const std::exception& e) {
    log::error("store error", {{"op", what}, {"error", e.what()}});
    return Status(Code::kInternal, "internal error");
  }
}

void Db::setSealer(std::shared_ptr<const Sealer> sealer) {
  std::lock_guard<std::mutex> g(sealerMu_);
  sealer_ = std::move(sealer);
}

std::shared_ptr<const Sealer> Db::sealer() const {
  if (sealerSource_ != nullptr) return sealerSource_->sealer();
  std::lock_guard<std::mutex> g(sealerMu_);
  return sealer_;
}

std::unique_ptr<Connection> openConnection(const std::string& url, Status* status) {
  try {
    auto c = std::make_unique<Connection>(url);
    *status = Status::ok();
    return c;
  } catch (...) {
    *status = Status(Code::kUnavailable, "database unavailable");
    return nullptr;
  }
}

Db::Db(std::string url, int size) : url_(std::move(url)), size_(size < 1 ? 1 : size) {}

Db::~Db() = default;

std::unique_ptr<Connection> Db::acquire(std::chrono::milliseconds wait, Status* status) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, wait, [&] { return !idle_.empty() || created_ < size_; })) {
    *status = Status(Code::kUnavailable, "database pool exhausted");
    return nullptr;
  }
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    *status = Status::ok();
    return c;
  }
  ++created_;
  lock.unlock();
  auto c = openConnection(url_, status);
  if (!c) {
    std::lock_guard<std::mutex> g(mu_);
    --created_;
    cv_.notify_one();
  }
  return c;
}

void Db::release(std::unique_ptr<Connection> c, bool broken) {
  std::lock_guard<std::mutex> g(mu_);
  if (broken || !c->is_open()) {
    --created_;
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

Status Db::run(const std::function<void(Connection&)>& fn, std::chrono::milliseconds wait) {
  Status st;
  auto c = acquire(wait, &st);
  if (!c) return st;
  bool broken = false;
  try {
    fn(*c);
  } catch (...) {
    st = statusFromCurrentException("query");
    broken = st.code() == Code::kUnavailable || !c->is_open();
  }
  release(std::move(c), broken);
  return st;
}

bool Db::ping() {
  Status st = run(
      [](Connection& c) {
        pqxx::nontransaction tx(c);
        tx.exec("SELECT 1");
      },
      std::chrono::milliseconds(2000));
  return st.isOk();
}

}  // namespace dispatch::store
