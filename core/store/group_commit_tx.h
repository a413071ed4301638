// Store-internal: the transaction a GroupCommitter item writes into.
#pragma once

#include <algorithm>
#include <optional>

#include "core/store/connection.h"
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

}  // namespace dispatch::store
