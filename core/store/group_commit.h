// Group commit: callers hand their writes to a few writer threads that run many callers'
// work in one transaction, so one WAL flush (fsync) serves the whole batch. A batch takes
// whatever is queued when a writer becomes free: no fixed linger, so a lone request is not
// delayed and a busy server commits large batches. Durable: callers return only after the
// commit, with its Status.
//
// Wake-ups for other nodes (NOTIFY dispatch_due) are sent after the commit from a notifier
// thread of their own, coalesced: PostgreSQL serialises the commits of every transaction
// that notifies (a database-wide lock held through the WAL flush), so notifying inside the
// batch would let only one writer's fsync run at a time. A wake-up lost in a crash between
// commit and NOTIFY only waits for the other nodes' safety poll.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/store/db.h"
#include "core/util/time.h"

namespace dispatch::store {

// Store-internal view of the shared transaction (defined in group_commit_tx.h).
class BatchTx;

class GroupCommitter {
 public:
  // `writers` threads, each committing at most `maxBatch` items per transaction.
  GroupCommitter(Db& db, int writers = 2, int maxBatch = 512);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs `work` in a shared transaction and waits for the commit. If the batch fails, each
  // item is retried alone, so `work` must only write (and record results in its captures)
  // and may run twice; an item whose own run throws gets that error's Status.
  Status submit(std::function<void(BatchTx&)> work);
  // As submit, without waiting: `done` runs once with the commit's Status, on a writer
  // thread right after the commit (or at once, on this thread, when shutting down). It must
  // be quick and must not submit and wait: a writer is held while it runs.
  void submitAsync(std::function<void(BatchTx&)> work, std::function<void(Status)> done);

 private:
  struct Item {
    std::function<void(BatchTx&)> work;
    std::function<void(Status)> done;
  };
  void writerLoop();
  static void finish(Item* item, const Status& st);  // runs its completion, then frees it
  void commitBatch(std::vector<Item*>& batch);
  void notifierLoop();
  void postDue(TimeMs due);

  Db& db_;
  int maxBatch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;

  std::mutex notifyMu_;
  std::condition_variable notifyCv_;
  std::optional<TimeMs> pendingDue_;  // earliest due time not yet announced
  bool notifierStopping_ = false;
  std::thread notifier_;
};

}  // namespace dispatch::store
