// Row readers shared by the job and delivery stores.
#include "core/store/row_mapping.h"

namespace dispatch::store {

std::vector<model::Attempt> readAttempts(pqxx::transaction_base& tx,
                                         const std::string& deliveryId) {
  std::vector<model::Attempt> out;
  auto r = tx.exec_params(
      "SELECT id, attempt, status, response_code, response_body, ts_to_ms(fired_at), "
      "duration_ms, error FROM attempts WHERE delivery_id = $1 ORDER BY attempt DESC, fired_at "
      "DESC",
      deliveryId);
  for (const auto& row : r) {
    model::Attempt a;
    a.id = row[0].c_str();
    a.attempt = row[1].as<int>();
    a.success = model::parseState(row[2].c_str()) == model::State::kSuccess;
    if (!row[3].is_null()) a.responseCode = row[3].as<long long>();
    if (!row[4].is_null()) a.responseBody = row[4].c_str();
    a.firedAt = row[5].as<long long>();
    a.durationMs = row[6].as<long long>();
    if (!row[7].is_null()) a.error = row[7].c_str();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace dispatch::store
