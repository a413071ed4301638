// The pattern matcher: a backtracking matcher over byte offsets, following the semantics of the
// Lua 5.4 reference manual §6.4.1, with every unit of work counted against a budget. Internal
// results are offsets, kNoMatch (try the next alternative) or kAbort (a failure: unwind).
#include "core/transform/lua_pattern.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

namespace dispatch::transform::internal {
namespace {

static_assert(std::is_trivially_destructible_v<PatternMatcher>,
              "a Lua error longjmps past matchers");

constexpr size_t kAbort = PatternMatcher::kNoMatch - 1;
constexpr ptrdiff_t kOpen = -1;          // capture started, not yet closed
constexpr ptrdiff_t kPositionSlot = -2;  // position capture `()`
constexpr char kEscape = '%';

bool failed(size_t r) { return r >= kAbort; }  // kNoMatch or kAbort

// Character classes as in the C locale, whatever locale the process has set.
bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isLower(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool isUpper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
bool isAlpha(unsigned char c) { return isLower(c) || isUpper(c); }
bool isAlnum(unsigned char c) { return isAlpha(c) || isDigit(c); }
bool isGraph(unsigned char c) { return c > ' ' && c < 127; }

bool classMatch(unsigned char c, unsigned char cls) {
  bool in = false;
  switch (isUpper(cls) ? cls - 'A' + 'a' : cls) {
    case 'a':
      in = isAlpha(c);
      break;
    case 'c':
      in = c < ' ' || c == 127;
      break;
    case 'd':
      in = isDigit(c);
      break;
    case 'g':
      in = isGraph(c);
      break;
    case 'l':
      in = isLower(c);
      break;
    case 'p':
      in = isGraph(c) && !isAlnum(c);
      break;
    case 's':
      in = c == ' ' || (c >= '\t' && c <= '\r');
      break;
    case 'u':
      in = isUpper(c);
      break;
    case 'w':
      in = isAlnum(c);
      break;
    case 'x':
      in = isDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
      break;
    default:
      return cls == c;  // `%` before any other character stands for that character
  }
  return isUpper(cls) ? !in : in;
}

}  // namespace

size_t PatternMatcher::match(size_t at) {
  if (failure_ != Failure::kNone) return kNoMatch;
  level_ = 0;
  depth_ = 0;
  const size_t r = matchFrom(at, 0);
  return failed(r) ? kNoMatch : r;
}

size_t PatternMatcher::findPlain(size_t from) {
  if (failure_ != Failure::kNone) return kNoMatch;
  const size_t m = pattern_.size();
  const size_t n = subject_.size();
  if (m == 0) return from;
  if (m > n - from) return kNoMatch;
  const size_t last = n - m;  // the last offset where the needle fits
  for (size_t i = from; i <= last;) {
    const void* hit = std::memchr(subject_.data() + i, pattern_[0], last - i + 1);
    const size_t at = hit != nullptr ? static_cast<const char*>(hit) - subject_.data() : last + 1;
    steps_ += static_cast<int64_t>((at - i) / 16 + 1);
    if (hit == nullptr) break;
    size_t k = 1;
    while (k < m && subject_[at + k] == pattern_[k]) ++k;
    steps_ += static_cast<int64_t>(k);
    if (steps_ > budget_) break;
    if (k == m) return at;
    i = at + 1;
  }
  if (steps_ > budget_) outOfSteps();
  return kNoMatch;
}

bool PatternMatcher::capture(int i, size_t s, size_t e, Capture* out) {
  if (i >= level_) {
    if (i != 0) {
      failCaptureIndex(i + 1);
      return false;
    }
    *out = Capture{s, e - s, false};
    return true;
  }
  const Slot& slot = slots_[i];
  if (slot.length == kOpen) {
    fail("unfinished capture");
    return false;
  }
  if (slot.length == kPositionSlot) {
    *out = Capture{slot.start, 0, true};
  } else {
    *out = Capture{slot.start, static_cast<size_t>(slot.length), false};
  }
  return true;
}

// Every nested call goes through here, so the depth cap bounds the C stack.
size_t PatternMatcher::matchFrom(size_t s, size_t p) {
  if (depth_ == kMaxDepth) return fail("pattern too complex");
  ++depth_;
  const size_t r = matchLoop(s, p);
  --depth_;
  return r;
}

// Matches pattern_[p..] at subject offset s. Items that cannot backtrack advance in the loop;
// those that can (quantifiers, captures) recurse for the rest of the pattern.
size_t PatternMatcher::matchLoop(size_t s, size_t p) {
  const size_t n = pattern_.size();
  for (;;) {
    if (++steps_ > budget_) return outOfSteps();
    if (p == n) return s;
    switch (pattern_[p]) {
      case '(':
        if (p + 1 < n && pattern_[p + 1] == ')') return startCapture(s, p + 2, kPositionSlot);
        return startCapture(s, p + 1, kOpen);
      case ')':
        return endCapture(s, p + 1);
      case '$':
        if (p + 1 == n) return s == subject_.size() ? s : kNoMatch;
        break;  // elsewhere a `$` is an ordinary character
      case kEscape:
        if (p + 1 >= n) break;  // classEnd reports the malformed pattern
        if (pattern_[p + 1] == 'b') {
          s = matchBalance(s, p + 2);
          if (failed(s)) return s;
          p += 4;
          continue;
        }
        if (pattern_[p + 1] == 'f') {
          const size_t r = matchFrontier(s, p + 2, &p);
          if (failed(r)) return r;
          continue;
        }
        if (isDigit(static_cast<unsigned char>(pattern_[p + 1]))) {
          s = matchBackReference(s, pattern_[p + 1]);
          if (failed(s)) return s;
          p += 2;
          continue;
        }
        break;
      default:
        break;
    }
    const size_t ep = classEnd(p);
    if (ep == kAbort) return kAbort;
    const char quantifier = ep < n ? pattern_[ep] : '\0';
    if (!singleMatch(s, p, ep)) {
      if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
        p = ep + 1;  // zero repetitions are fine
        continue;
      }
      return kNoMatch;
    }
    switch (quantifier) {
      case '?': {
        const size_t r = matchFrom(s + 1, ep + 1);
        if (r != kNoMatch) return r;
        p = ep + 1;
        continue;
      }
      case '+':
        return maxExpand(s + 1, p, ep);
      case '*':
        return maxExpand(s, p, ep);
      case '-':
        return minExpand(s, p, ep);
      default:
        ++s;
        p = ep;
        continue;
    }
  }
}

// The end of the single-character class starting at p.
size_t PatternMatcher::classEnd(size_t p) {
  const size_t n = pattern_.size();
  const char c = pattern_[p++];
  if (c == kEscape) {
    if (p >= n) return fail("malformed pattern (ends with '%')");
    return p + 1;
  }
  if (c != '[') return p;
  const size_t open = p;
  if (p < n && pattern_[p] == '^') ++p;
  do {  // the first character is a member even when it is `]`
    if (p >= n) return fail("malformed pattern (missing ']')");
    if (pattern_[p++] == kEscape && p < n) ++p;  // skips `%]` too
  } while (p >= n || pattern_[p] != ']');
  steps_ += static_cast<int64_t>(p - open);
  return p + 1;
}

bool PatternMatcher::singleMatch(size_t s, size_t p, size_t ep) {
  ++steps_;
  if (s >= subject_.size()) return false;
  const auto c = static_cast<unsigned char>(subject_[s]);
  switch (pattern_[p]) {
    case '.':
      return true;
    case kEscape:
      return classMatch(c, static_cast<unsigned char>(pattern_[p + 1]));
    case '[':
      return setMatch(c, p, ep - 1);
    default:
      return static_cast<unsigned char>(pattern_[p]) == c;
  }
}

// The set whose `[` is at p and `]` at ec.
bool PatternMatcher::setMatch(unsigned char c, size_t p, size_t ec) {
  bool member = true;  // what a hit means: false for a complemented set
  if (pattern_[p + 1] == '^') {
    member = false;
    ++p;
  }
  while (++p < ec) {
    ++steps_;
    const auto item = static_cast<unsigned char>(pattern_[p]);
    if (item == kEscape) {
      ++p;
      if (classMatch(c, static_cast<unsigned char>(pattern_[p]))) return member;
    } else if (pattern_[p + 1] == '-' && p + 2 < ec) {
      p += 2;
      if (item <= c && c <= static_cast<unsigned char>(pattern_[p])) return member;
    } else if (item == c) {
      return member;
    }
  }
  return !member;
}

// Greedy: takes as many repetitions as match, then gives them back one by one.
size_t PatternMatcher::maxExpand(size_t s, size_t p, size_t ep) {
  size_t count = 0;
  while (singleMatch(s + count, p, ep)) {
    ++count;
    if (steps_ > budget_) return outOfSteps();
  }
  for (;;) {
    const size_t r = matchFrom(s + count, ep + 1);
    if (r != kNoMatch || count == 0) return r;
    --count;
  }
}

// Lazy: tries the rest of the pattern before each further repetition.
size_t PatternMatcher::minExpand(size_t s, size_t p, size_t ep) {
  for (;;) {
    const size_t r = matchFrom(s, ep + 1);
    if (r != kNoMatch) return r;
    if (!singleMatch(s, p, ep)) return kNoMatch;
    ++s;
  }
}

size_t PatternMatcher::startCapture(size_t s, size_t p, ptrdiff_t kind) {
  if (level_ >= kMaxCaptures) return fail("too many captures");
  slots_[level_] = Slot{s, kind};
  ++level_;
  const size_t r = matchFrom(s, p);
  if (r == kNoMatch) --level_;
  return r;
}

// Closes the innermost capture still open.
size_t PatternMatcher::endCapture(size_t s, size_t p) {
  int l = level_ - 1;
  while (l >= 0 && slots_[l].length != kOpen) --l;
  if (l < 0) return fail("invalid pattern capture");
  slots_[l].length = static_cast<ptrdiff_t>(s - slots_[l].start);
  const size_t r = matchFrom(s, p);
  if (r == kNoMatch) slots_[l].length = kOpen;
  return r;
}

// %bxy at p (pointing at x): an x, then text up to the y that balances it.
size_t PatternMatcher::matchBalance(size_t s, size_t p) {
  if (p + 1 >= pattern_.size()) return fail("malformed pattern (missing arguments to '%b')");
  ++steps_;
  if (s >= subject_.size() || subject_[s] != pattern_[p]) return kNoMatch;
  const char open = pattern_[p];
  const char close = pattern_[p + 1];
  size_t depth = 1;
  for (size_t i = s + 1; i < subject_.size(); ++i) {
    if (++steps_ > budget_) return outOfSteps();
    if (subject_[i] == close) {  // checked first, so %bxx pairs x with the next x
      if (--depth == 0) return i + 1;
    } else if (subject_[i] == open) {
      ++depth;
    }
  }
  return kNoMatch;
}

// %1-%9: the same bytes as that (closed) capture. A position capture never matches.
size_t PatternMatcher::matchBackReference(size_t s, char digit) {
  const int l = digit - '1';
  if (l < 0 || l >= level_ || slots_[l].length == kOpen) return failCaptureIndex(l + 1);
  if (slots_[l].length == kPositionSlot) return kNoMatch;
  const auto length = static_cast<size_t>(slots_[l].length);
  steps_ += static_cast<int64_t>(length) + 1;
  if (steps_ > budget_) return outOfSteps();
  if (subject_.size() - s < length) return kNoMatch;
  if (std::memcmp(subject_.data() + slots_[l].start, subject_.data() + s, length) != 0) {
    return kNoMatch;
  }
  return s + length;
}

// %f[set] with p at `[`: matches the empty string where the previous character (or "\0" at the
// start) is not in the set and the next one (or "\0" at the end) is. Sets *next past the set.
size_t PatternMatcher::matchFrontier(size_t s, size_t p, size_t* next) {
  if (p >= pattern_.size() || pattern_[p] != '[') {
    return fail("missing '[' after '%f' in pattern");
  }
  const size_t ep = classEnd(p);
  if (ep == kAbort) return kAbort;
  const auto before = static_cast<unsigned char>(s == 0 ? '\0' : subject_[s - 1]);
  const auto after = static_cast<unsigned char>(s < subject_.size() ? subject_[s] : '\0');
  if (setMatch(before, p, ep - 1) || !setMatch(after, p, ep - 1)) return kNoMatch;
  *next = ep;
  return s;
}

size_t PatternMatcher::fail(const char* message) {
  failure_ = Failure::kError;
  std::snprintf(message_, sizeof message_, "%s", message);
  return kAbort;
}

size_t PatternMatcher::failCaptureIndex(int index) {
  failure_ = Failure::kError;
  std::snprintf(message_, sizeof message_, "invalid capture index %%%d", index);
  return kAbort;
}

size_t PatternMatcher::outOfSteps() {
  if (failure_ == Failure::kNone) {
    failure_ = Failure::kBudget;
    std::snprintf(message_, sizeof message_, "%s", "instruction limit exceeded");
  }
  return kAbort;
}

}  // namespace dispatch::transform::internal
