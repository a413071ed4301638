// Strict JSON parsing with raw source spans, UTF-8 checks, string quoting and a compact writer.
#include "core/util/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace dispatch::json {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

struct Utf8Seq {
  size_t len;  // bytes consumed: the whole sequence, or the maximal ill-formed subpart
  bool ok;
};

// Classifies the UTF-8 sequence at `p` (p < end) per RFC 3629 / Unicode table 3-7: no
// overlongs, no surrogates, nothing above U+10FFFF. For a bad sequence `len` is the maximal
// ill-formed subpart, so replacing it with one U+FFFD follows Unicode's recommended practice.
inline Utf8Seq utf8Seq(const unsigned char* p, const unsigned char* end) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return {1, true};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 == 0xE0) {
    need = 2, lo = 0xA0;
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    need = 2;
  } else if (b0 == 0xED) {
    need = 2, hi = 0x9F;
  } else if (b0 == 0xF0) {
    need = 3, lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    need = 3;
  } else if (b0 == 0xF4) {
    need = 3, hi = 0x8F;
  } else {
    return {1, false};
  }
  const size_t avail = static_cast<size_t>(end - p);
  for (size_t i = 1; i <= need; ++i) {
    if (i >= avail || p[i] < lo || p[i] > hi) return {i, false};
    lo = 0x80, hi = 0xBF;
  }
  return {need + 1, true};
}

inline int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// from_chars reports out_of_range without a value; decide between ±inf and ±0 from the
// decimal magnitude, which is all that can be out of range for a grammatical JSON number.
double outOfRangeDouble(std::string_view raw) {
  const bool negative = !raw.empty() && raw[0] == '-';
  size_t i = negative ? 1 : 0;
  int64_t magnitude = 0;  // decimal exponent of the first significant digit
  bool seenPoint = false, seenDigit = false;
  int64_t intDigits = 0, leadingFracZeros = 0;
  for (; i < raw.size() && raw[i] != 'e' && raw[i] != 'E'; ++i) {
    if (raw[i] == '.') {
      seenPoint = true;
    } else if (!seenDigit && raw[i] == '0') {
      if (seenPoint) ++leadingFracZeros;
    } else {
      seenDigit = true;
      if (!seenPoint) ++intDigits;
    }
  }
  magnitude = intDigits > 0 ? intDigits - 1 : -(leadingFracZeros + 1);
  if (i < raw.size()) {
    ++i;
    bool expNegative = false;
    if (i < raw.size() && (raw[i] == '+' || raw[i] == '-')) expNegative = raw[i++] == '-';
    int64_t e = 0;
    for (; i < raw.size(); ++i) e = std::min<int64_t>(e * 10 + (raw[i] - '0'), 1'000'000'000);
    magnitude += expNegative ? -e : e;
  }
  const double v = magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return negative ? -v : v;
}

}  // namespace

// Iterative (explicit stack) so nesting depth costs heap, never C++ stack.
class Parser {
 public:
  Parser(std::string_view text, int maxDepth)
      : begin_(text.data()), p_(begin_), end_(begin_ + text.size()), maxDepth_(maxDepth) {}

  Result<Value> run();

 private:
  bool fail(const char* reason) {
    if (error_ == nullptr) error_ = reason, errorAt_ = p_;
    return false;
  }
  Status error(const char* reason) {
    fail(reason);
    return failure();
  }
  Status failure() const {
    return Status(Code::kInvalid, std::string("invalid JSON: ") + error_ + " at offset " +
                                      std::to_string(errorAt_ - begin_));
  }
  void skipWs() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool parseScalar(Value& v);
  bool parseString(std::string& out);
  bool parseEscape(std::string& out);
  bool parseNumber();
  bool parseLiteral(std::string_view word);
  bool parseKey(std::string& key);
  // Appends an element (arrays) or a member with its parsed key (objects); nullptr on error.
  Value* newSlot(Value& container);

  const char* begin_;
  const char* p_;
  const char* end_;
  int maxDepth_;
  const char* error_ = nullptr;
  const char* errorAt_ = nullptr;
};

