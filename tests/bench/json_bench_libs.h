// The three JSON libraries json_bench compares with ours (tests/bench/json_bench.cc), each
// behind the same three operations — validate a body, extract one dot-path value as text,
// decode and visit the whole tree — and an error text for the behaviour table. Each adapter
// does what Dispatch would have to do around the library (padding, depth limit, trailing
// bytes), so the timings include it.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/json.h"

namespace jsonbench {

namespace json = dispatch::json;
namespace od = simdjson::ondemand;

inline constexpr int kMaxDepth = 128;  // json::ParseOptions' default; every library is held to it

// What visiting a tree saw (the caller sums it into a global so no work is optimised away).
struct Tally {
  uint64_t values = 0;
  uint64_t bytes = 0;  // decoded key and string bytes
  int64_t ints = 0;
  double doubles = 0;
  void add(const Tally& o) {
    values += o.values, bytes += o.bytes, ints += o.ints, doubles += o.doubles;
  }
};

// Splits a dot-path once (outside the timed loop: a source's config does it at load).
inline std::vector<std::string> pathSteps(std::string_view path) {
  std::vector<std::string> steps;
  size_t pos = 0;
  while (!path.empty()) {
    const size_t dot = path.find('.', pos);
    steps.emplace_back(path.substr(pos, dot == std::string_view::npos ? path.npos : dot - pos));
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return steps;
}

// The dot-path as a JSON Pointer (RFC 6901) for simdjson's at_pointer.
inline std::string jsonPointer(std::string_view path) {
  std::string p;
  for (const std::string& s : pathSteps(path)) {
    p += '/';
    for (char c : s)
      p += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  }
  return p;
}

// A canonical array index ("0", "17"; not "01", "+1"), as json::Value::at takes it.
inline std::optional<size_t> arrayIndex(std::string_view step) {
  if (step.empty() || (step.size() > 1 && step[0] == '0')) return std::nullopt;
  size_t i = 0;
  const auto [p, ec] = std::from_chars(step.data(), step.data() + step.size(), i);
  if (ec != std::errc() || p != step.data() + step.size()) return std::nullopt;
  return i;
}

inline std::string_view trimRight(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Ours.

// As core/transform/lua_json.cc pushNumber: int64 when written as an integer that fits,
// otherwise the double.
inline void oursNumber(const json::Value& v, Tally& t) {
  const std::string_view raw = v.raw();
  if (raw.find_first_of(".eE") == std::string_view::npos) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
    if (ec == std::errc() && end == raw.data() + raw.size()) {
      t.ints += n;
      return;
    }
  }
  t.doubles += v.asDouble();
}

inline void oursWalk(const json::Value& v, Tally& t) {
  ++t.values;
  switch (v.type()) {
    case json::Type::kNull:
    case json::Type::kBool:
      return;
    case json::Type::kNumber:
      return oursNumber(v, t);
    case json::Type::kString:
      t.bytes += v.asString().size();
      return;
    case json::Type::kArray:
      for (const json::Value& item : v.items()) oursWalk(item, t);
      return;
    case json::Type::kObject:
      for (const auto& [k, m] : v.members()) {
        t.bytes += k.size();
        oursWalk(m, t);
      }
      return;
  }
}

struct Ours {
  static bool validate(std::string_view text) { return json::parse(text).isOk(); }
  static std::optional<std::string> extract(std::string_view text, const std::string& path) {
    auto doc = json::parse(text);
    if (!doc) return std::nullopt;
    const json::Value* v = doc->at(path);
    if (v == nullptr) return std::nullopt;
    return v->scalarText();
  }
  static bool tree(std::string_view text, Tally& t) {
    auto doc = json::parse(text);
    if (!doc) return false;
    oursWalk(*doc, t);
    return true;
  }
  static std::string error(std::string_view text) {
    auto doc = json::parse(text);
    return doc ? "" : doc.status().message();
  }
};

// ---------------------------------------------------------------------------------------------
// simdjson. Both APIs read up to SIMDJSON_PADDING bytes past the end, so the body is copied
// into a reused padded buffer first (counted in every timing: the HTTP layer hands us a
// std::string without that slack).

struct Padded {
  std::string buf;
  simdjson::padded_string_view view(std::string_view text) {
    if (buf.size() < text.size() + simdjson::SIMDJSON_PADDING) {
      buf.resize(text.size() + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(buf.data(), text.data(), text.size());
    std::memset(buf.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    return simdjson::padded_string_view(buf.data(), text.size(), buf.size());
  }
};

inline Padded& padded() {
  static Padded p;
  return p;
}

// On-demand validates only what is visited, so "validate" and "tree" visit everything: every
// key unescaped, every string decoded, every number converted (int64, uint64 or double). The
// depth limit is ours: on-demand keeps no limit of its own that stops a recursive visitor.
inline simdjson::error_code odWalk(od::value v, Tally& t, int depth) {
  ++t.values;
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      if (depth >= kMaxDepth) return simdjson::DEPTH_ERROR;
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      for (auto field : o) {
        od::field f;
        if (auto e = std::move(field).get(f)) return e;
        std::string_view k;
        if (auto e = f.unescaped_key().get(k)) return e;
        t.bytes += k.size();
        if (auto e = odWalk(f.value(), t, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      if (depth >= kMaxDepth) return simdjson::DEPTH_ERROR;
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto item : a) {
        od::value c;
        if (auto e = item.get(c)) return e;
        if (auto e = odWalk(c, t, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      od::number n;
      if (auto e = v.get_number().get(n)) return e;
      if (n.is_int64()) {
        t.ints += n.get_int64();
      } else if (n.is_uint64()) {
        t.doubles += static_cast<double>(n.get_uint64());
      } else {
        t.doubles += n.get_double();
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return e;
      t.bytes += s.size();
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool isNull;
      if (auto e = v.is_null().get(isNull)) return e;
      return isNull ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// A whole document: a scalar root is read through the document itself (on-demand cannot
// hand it out as a value). 3.0.1 has no document::at_end(), so for a container root its raw
// span is taken first and only whitespace may follow it; then the document is rewound.
// `text` is the padded copy the document iterates.
inline simdjson::error_code odWalkDocument(od::document& doc, std::string_view text, Tally& t) {
  od::json_type type;
  if (auto e = doc.type().get(type)) return e;
  if (type == od::json_type::object || type == od::json_type::array) {
    std::string_view span;
    if (auto e = doc.raw_json().get(span)) return e;
    const size_t end = static_cast<size_t>(span.data() - text.data()) + span.size();
    if (!trimRight(text.substr(end)).empty()) return simdjson::TRAILING_CONTENT;
    doc.rewind();
    od::value root;
    if (auto e = doc.get_value().get(root)) return e;
    if (auto e = odWalk(root, t, 0)) return e;
  } else {
    ++t.values;
    switch (type) {
      case od::json_type::number: {
        double d;
        if (auto e = doc.get_double().get(d)) return e;
        t.doubles += d;
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = doc.get_string().get(s)) return e;
        t.bytes += s.size();
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if (auto e = doc.get_bool().get(b)) return e;
        break;
      }
      default: {
        bool isNull;
        if (auto e = doc.is_null().get(isNull)) return e;
        if (!isNull) return simdjson::N_ATOM_ERROR;
      }
    }
  }
  return simdjson::SUCCESS;
}

// The value's text as json::Value::scalarText gives it: strings decoded, numbers and booleans
// as written, containers as their raw JSON.
inline simdjson::error_code odScalarText(od::value v, std::string& out) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return e;
      out.assign(s);
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object o;
      std::string_view raw;
      if (auto e = v.get_object().get(o)) return e;
      if (auto e = o.raw_json().get(raw)) return e;
      out.assign(trimRight(raw));  // it runs on to the next token, as raw_json_token
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array a;
      std::string_view raw;
      if (auto e = v.get_array().get(a)) return e;
      if (auto e = a.raw_json().get(raw)) return e;
      out.assign(trimRight(raw));  // it runs on to the next token, as raw_json_token
      return simdjson::SUCCESS;
    }
    default:
      out.assign(trimRight(v.raw_json_token()));  // the token runs on to the next one
      return simdjson::SUCCESS;
  }
}

inline od::parser& odParser() {
  static od::parser p;
  return p;
}

struct SimdOnDemand {
  static simdjson::error_code validateCode(std::string_view text) {
    const simdjson::padded_string_view view = padded().view(text);
    od::document doc;
    if (auto e = odParser().iterate(view).get(doc)) return e;
    Tally t;
    return odWalkDocument(doc, view, t);
  }
  static bool validate(std::string_view text) { return validateCode(text) == simdjson::SUCCESS; }
  // As on-demand is meant to be used: straight to the value, nothing else looked at.
  static std::optional<std::string> extract(std::string_view text, const std::string& pointer) {
    od::document doc;
    if (odParser().iterate(padded().view(text)).get(doc)) return std::nullopt;
    od::value v;
    if (doc.at_pointer(pointer).get(v)) return std::nullopt;
    std::string out;
    if (odScalarText(v, out)) return std::nullopt;
    return out;
  }
  static bool tree(std::string_view text, Tally& t) {
    const simdjson::padded_string_view view = padded().view(text);
    od::document doc;
    if (odParser().iterate(view).get(doc)) return false;
    return odWalkDocument(doc, view, t) == simdjson::SUCCESS;
  }
  static std::string error(std::string_view text) {
    const auto e = validateCode(text);
    return e ? simdjson::error_message(e) : "";
  }
};

inline simdjson::dom::parser& domParser() {
  static simdjson::dom::parser p = [] {
    simdjson::dom::parser dp;
    if (dp.allocate(1 << 16, kMaxDepth)) std::abort();
    return dp;
  }();
  return p;
}

inline void domWalk(simdjson::dom::element v, Tally& t) {
  ++t.values;
  switch (v.type()) {
    case simdjson::dom::element_type::OBJECT:
      for (auto [k, m] : simdjson::dom::object(v)) {
        t.bytes += k.size();
        domWalk(m, t);
      }
      return;
    case simdjson::dom::element_type::ARRAY:
      for (auto item : simdjson::dom::array(v)) domWalk(item, t);
      return;
    case simdjson::dom::element_type::INT64:
      t.ints += int64_t(v);
      return;
    case simdjson::dom::element_type::UINT64:
      t.doubles += static_cast<double>(uint64_t(v));
      return;
    case simdjson::dom::element_type::DOUBLE:
      t.doubles += double(v);
      return;
    case simdjson::dom::element_type::STRING:
      t.bytes += std::string_view(v).size();
      return;
    case simdjson::dom::element_type::BOOL:
    case simdjson::dom::element_type::NULL_VALUE:
      return;
  }
}

struct SimdDom {
  static simdjson::error_code parseCode(std::string_view text, simdjson::dom::element& root) {
    const simdjson::padded_string_view view = padded().view(text);
    return domParser().parse(view.data(), view.size(), false).get(root);
  }
  static bool validate(std::string_view text) {
    simdjson::dom::element root;
    return parseCode(text, root) == simdjson::SUCCESS;
  }
  // The DOM keeps no source text: numbers and containers come back re-serialised.
  static std::optional<std::string> extract(std::string_view text, const std::string& pointer) {
    simdjson::dom::element root, v;
    if (parseCode(text, root) || root.at_pointer(pointer).get(v)) return std::nullopt;
    if (v.is_string()) return std::string(std::string_view(v));
    if (v.is_null()) return std::string("null");
    return simdjson::to_string(v);
  }
  static bool tree(std::string_view text, Tally& t) {
    simdjson::dom::element root;
    if (parseCode(text, root)) return false;
    domWalk(root, t);
    return true;
  }
  static std::string error(std::string_view text) {
    simdjson::dom::element root;
    const auto e = parseCode(text, root);
    return e ? simdjson::error_message(e) : "";
  }
};

// ---------------------------------------------------------------------------------------------
// rapidjson: UTF-8 validation on, iterative (no recursion on hostile nesting), full-precision
// doubles. It has no depth limit, so a handler in front of the real one counts levels.

inline constexpr unsigned kRapidFlags = rapidjson::kParseValidateEncodingFlag |
                                        rapidjson::kParseIterativeFlag |
                                        rapidjson::kParseFullPrecisionFlag;

template <class H>
struct DepthLimited {
  H& h;
  int depth = 0;
  bool depthExceeded = false;
  bool Null() { return h.Null(); }
  bool Bool(bool b) { return h.Bool(b); }
  bool Int(int i) { return h.Int(i); }
  bool Uint(unsigned u) { return h.Uint(u); }
  bool Int64(int64_t i) { return h.Int64(i); }
  bool Uint64(uint64_t u) { return h.Uint64(u); }
  bool Double(double d) { return h.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return h.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return h.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return h.Key(s, n, copy); }
  bool open() {
    depthExceeded = ++depth > kMaxDepth;
    return !depthExceeded;
  }
  bool StartObject() { return open() && h.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return --depth, h.EndObject(n); }
  bool StartArray() { return open() && h.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return --depth, h.EndArray(n); }
};

using RapidStream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;

struct RapidParsed {
  rapidjson::Document doc;
  rapidjson::ParseResult result;
  bool depthExceeded = false;
};

inline void rapidParse(std::string_view text, RapidParsed& out) {
  rapidjson::MemoryStream ms(text.data(), text.size());
  RapidStream is(ms);
  rapidjson::Reader reader;
  auto generate = [&](rapidjson::Document& d) {
    DepthLimited<rapidjson::Document> limited{d};
    out.result = reader.Parse<kRapidFlags>(is, limited);
    out.depthExceeded = limited.depthExceeded;
    return !out.result.IsError();
  };
  out.doc.Populate(generate);
}

inline void rapidWalk(const rapidjson::Value& v, Tally& t) {
  ++t.values;
  switch (v.GetType()) {
    case rapidjson::kObjectType:
      for (const auto& m : v.GetObject()) {
        t.bytes += m.name.GetStringLength();
        rapidWalk(m.value, t);
      }
      return;
    case rapidjson::kArrayType:
      for (const auto& item : v.GetArray()) rapidWalk(item, t);
      return;
    case rapidjson::kNumberType:
      if (v.IsInt64()) {
        t.ints += v.GetInt64();
      } else {
        t.doubles += v.GetDouble();
      }
      return;
    case rapidjson::kStringType:
      t.bytes += v.GetStringLength();
      return;
    default:
      return;
  }
}

struct Rapid {
  static bool validate(std::string_view text) {
    rapidjson::MemoryStream ms(text.data(), text.size());
    RapidStream is(ms);
    rapidjson::Reader reader;
    rapidjson::BaseReaderHandler<> nothing;
    DepthLimited<rapidjson::BaseReaderHandler<>> limited{nothing};
    return !reader.Parse<kRapidFlags>(is, limited).IsError();
  }
  // The DOM keeps no source text: numbers and containers come back re-serialised.
  static std::optional<std::string> extract(std::string_view text,
                                            const std::vector<std::string>& steps) {
    RapidParsed p;
    rapidParse(text, p);
    if (p.result.IsError()) return std::nullopt;
    const rapidjson::Value* v = &p.doc;
    for (const std::string& step : steps) {
      if (v->IsObject()) {
        auto it = v->FindMember(rapidjson::Value(rapidjson::StringRef(step.data(), step.size())));
        if (it == v->MemberEnd()) return std::nullopt;
        v = &it->value;
      } else if (v->IsArray()) {
        auto i = arrayIndex(step);
        if (!i || *i >= v->Size()) return std::nullopt;
        v = &(*v)[static_cast<rapidjson::SizeType>(*i)];
      } else {
        return std::nullopt;
      }
    }
    if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    v->Accept(w);
    return std::string(sb.GetString(), sb.GetSize());
  }
  static bool tree(std::string_view text, Tally& t) {
    RapidParsed p;
    rapidParse(text, p);
    if (p.result.IsError()) return false;
    rapidWalk(p.doc, t);
    return true;
  }
  static std::string error(std::string_view text) {
    RapidParsed p;
    rapidParse(text, p);
    if (!p.result.IsError()) return "";
    if (p.depthExceeded) return "nesting deeper than 128 (our handler)";
    return rapidjson::GetParseError_En(p.result.Code());
  }
};

}  // namespace jsonbench
