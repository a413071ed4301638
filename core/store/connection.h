// Store-internal: the concrete connection type behind the forward-declared Connection.
#pragma once

#include <pqxx/pqxx>

namespace dispatch::store {

class Connection : public pqxx::connection {
 public:
  using pqxx::connection::connection;
};

}  // namespace dispatch::store