Result<Value> Parser::run() {
  Value root;
  // Open containers, innermost last, with the offset of their opening bracket. Values are
  // built in place: an open container is the last element of its parent, so its address
  // stays valid until it closes, and nothing is moved after parsing.
  std::vector<std::pair<Value*, const char*>> open;
  Value* slot = &root;  // where the next value goes
  skipWs();
  for (;;) {
    if (p_ == end_) return error("unexpected end of input");
    const char c = *p_;
    if (c == '{' || c == '[') {
      if (static_cast<int64_t>(open.size()) >= maxDepth_) return error("nesting too deep");
      const char* start = p_++;
      slot->type_ = c == '{' ? Type::kObject : Type::kArray;
      skipWs();
      if (p_ != end_ && *p_ == (c == '{' ? '}' : ']')) {
        ++p_;
        slot->raw_ = std::string_view(start, static_cast<size_t>(p_ - start));
      } else {
        open.emplace_back(slot, start);
        slot = newSlot(*slot);
        if (slot == nullptr) return failure();
        continue;
      }
    } else if (!parseScalar(*slot)) {
      return failure();
    }
    // A value is complete: continue its container, or close every container ending here.
    for (;;) {
      if (open.empty()) {
        skipWs();
        if (p_ != end_) return error("unexpected characters after the value");
        return root;  // implicitly moved
      }
      const auto [container, start] = open.back();
      skipWs();
      if (p_ == end_) return error("unexpected end of input");
      if (*p_ == ',') {
        ++p_;
        skipWs();
        slot = newSlot(*container);
        if (slot == nullptr) return failure();
        break;
      }
      if (*p_ != (container->type_ == Type::kObject ? '}' : ']')) {
        return error("expected ',' or a closing bracket");
      }
      ++p_;
      container->raw_ = std::string_view(start, static_cast<size_t>(p_ - start));
      open.pop_back();
    }
  }
}

Value* Parser::newSlot(Value& container) {
  if (container.type_ == Type::kArray) return &container.items_.emplace_back();
  auto& member = container.members_.emplace_back();
  return parseKey(member.first) ? &member.second : nullptr;
}

bool Parser::parseKey(std::string& key) {
  if (p_ == end_ || *p_ != '"') return fail("expected a string key");
  if (!parseString(key)) return false;
  skipWs();
  if (p_ == end_ || *p_ != ':') return fail("expected ':'");
  ++p_;
  skipWs();
  return true;
}

bool Parser::parseScalar(Value& v) {
  const char* start = p_;
  switch (*p_) {
    case '"':
      v.type_ = Type::kString;
      if (!parseString(v.str_)) return false;
      break;
    case 't':
      v.type_ = Type::kBool;
      v.bool_ = true;
      if (!parseLiteral("true")) return false;
      break;
    case 'f':
      v.type_ = Type::kBool;
      if (!parseLiteral("false")) return false;
      break;
    case 'n':
      if (!parseLiteral("null")) return false;
      break;
    default:
      v.type_ = Type::kNumber;
      if (!parseNumber()) return false;
  }
  v.raw_ = std::string_view(start, static_cast<size_t>(p_ - start));
  return true;
}

bool Parser::parseLiteral(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() ||
      std::memcmp(p_, word.data(), word.size()) != 0) {
    return fail("invalid literal");
  }
  p_ += word.size();
  return true;
}

bool Parser::parseNumber() {
  auto isDigit = [this] { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; };
  if (p_ != end_ && *p_ == '-') ++p_;
  if (!isDigit()) return fail("invalid value");
  if (*p_ == '0') {
    ++p_;  // a leading zero stands alone; a digit after it fails as trailing garbage
  } else {
    while (isDigit()) ++p_;
  }
  if (p_ != end_ && *p_ == '.') {
    ++p_;
    if (!isDigit()) return fail("expected a digit after '.'");
    while (isDigit()) ++p_;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (!isDigit()) return fail("expected a digit in the exponent");
    while (isDigit()) ++p_;
  }
  return true;
}

