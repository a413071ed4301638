// Writer threads of the group committer.
#include "core/store/group_commit.h"

#include <chrono>

#include "core/store/group_commit_tx.h"
#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::store {

GroupCommitter::GroupCommitter(Db& db, int writers, int maxBatch)
    : db_(db), maxBatch_(maxBatch < 1 ? 1 : maxBatch) {
  for (int i = 0; i < (writers < 1 ? 1 : writers); ++i) {
    threads_.emplace_back([this] { writerLoop(); });
  }
  notifier_ = std::thread([this] { notifierLoop(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  for (auto& t : threads_) t.join();
  // Nothing can be left: writers drain the queue before they exit. Then the last wake-up.
  {
    std::lock_guard<std::mutex> g(notifyMu_);
    notifierStopping_ = true;
    notifyCv_.notify_all();
  }
  notifier_.join();
}

void GroupCommitter::postDue(TimeMs due) {
  std::lock_guard<std::mutex> g(notifyMu_);
  pendingDue_ = pendingDue_ ? std::min(*pendingDue_, due) : due;
  notifyCv_.notify_one();
}

void GroupCommitter::notifierLoop() {
  while (true) {
    TimeMs due;
    {
      std::unique_lock<std::mutex> lock(notifyMu_);
      notifyCv_.wait(lock, [&] { return notifierStopping_ || pendingDue_.has_value(); });
      if (!pendingDue_) return;  // stopping, nothing left to announce
      due = *pendingDue_;
      pendingDue_.reset();
    }
    // Autocommit, no write: the notifying transaction holds the NOTIFY lock only briefly.
    // While this one is in flight, later posts coalesce into the next.
    Status st = db_.run([&](Connection& c) {
      pqxx::nontransaction tx(c);
      tx.exec_params("SELECT pg_notify('dispatch_due', $1)", std::to_string(due));
    });
    if (!st) log::warn("due notification failed", {{"error", st.message()}});
  }
}

void GroupCommitter::finish(Item* item, const Status& st) {
  // A completion that throws must not take the writer (and the rest of its batch) with it.
  try {
    item->done(st);
  } catch (const std::exception& e) {
    log::error("commit completion failed", {{"error", e.what()}});
  }
  delete item;
}

Status GroupCommitter::submit(std::function<void(BatchTx&)> work) {
  std::promise<Status> promise;
  std::future<Status> f = promise.get_future();
  submitAsync(std::move(work), [&promise](Status st) { promise.set_value(std::move(st)); });
  return f.get();
}

void GroupCommitter::submitAsync(std::function<void(BatchTx&)> work,
                                 std::function<void(Status)> done) {
  auto* item = new Item{std::move(work), std::move(done)};
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!stopping_) {
      queue_.push_back(item);
      item = nullptr;
    }
  }
  if (item != nullptr) {
    finish(item, Status(Code::kUnavailable, "shutting down"));
    return;
  }
  cv_.notify_one();
}

void GroupCommitter::writerLoop() {
  std::vector<Item*> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && static_cast<int>(batch.size()) < maxBatch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      // Leave the rest to another writer, so two transactions can be in flight.
      if (!queue_.empty()) cv_.notify_one();
    }
    commitBatch(batch);
    batch.clear();
  }
}

namespace {

// Runs items in one transaction; throws on any failure. The wake-up the items asked for is
// sent inside the transaction when `notifyInTx` (a lone writer, e.g. the CLI, which may exit
// right after), else returned for the notifier thread.
std::optional<TimeMs> runTogether(Connection& c,
                                  const std::vector<const std::function<void(BatchTx&)>*>& works,
                                  bool notifyInTx) {
  pqxx::work tx(c);
  BatchTx btx(c, tx);
  for (auto* w : works) (*w)(btx);
  btx.flushDeferred();
  if (notifyInTx && btx.due()) {
    tx.exec_params("SELECT pg_notify('dispatch_due', $1)", std::to_string(*btx.due()));
  }
  tx.commit();
  return notifyInTx ? std::nullopt : btx.due();
}

}  // namespace

Status runWrite(Db& db, GroupCommitter* committer, const std::function<void(BatchTx&)>& work) {
  if (committer != nullptr) return committer->submit(work);
  return db.run([&](Connection& c) {
    std::vector<const std::function<void(BatchTx&)>*> one{&work};
    runTogether(c, one, true);
  });
}

void runWriteAsync(Db& db, GroupCommitter* committer, std::function<void(BatchTx&)> work,
                   std::function<void(Status)> done) {
  if (committer != nullptr) {
    committer->submitAsync(std::move(work), std::move(done));
    return;
  }
  done(runWrite(db, nullptr, work));
}

void GroupCommitter::commitBatch(std::vector<Item*>& batch) {
  std::vector<const std::function<void(BatchTx&)>*> works;
  works.reserve(batch.size());
  for (Item* it : batch) works.push_back(&it->work);
  auto t0 = std::chrono::steady_clock::now();
  std::optional<TimeMs> due;
  Status st = db_.run([&](Connection& c) { due = runTogether(c, works, false); });
  if (st.isOk() && due) postDue(*due);
  metrics::global().storeCommitLatency.observeMs(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  if (st.isOk() || batch.size() == 1 || st.code() == Code::kUnavailable) {
    for (Item* it : batch) finish(it, st);
    return;
  }
  // One item spoiled the batch: give every item its own transaction and its own answer.
  for (Item* it : batch) {
    std::vector<const std::function<void(BatchTx&)>*> one{&it->work};
    std::optional<TimeMs> oneDue;
    Status oneSt = db_.run([&](Connection& c) { oneDue = runTogether(c, one, false); });
    if (oneSt.isOk() && oneDue) postDue(*oneDue);
    finish(it, oneSt);
  }
}

}  // namespace dispatch::store
