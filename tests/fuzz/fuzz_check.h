// Helpers the libFuzzer targets share: a failed invariant aborts (libFuzzer then keeps the input
// as a crash), and inputs are read as readable text so seed corpora can be written by hand.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace dispatch::fuzz {

// Aborts with `what` when an invariant does not hold; `detail` (escaped) says on what value.
inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::string shown;
  for (const char c : detail.substr(0, 400)) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7F && b != '\\') {
      shown += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", b);
      shown += buf;
    }
  }
  std::fprintf(stderr, "invariant violated: %s\n  on: %s\n", what, shown.c_str());
  std::abort();
}

// Takes the text up to the first `sep` (dropping it) off the front of `in`; all of `in` when
// there is none.
inline std::string_view takeUntil(std::string_view& in, char sep) {
  const size_t at = in.find(sep);
  const std::string_view head = in.substr(0, at);
  in.remove_prefix(at == std::string_view::npos ? in.size() : at + 1);
  return head;
}

}  // namespace dispatch::fuzz