bool Parser::parseString(std::string& out) {
  ++p_;  // opening quote
  const char* run = p_;
  for (;;) {
    // Fast scan over plain ASCII; everything else is handled below.
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++p_;
    }
    if (p_ == end_) return fail("unterminated string");
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      out.append(run, p_);
      ++p_;
      return true;
    }
    if (c < 0x20) return fail("control character in string");
    if (c >= 0x80) {
      const Utf8Seq seq = utf8Seq(reinterpret_cast<const unsigned char*>(p_),
                                  reinterpret_cast<const unsigned char*>(end_));
      if (!seq.ok) return fail("invalid UTF-8");
      p_ += seq.len;
      continue;
    }
    out.append(run, p_);
    ++p_;  // backslash
    if (!parseEscape(out)) return false;
    run = p_;
  }
}

bool Parser::parseEscape(std::string& out) {
  if (p_ == end_) return fail("unterminated string");
  const char e = *p_++;
  switch (e) {
    case '"':
      out += '"';
      return true;
    case '\\':
      out += '\\';
      return true;
    case '/':
      out += '/';
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      --p_;
      return fail("invalid escape");
  }
  auto hex4 = [this](uint32_t& cp) {
    if (end_ - p_ < 4) return false;
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hexDigit(p_[i]);
      if (d < 0) return false;
      cp = cp << 4 | static_cast<uint32_t>(d);
    }
    p_ += 4;
    return true;
  };
  uint32_t cp;
  if (!hex4(cp)) return fail("invalid \\u escape");
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone surrogate");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    uint32_t low;
    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return fail("lone surrogate");
    p_ += 2;
    if (!hex4(low)) return fail("invalid \\u escape");
    if (low < 0xDC00 || low > 0xDFFF) return fail("lone surrogate");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  appendUtf8(out, cp);
  return true;
}

Result<Value> parse(std::string_view text, ParseOptions options) {
  return Parser(text, options.maxDepth).run();
}

bool Value::isInteger() const {
  if (type_ != Type::kNumber) return false;
  if (raw_.find_first_of(".eE") != std::string_view::npos) return false;
  int64_t v;
  const auto [ptr, ec] = std::from_chars(raw_.data(), raw_.data() + raw_.size(), v);
  return ec == std::errc() && ptr == raw_.data() + raw_.size();
}

int64_t Value::asInt() const {
  if (!isInteger()) return 0;
  int64_t v = 0;
  std::from_chars(raw_.data(), raw_.data() + raw_.size(), v);
  return v;
}

double Value::asDouble() const {
  if (type_ != Type::kNumber) return 0.0;
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(raw_.data(), raw_.data() + raw_.size(), v);
  if (ec == std::errc::result_out_of_range) return outOfRangeDouble(raw_);
  return ec == std::errc() ? v : 0.0;
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

const Value* Value::at(std::string_view dotPath) const {
  const Value* v = this;
  if (dotPath.empty()) return v;
  size_t pos = 0;
  for (;;) {
    const size_t dot = dotPath.find('.', pos);
    const std::string_view step =
        dotPath.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (v->isObject()) {
      v = v->find(step);
    } else if (v->isArray()) {
      // Only canonical indices: "01" or "+1" would otherwise alias "1".
      if (step.empty() || (step.size() > 1 && step[0] == '0')) return nullptr;
      size_t index = 0;
      const auto [ptr, ec] = std::from_chars(step.data(), step.data() + step.size(), index);
      if (ec != std::errc() || ptr != step.data() + step.size()) return nullptr;
      if (index >= v->items_.size()) return nullptr;
      v = &v->items_[index];
    } else {
      return nullptr;
    }
    if (v == nullptr || dot == std::string_view::npos) return v;
    pos = dot + 1;
  }
}

std::string Value::scalarText() const {
  switch (type_) {
    case Type::kString:
      return str_;
    case Type::kNull:
      return "null";
    default:
      return std::string(raw_);
  }
}

void appendQuoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto* run = p;
  auto flush = [&] {
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
  };
  while (p != end) {
    const unsigned char c = *p;
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    if (c >= 0x80) {
      const Utf8Seq seq = utf8Seq(p, end);
      if (seq.ok) {
        p += seq.len;
        continue;
      }
      flush();
      out += kReplacement;
      p += seq.len;
      run = p;
      continue;
    }
    flush();
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    ++p;
    run = p;
  }
  flush();
  out += '"';
}

