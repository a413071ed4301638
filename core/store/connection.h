// Store-internal: the concrete connection type behind the forward-declared Connection.
#pragma once

#include <pqxx/pqxx>
#include <set>
#include <string>

namespace dispatch::store {

class Connection : public pqxx::connection {
 public:
  using pqxx::connection::connection;

  // Prepares `sql` under `name` once per connection (hot statements skip parse and plan).
  const std::string& prepared(const std::string& name, const std::string& sql) {
    if (prepared_.insert(name).second) prepare(name, sql);
    return name;
  }

 private:
  std::set<std::string> prepared_;
};

}  // namespace dispatch::store
