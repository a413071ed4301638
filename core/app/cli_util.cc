// The CLI's shared error reporting and input reading.
#include "core/app/cli_util.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace dispatch::app {

int usageError(const std::string& msg, const char* usage) {
  std::fprintf(stderr, "dispatch: %s\n%s", msg.c_str(), usage);
  return 2;
}

int userError(const std::string& msg) {
  std::fprintf(stderr, "dispatch: %s\n", msg.c_str());
  return 1;
}

std::optional<std::string> readInput(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return std::nullopt;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

}  // namespace dispatch::app
