// Shared row readers for the store (internal to core/store/).
#pragma once

#include <string>
#include <vector>

#include "core/model/delivery.h"
#include "core/store/connection.h"

namespace dispatch::store {

// The attempt log of a delivery, newest first.
std::vector<model::Attempt> readAttempts(pqxx::transaction_base& tx, const std::string& deliveryId);

}  // namespace dispatch::store
