// Store-internal: the transaction a GroupCommitter item writes into.
#pragma once

#include <algorithm>
#include <optional>

#include <functional>

#include "core/store/connection.h"
#include "core/store/db.h"
#include "core/util/time.h"

namespace dispatch::store {

class BatchTx {
 public:
  BatchTx(Connection& conn, pqxx::work& tx) : conn_(conn), tx_(tx) {}
  Connection& conn() { return conn_; }
  pqxx::work& tx() { return tx_; }
  // Asks for one NOTIFY dispatch_due after the batch (earliest due time wins).
  void notifyDue(TimeMs due) { due_ = due_ ? std::min(*due_, due) : due; }
  std::optional<TimeMs> due() const { return due_; }

 private:
  Connection& conn_;
  pqxx::work& tx_;
  std::optional<TimeMs> due_;
};

class GroupCommitter;

// Runs `work` group-committed when `committer` is set, else in a transaction of its own;
// either way the NOTIFY it asked for goes out with the commit.
Status runWrite(Db& db, GroupCommitter* committer, const std::function<void(BatchTx&)>& work);

}  // namespace dispatch::store
