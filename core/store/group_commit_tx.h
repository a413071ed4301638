// Store-internal: the transaction a GroupCommitter item writes into.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/store/connection.h"
#include "core/store/db.h"
#include "core/util/time.h"

namespace dispatch::store {

class BatchTx {
 public:
  // Rows items add instead of writing at once; written together, in one statement per kind,
  // after every item of the batch ran and before the commit.
  class Deferred {
   public:
    virtual ~Deferred() = default;
    virtual void flush(BatchTx& b) = 0;
  };

  BatchTx(Connection& conn, pqxx::work& tx) : conn_(conn), tx_(tx) {}
  // The batch's accumulator of type T (created on first use).
  template <class T>
  T& deferred() {
    for (auto& d : deferred_) {
      if (auto* t = dynamic_cast<T*>(d.get())) return *t;
    }
    deferred_.push_back(std::make_unique<T>());
    return static_cast<T&>(*deferred_.back());
  }
  void flushDeferred() {
    for (auto& d : deferred_) d->flush(*this);
  }
  Connection& conn() { return conn_; }
  pqxx::work& tx() { return tx_; }
  // Asks for one NOTIFY dispatch_due after the batch (earliest due time wins).
  void notifyDue(TimeMs due) { due_ = due_ ? std::min(*due_, due) : due; }
  std::optional<TimeMs> due() const { return due_; }

 private:
  Connection& conn_;
  pqxx::work& tx_;
  std::optional<TimeMs> due_;
  std::vector<std::unique_ptr<Deferred>> deferred_;
};

class GroupCommitter;

// Runs `work` group-committed when `committer` is set, else in a transaction of its own;
// either way the NOTIFY it asked for goes out with the commit.
Status runWrite(Db& db, GroupCommitter* committer, const std::function<void(BatchTx&)>& work);
// As runWrite without waiting for a committer: `done` runs after the commit on a writer
// thread (GroupCommitter::submitAsync). Without a committer it runs here, at once.
void runWriteAsync(Db& db, GroupCommitter* committer, std::function<void(BatchTx&)> work,
                   std::function<void(Status)> done);

}  // namespace dispatch::store