std::string quote(std::string_view s) {
  std::string out;
  appendQuoted(out, s);
  return out;
}

bool isValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p != end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const Utf8Seq seq = utf8Seq(p, end);
    if (!seq.ok) return false;
    p += seq.len;
  }
  return true;
}

// Walks `s`, handing each maximal run of storable text (valid UTF-8, no NUL) to `keep` and each
// byte or invalid sequence that is not storable to `bad`. The one UTF-8 walk behind the text
// rule's repairs below.
template <typename Keep, typename Bad>
void walkStorable(std::string_view s, Keep keep, Bad bad) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto* run = p;
  auto flush = [&] { keep(std::string_view(reinterpret_cast<const char*>(run), p - run)); };
  while (p != end) {
    if (*p != 0 && *p < 0x80) {
      ++p;
      continue;
    }
    size_t len = 1;  // a NUL
    if (*p != 0) {
      const Utf8Seq seq = utf8Seq(p, end);
      len = seq.len;
      if (seq.ok) {
        p += len;
        continue;
      }
    }
    flush();
    bad(std::string_view(reinterpret_cast<const char*>(p), len));
    p += len;
    run = p;
  }
  flush();
}

bool isStorableText(std::string_view s) {
  return s.find('\0') == std::string_view::npos && isValidUtf8(s);
}

std::string sanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  walkStorable(
      s, [&](std::string_view run) { out += run; }, [&](std::string_view) { out += kReplacement; });
  return out;
}

std::string escapeUnstorable(std::string_view s) {
  if (isStorableText(s)) return std::string(s);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 16);
  walkStorable(
      s,
      [&](std::string_view run) {
        for (char c : run) {
          if (c == '\\') out += '\\';  // so an escape in the result always means a raw byte
          out += c;
        }
      },
      [&](std::string_view bad) {
        for (unsigned char c : bad) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
      });
  return out;
}

void Writer::comma() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (first_.empty()) return;
  if (first_.back()) {
    first_.back() = false;
  } else {
    out_ += ',';
  }
}

Writer& Writer::beginObject() {
  comma();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

Writer& Writer::endObject() {
  out_ += '}';
  if (!first_.empty()) first_.pop_back();
  return *this;
}

Writer& Writer::beginArray() {
  comma();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

Writer& Writer::endArray() {
  out_ += ']';
  if (!first_.empty()) first_.pop_back();
  return *this;
}

Writer& Writer::key(std::string_view k) {
  comma();
  appendQuoted(out_, k);
  out_ += ':';
  afterKey_ = true;
  return *this;
}

Writer& Writer::string(std::string_view s) {
  comma();
  appendQuoted(out_, s);
  return *this;
}

namespace {
template <class Int>
void appendInteger(std::string& out, Int n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}
}  // namespace

Writer& Writer::number(int64_t n) {
  comma();
  appendInteger(out_, n);
  return *this;
}

Writer& Writer::unsignedNumber(uint64_t n) {
  comma();
  appendInteger(out_, n);
  return *this;
}

Writer& Writer::number(double d) {
  comma();
  if (!std::isfinite(d)) {
    out_ += "null";  // JSON has no NaN or infinity
    return *this;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  out_.append(buf, r.ptr);
  return *this;
}

Writer& Writer::boolean(bool b) {
  comma();
  out_ += b ? "true" : "false";
  return *this;
}

Writer& Writer::null() {
  comma();
  out_ += "null";
  return *this;
}

Writer& Writer::raw(std::string_view json) {
  comma();
  out_ += json;
  return *this;
}

Writer& Writer::stringOrNull(const std::optional<std::string>& s) {
  return s ? string(*s) : null();
}

Writer& Writer::numberOrNull(const std::optional<int64_t>& n) { return n ? number(*n) : null(); }

}  // namespace dispatch::json
