// Shared row readers for the store (internal to core/store/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model/delivery.h"
#include "core/model/job.h"
#include "core/store/connection.h"

namespace dispatch::store {

class Sealer;

// A nullable column as an optional, and an optional as a nullable query parameter.
std::optional<std::string> optStr(const pqxx::field& f);
inline const char* orNull(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

// The attempt log of a delivery of `projectId`, newest first, response bodies opened.
std::vector<model::Attempt> readAttempts(pqxx::transaction_base& tx, const std::string& deliveryId,
                                         const Sealer* sealer, const std::string& projectId);

// Inserts a job and its SCHEDULED delivery in one statement, unless a job with the same
// Idempotency-Key or the same schedule tick exists: true when inserted.
// Its payload and headers sealed when `sealer` seals the job's project.
bool insertJob(Connection& c, pqxx::transaction_base& tx, const model::NewJob& nj,
               const Sealer* sealer);

// The columns a job is read with (jobFromRow), then FROM/JOINs; append WHERE … to it.
extern const char* const kJobSelect;
model::Job jobFromRow(const pqxx::row& r, const Sealer* sealer);

}  // namespace dispatch::store
