// Lua 5.4 patterns (reference manual §6.4.1) matched under a step budget. Lua's own matcher runs
// in C where the instruction hook never fires, so a backtracking pattern on hostile text could
// hold a worker thread for minutes; this one counts its work and gives up when the budget is
// spent. Plain C++, no Lua types: lua_string_match.cc binds it to string.find/match/gmatch/gsub.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dispatch::transform::internal {

// Matches one pattern against one subject, any number of times (each match() is one attempt at
// one position). Supported: single-character classes (`.`, `%a %c %d %g %l %p %s %u %w %x` and
// their upper-case complements, `%` + non-alphanumeric, sets `[...]` with ranges, classes and
// `^`), quantifiers `* + - ?`, `$` as the pattern's last character, captures `(...)` and `()`,
// back-references `%1`-`%9`, `%bxy` and `%f[set]`. A leading `^` is NOT special here: callers
// that anchor strip it first (gmatch, like Lua 5.4, does not).
//
// Cost model: one step per matcher call (each backtrack), per single-character test, per item
// of a set examined, per byte scanned by `%b`, compared by a back-reference, or of a set's text
// skipped; a plain search costs one step per candidate position, per byte compared and per 16
// bytes memchr skips. Nesting is capped at kMaxDepth calls ("pattern too complex"), so the C
// stack stays bounded whatever the pattern.
//
// Trivially destructible and never allocates, so a Lua error may unwind past it.
class PatternMatcher {
 public:
  static constexpr int kMaxCaptures = 32;  // as Lua's LUA_MAXCAPTURES
  static constexpr int kMaxDepth = 200;    // as lstrlib's MAXCCALLS
  static constexpr size_t kNoMatch = SIZE_MAX;

  enum class Failure {
    kNone,
    kBudget,  // the step budget ran out
    kError,   // malformed pattern or invalid capture use; see message()
  };

  // A capture's value: the bytes [start, start + length) of the subject, or for a position
  // capture `()` the 1-based position start + 1.
  struct Capture {
    size_t start = 0;
    size_t length = 0;
    bool position = false;
  };

  // `subject` and `pattern` are borrowed and must outlive the matcher. Steps beyond
  // `stepBudget` fail the matcher with kBudget.
  PatternMatcher(std::string_view subject, std::string_view pattern, int64_t stepBudget)
      : subject_(subject), pattern_(pattern), budget_(stepBudget) {}

  // One attempt to match the whole pattern starting exactly at subject offset `at`
  // (at <= subject.size()). Returns the offset just past the match, or kNoMatch when there is
  // none or the matcher failed (then failure() says why; a failed matcher stays failed).
  size_t match(size_t at);

  // Finds the pattern's bytes literally (no specials) at or after subject offset `from`
  // (from <= subject.size()). Returns the offset of the first occurrence or kNoMatch.
  size_t findPlain(size_t from);

  // Captures of the last successful match(); 0 when the pattern has none.
  int captureCount() const { return level_; }

  // Capture `i` (0-based) of the last successful match, which spanned [s, e). As in Lua,
  // capture 0 of a pattern without captures is the whole match. False, with failure() kError,
  // for an index the pattern does not have or a capture left open.
  bool capture(int i, size_t s, size_t e, Capture* out);

  Failure failure() const { return failure_; }
  const char* message() const { return message_; }

  // Steps counted since construction or the last resetSteps().
  int64_t steps() const { return steps_; }
  // Adds work done on the matcher's behalf (e.g. expanding a gsub replacement).
  void addSteps(int64_t n) { steps_ += n; }
  // Starts counting afresh against a new budget (the caller has charged the steps so far).
  void resetSteps(int64_t stepBudget) {
    steps_ = 0;
    budget_ = stepBudget;
  }

 private:
  struct Slot {
    size_t start;
    ptrdiff_t length;  // >= 0, or kOpen / kPositionSlot (lua_pattern.cc)
  };

  size_t matchFrom(size_t s, size_t p);
  size_t matchLoop(size_t s, size_t p);
  size_t classEnd(size_t p);
  bool singleMatch(size_t s, size_t p, size_t ep);
  bool setMatch(unsigned char c, size_t p, size_t ec);
  size_t maxExpand(size_t s, size_t p, size_t ep);
  size_t minExpand(size_t s, size_t p, size_t ep);
  size_t startCapture(size_t s, size_t p, ptrdiff_t kind);
  size_t endCapture(size_t s, size_t p);
  size_t matchBalance(size_t s, size_t p);
  size_t matchBackReference(size_t s, char digit);
  size_t matchFrontier(size_t s, size_t p, size_t* next);
  size_t fail(const char* message);
  size_t failCaptureIndex(int index);
  size_t outOfSteps();

  std::string_view subject_;
  std::string_view pattern_;
  int64_t steps_ = 0;
  int64_t budget_;
  int level_ = 0;  // captures started in the current attempt
  int depth_ = 0;  // nested matchFrom() calls
  Failure failure_ = Failure::kNone;
  Slot slots_[kMaxCaptures] = {};
  char message_[64] = {};
};

}  // namespace dispatch::transform::internal
