// The strict HTTP/1.1 request parser (see request_parser.h for the contract).
//
// It reads line by line: a line whose end (LF) has arrived is judged whole, the bytes of an
// unfinished line are copied aside (partial_) so that every call consumes all it is given. A
// refusal that a prefix already decides (a target past its limit, a block past its limit) is
// checked at the same stream position whether the bytes arrive whole or in pieces, so the outcome
// never depends on how the network split them (the fuzz target checks exactly that).
#include "core/http/request_parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace dispatch::http {
namespace {

// Blank lines tolerated before a request line (RFC 9112 2.2 allows some; a stream of them is not
// a request).
constexpr size_t kMaxLeadingBytes = 8 << 10;
// A chunk-size line with its extensions.
constexpr size_t kMaxChunkLineBytes = 4 << 10;
// A chunk size fits 64 bits.
constexpr size_t kMaxChunkSizeDigits = 16;

constexpr const char* kBareLf = "Malformed request: a line ends in a bare LF";
constexpr const char* kBareCr = "Malformed request: a bare CR in the header block";
constexpr const char* kTooManyBlankLines = "Malformed request: too many blank lines before it";
constexpr const char* kBadMethod = "Malformed request: invalid method";
constexpr const char* kBadRequestLine = "Malformed request: invalid request line";
constexpr const char* kBadTargetChar = "Malformed request: invalid character in the target";
constexpr const char* kBadTargetForm = "Malformed request: the target is not a path or an http URL";
constexpr const char* kBadVersion = "Malformed request: invalid HTTP version";
constexpr const char* kFolded = "Malformed request: folded header line";
constexpr const char* kNoColon = "Malformed request: header line without a colon";
constexpr const char* kEmptyName = "Malformed request: empty header name";
constexpr const char* kSpaceBeforeColon = "Malformed request: whitespace before a header colon";
constexpr const char* kBadName = "Malformed request: invalid character in a header name";
constexpr const char* kBadValue = "Malformed request: invalid character in a header value";
constexpr const char* kHostCount = "Malformed request: HTTP/1.1 needs exactly one Host header";
constexpr const char* kLengthAndCoding =
    "Malformed request: both Content-Length and Transfer-Encoding";
constexpr const char* kCodingIn10 = "Malformed request: Transfer-Encoding in an HTTP/1.0 request";
constexpr const char* kEmptyCoding = "Malformed request: empty Transfer-Encoding";
constexpr const char* kBadLength = "Malformed request: invalid Content-Length";
constexpr const char* kTwoLengths = "Malformed request: conflicting Content-Length values";
constexpr const char* kBadChunkSize = "Malformed request: invalid chunk size";
constexpr const char* kBadChunkExt = "Malformed request: invalid chunk extension";
constexpr const char* kChunkLineTooLong = "Malformed request: chunk size line too long";
constexpr const char* kBadChunkEnd = "Malformed request: chunk data not followed by CRLF";
constexpr const char* kBodyTooLarge = "Request body too large";
constexpr const char* kTargetTooLong = "Request target too long";
constexpr const char* kHeadTooLarge = "Request header fields too large";
constexpr const char* kTooManyFields = "Too many request header fields";
constexpr const char* kTrailersTooLarge = "Request trailer fields too large";
constexpr const char* kUnknownCoding = "Transfer coding not implemented";
constexpr const char* kVersionNotSupported = "HTTP version not supported";

// RFC 9110 5.6.2 token characters.
constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// RFC 9110 5.5 field-value bytes (after OWS trimming): HTAB, SP, VCHAR, obs-text.
constexpr std::array<bool, 256> kFieldByte = [] {
  std::array<bool, 256> t{};
  t['\t'] = true;
  for (int c = 0x20; c <= 0x7e; ++c) t[c] = true;
  for (int c = 0x80; c <= 0xff; ++c) t[c] = true;
  return t;
}();

unsigned char byteAt(std::string_view s, size_t i) { return static_cast<unsigned char>(s[i]); }

bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// `lowerWord` must already be lower case.
bool equalsIgnoreCase(std::string_view s, std::string_view lowerWord) {
  if (s.size() != lowerWord.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (lower(s[i]) != lowerWord[i]) return false;
  }
  return true;
}

bool startsWithIgnoreCase(std::string_view s, std::string_view lowerPrefix) {
  return s.size() >= lowerPrefix.size() &&
         equalsIgnoreCase(s.substr(0, lowerPrefix.size()), lowerPrefix);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls f on each element of a comma-separated list, OWS-trimmed (empty elements included, so
// the caller can refuse them); stops early when f returns false.
template <typename F>
bool forEachListElement(std::string_view list, F f) {
  while (true) {
    size_t comma = list.find(',');
    if (!f(trimOws(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

// Null when every byte of a trimmed field value is allowed, else the refusal's sentence.
const char* checkFieldValue(std::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    if (!kFieldByte[byteAt(value, i)]) return value[i] == '\r' ? kBareCr : kBadValue;
  }
  return nullptr;
}

// Splits a header or trailer line (CRLF removed, not empty) into name and trimmed value; returns
// the refusal's sentence, or null.
const char* splitField(std::string_view line, std::string_view* name, std::string_view* value) {
  if (isOws(line.front())) return kFolded;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return kNoColon;
  if (colon == 0) return kEmptyName;
  for (size_t i = 0; i < colon; ++i) {
    if (kTchar[byteAt(line, i)]) continue;
    if (isOws(line[i])) return kSpaceBeforeColon;
    return line[i] == '\r' ? kBareCr : kBadName;
  }
  *name = line.substr(0, colon);
  *value = trimOws(line.substr(colon + 1));
  return checkFieldValue(*value);
}

// Content-Length: 1*DIGIT, or a list of identical such values. A number too large for int64 is
// still a valid (huge) length, so it saturates and is refused with 413 like any length over the
// limit rather than 400. Returns the refusal's sentence, or null.
const char* parseLength(std::string_view value, std::string_view* first, int64_t* length) {
  const char* error = nullptr;
  forEachListElement(value, [&](std::string_view element) {
    if (element.empty()) {
      error = kBadLength;
      return false;
    }
    for (char c : element) {
      if (c < '0' || c > '9') {
        error = kBadLength;
        return false;
      }
    }
    if (first->data() == nullptr) {
      *first = element;
      int64_t n = 0;
      for (char c : element) {
        int d = c - '0';
        n = n > (std::numeric_limits<int64_t>::max() - d) / 10 ? std::numeric_limits<int64_t>::max()
                                                               : n * 10 + d;
      }
      *length = n;
    } else if (element != *first) {
      // Compared as written: "5" and "05" may be one number, but a proxy may not think so.
      error = kTwoLengths;
      return false;
    }
    return true;
  });
  return error;
}

}  // namespace

RequestParser::RequestParser(ParseLimits limits) : limits_(limits) {}

RequestParser::Step RequestParser::fail(int status, const char* message) {
  phase_ = Phase::kError;
  errorStatus_ = status;
  errorMessage_ = message;
  return Step::kError;
}

RequestParser::Result RequestParser::parse(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (phase_ == Phase::kError) return Result::kError;
  if (phase_ == Phase::kDone) return Result::kComplete;
  size_t pos = 0;
  Step step = Step::kNext;
  while (step == Step::kNext) {
    switch (phase_) {
      case Phase::kRequestLine:
        step = requestLineStep(data, &pos);
        break;
      case Phase::kHeaderLines:
        step = fieldLinesStep(data, &pos, false);
        break;
      case Phase::kBody:
        step = bodyStep(data, &pos);
        break;
      case Phase::kChunkSize:
        step = chunkSizeStep(data, &pos);
        break;
      case Phase::kChunkData:
        step = chunkDataStep(data, &pos);
        break;
      case Phase::kChunkDataEnd:
        step = chunkDataEndStep(data, &pos);
        break;
      case Phase::kTrailers:
        step = fieldLinesStep(data, &pos, true);
        break;
      case Phase::kDone:
        step = Step::kComplete;
        break;
      case Phase::kError:
        step = Step::kError;
        break;
    }
  }
  *consumed = pos;
  switch (step) {
    case Step::kHeadersDone:
      return Result::kHeadersDone;
    case Step::kComplete:
      return Result::kComplete;
    case Step::kError:
      *consumed = 0;
      return Result::kError;
    default:
      return Result::kNeedMore;
  }
}

// Finds the end of the current line within `budget` bytes (the line with its LF; partial_ counts
// against it). On kLine, *line is the line without its LF (CR included) and stays valid until the
// next call; on kPartial all of `data` was consumed into partial_; on kOverflow partial_ holds the
// line's first `budget` bytes, for the caller's prefix checks.
RequestParser::LineRead RequestParser::nextLine(std::string_view data, size_t* pos, size_t budget,
                                                std::string_view* line) {
  size_t room = budget > partial_.size() ? budget - partial_.size() : 0;
  size_t avail = data.size() - *pos;
  const char* start = data.data() + *pos;
  size_t window = std::min(room, avail);
  // memchr must not see the null data() of an empty view.
  const void* lf = window == 0 ? nullptr : std::memchr(start, '\n', window);
  if (lf != nullptr) {
    size_t n = static_cast<size_t>(static_cast<const char*>(lf) - start);
    *pos += n + 1;
    if (partial_.empty()) {
      *line = std::string_view(start, n);
    } else {
      partial_.append(start, n);
      lineBuf_.swap(partial_);
      partial_.clear();
      *line = lineBuf_;
    }
    return LineRead::kLine;
  }
  if (avail >= room) {
    partial_.append(start, room);
    *pos += room;
    return LineRead::kOverflow;
  }
  partial_.append(start, avail);
  *pos += avail;
  return LineRead::kPartial;
}

// Skips CRLF pairs before a request line; false when the request is refused or more bytes are
// needed (then *pos == data.size()).
bool RequestParser::skipLeadingEmptyLines(std::string_view data, size_t* pos) {
  while (!started_) {
    if (*pos == data.size()) return false;
    if (pendingCr_) {
      // A CR that does not end a blank line starts a request line, and a CR is no method byte.
      if (data[*pos] != '\n') {
        fail(400, kBadMethod);
        return false;
      }
      pendingCr_ = false;
      ++*pos;
      leadingBytes_ += 2;
      if (leadingBytes_ > kMaxLeadingBytes) {
        fail(400, kTooManyBlankLines);
        return false;
      }
    } else if (data[*pos] == '\r') {
      pendingCr_ = true;
      ++*pos;
    } else {
      started_ = true;
    }
  }
  return true;
}

RequestParser::Step RequestParser::requestLineStep(std::string_view data, size_t* pos) {
  if (!skipLeadingEmptyLines(data, pos)) {
    return phase_ == Phase::kError ? Step::kError : Step::kNeedMore;
  }
  std::string_view line;
  switch (nextLine(data, pos, limits_.maxHeaderBytes, &line)) {
    case LineRead::kPartial:
      return requestLinePrefixOk(partial_) ? Step::kNeedMore : Step::kError;
    case LineRead::kOverflow:
      return requestLinePrefixOk(partial_) ? fail(431, kHeadTooLarge) : Step::kError;
    case LineRead::kLine:
      break;
  }
  blockBytes_ = line.size() + 1;
  if (!requestLinePrefixOk(line)) return Step::kError;
  if (line.empty() || line.back() != '\r') return fail(400, kBareLf);
  line.remove_suffix(1);
  return parseRequestLine(line);
}

// The refusals a prefix of the request line decides (a bad method byte; a target already past its
// limit). Run on every prefix seen, and on the whole line before it is parsed, so a line refused
// early when it trickles in is refused the same way when it comes whole. It resumes where it
// stopped (lineChecked_), so a line fed byte by byte costs linear time.
bool RequestParser::requestLinePrefixOk(std::string_view prefix) {
  size_t i = lineChecked_;
  if (methodEnd_ == std::string_view::npos) {
    for (; i < prefix.size(); ++i) {
      if (prefix[i] == ' ') break;
      if (!kTchar[byteAt(prefix, i)]) {
        fail(400, kBadMethod);
        return false;
      }
    }
    if (i == prefix.size()) {
      lineChecked_ = i;
      return true;
    }
    if (i == 0) {
      fail(400, kBadMethod);
      return false;
    }
    methodEnd_ = i++;
  }
  if (targetEnd_ == std::string_view::npos && i < prefix.size()) {
    const void* sp = std::memchr(prefix.data() + i, ' ', prefix.size() - i);
    if (sp != nullptr)
      targetEnd_ = static_cast<size_t>(static_cast<const char*>(sp) - prefix.data());
  }
  lineChecked_ = prefix.size();
  size_t targetRun =
      (targetEnd_ == std::string_view::npos ? prefix.size() : targetEnd_) - methodEnd_ - 1;
  if (targetRun > limits_.maxTargetBytes) {
    fail(414, kTargetTooLong);
    return false;
  }
  return true;
}

// method SP request-target SP HTTP-version (CRLF removed; method and the target's end already
// found by requestLinePrefixOk).
RequestParser::Step RequestParser::parseRequestLine(std::string_view line) {
  if (methodEnd_ == std::string_view::npos || targetEnd_ == std::string_view::npos) {
    return fail(400, kBadRequestLine);
  }
  std::string_view target = line.substr(methodEnd_ + 1, targetEnd_ - methodEnd_ - 1);
  std::string_view version = line.substr(targetEnd_ + 1);
  if (target.empty()) return fail(400, kBadRequestLine);
  for (size_t i = 0; i < target.size(); ++i) {
    unsigned char c = byteAt(target, i);
    if (c < 0x21 || c > 0x7e) return fail(400, c == '\r' ? kBareCr : kBadTargetChar);
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return fail(400, kBadVersion);
  }
  std::string_view path = target;
  if (target.front() != '/') {
    // absolute-form (RFC 9112 3.2.2): keep the path and query, the authority is the Host's job.
    size_t skip = startsWithIgnoreCase(target, "http://")    ? 7
                  : startsWithIgnoreCase(target, "https://") ? 8
                                                             : 0;
    if (skip == 0) return fail(400, kBadTargetForm);
    size_t authorityEnd = target.find_first_of("/?", skip);
    if (authorityEnd == skip || skip == target.size()) return fail(400, kBadTargetForm);
    path =
        authorityEnd == std::string_view::npos ? std::string_view() : target.substr(authorityEnd);
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return fail(505, kVersionNotSupported);
  }
  req_.method.assign(line.substr(0, methodEnd_));
  if (path.empty() || path.front() == '?') req_.target.assign("/");
  req_.target.append(path);
  req_.versionMinor = version[7] - '0';
  phase_ = Phase::kHeaderLines;
  return Step::kNext;
}

// Header or trailer field lines up to the empty line: each ends in CRLF and is a valid
// field, and the section stays within max_header_bytes and max_header_count. Header fields
// are kept; trailer fields are checked and discarded.
RequestParser::Step RequestParser::fieldLinesStep(std::string_view data, size_t* pos,
                                                  bool trailers) {
  const char* tooLarge = trailers ? kTrailersTooLarge : kHeadTooLarge;
  while (true) {
    std::string_view line;
    switch (nextLine(data, pos, limits_.maxHeaderBytes - blockBytes_, &line)) {
      case LineRead::kPartial:
        return Step::kNeedMore;
      case LineRead::kOverflow:
        return fail(431, tooLarge);
      case LineRead::kLine:
        break;
    }
    blockBytes_ += line.size() + 1;
    if (line.empty() || line.back() != '\r') return fail(400, kBareLf);
    line.remove_suffix(1);
    if (line.empty()) {
      if (!trailers) return finishHead();
      phase_ = Phase::kDone;
      return Step::kComplete;
    }
    std::string_view name;
    std::string_view value;
    if (const char* error = splitField(line, &name, &value)) return fail(400, error);
    if (trailers) {
      if (++trailerCount_ > limits_.maxHeaderCount) return fail(431, kTrailersTooLarge);
      continue;
    }
    if (req_.headers.size() >= limits_.maxHeaderCount) return fail(431, kTooManyFields);
    req_.headers.emplace_back(std::string(name), std::string(value));
  }
}

// Framing and connection semantics from the complete header block (RFC 9112 6, 9.3).
RequestParser::Step RequestParser::finishHead() {
  size_t hosts = 0;
  bool hasLength = false;
  bool hasCoding = false;
  bool close = false;
  bool keepAlive = false;
  bool expect = false;
  std::string_view firstLength;
  int64_t length = 0;
  size_t codings = 0;
  bool emptyCoding = false;
  bool otherCoding = false;
  for (const auto& [name, value] : req_.headers) {
    if (equalsIgnoreCase(name, "host")) {
      ++hosts;
    } else if (equalsIgnoreCase(name, "content-length")) {
      hasLength = true;
      if (const char* error = parseLength(value, &firstLength, &length)) return fail(400, error);
    } else if (equalsIgnoreCase(name, "transfer-encoding")) {
      hasCoding = true;
      forEachListElement(value, [&](std::string_view coding) {
        ++codings;
        emptyCoding |= coding.empty();
        otherCoding |= !equalsIgnoreCase(coding, "chunked");
        return true;
      });
    } else if (equalsIgnoreCase(name, "connection")) {
      forEachListElement(value, [&](std::string_view option) {
        close |= equalsIgnoreCase(option, "close");
        keepAlive |= equalsIgnoreCase(option, "keep-alive");
        return true;
      });
    } else if (equalsIgnoreCase(name, "expect")) {
      expect |= equalsIgnoreCase(value, "100-continue");
    }
  }
  bool http11 = req_.versionMinor == 1;
  if (hosts > 1 || (http11 && hosts == 0)) return fail(400, kHostCount);
  if (hasCoding && hasLength) return fail(400, kLengthAndCoding);
  if (hasCoding && !http11) return fail(400, kCodingIn10);
  // Only "chunked", once: any other coding (or a list) we cannot frame the same way a proxy does.
  if (emptyCoding) return fail(400, kEmptyCoding);
  if (hasCoding && (codings != 1 || otherCoding)) return fail(501, kUnknownCoding);
  if (length > limits_.maxBodyBytes) return fail(413, kBodyTooLarge);
  req_.keepAlive = http11 ? !close : (keepAlive && !close);
  expectContinue_ = http11 && expect && (hasCoding || length > 0);
  if (hasCoding) {
    phase_ = Phase::kChunkSize;
    return Step::kHeadersDone;
  }
  if (length > 0) {
    remaining_ = length;
    phase_ = Phase::kBody;
    return Step::kHeadersDone;
  }
  phase_ = Phase::kDone;
  return Step::kComplete;
}

RequestParser::Step RequestParser::bodyStep(std::string_view data, size_t* pos) {
  size_t n = std::min(static_cast<size_t>(remaining_), data.size() - *pos);
  req_.body.append(data.data() + *pos, n);
  *pos += n;
  remaining_ -= static_cast<int64_t>(n);
  if (remaining_ > 0) return Step::kNeedMore;
  phase_ = Phase::kDone;
  return Step::kComplete;
}

// chunk-size [ chunk-ext ] CRLF (RFC 9112 7.1); the last chunk (size 0) leads to the trailers.
RequestParser::Step RequestParser::chunkSizeStep(std::string_view data, size_t* pos) {
  std::string_view line;
  switch (nextLine(data, pos, kMaxChunkLineBytes, &line)) {
    case LineRead::kPartial:
      return Step::kNeedMore;
    case LineRead::kOverflow:
      return fail(400, kChunkLineTooLong);
    case LineRead::kLine:
      break;
  }
  if (line.empty() || line.back() != '\r') return fail(400, kBareLf);
  line.remove_suffix(1);
  uint64_t size = 0;
  size_t digits = 0;
  for (int d; digits < line.size() && (d = hexValue(line[digits])) >= 0; ++digits) {
    if (digits == kMaxChunkSizeDigits) return fail(400, kBadChunkSize);
    size = size << 4 | static_cast<uint64_t>(d);
  }
  if (digits == 0) return fail(400, kBadChunkSize);
  std::string_view ext = line.substr(digits);
  size_t i = 0;
  while (i < ext.size() && isOws(ext[i])) ++i;
  if (i < ext.size() ? ext[i] != ';' : i > 0) return fail(400, kBadChunkSize);
  if (checkFieldValue(ext) != nullptr) return fail(400, kBadChunkExt);
  if (size == 0) {
    blockBytes_ = 0;
    trailerCount_ = 0;
    phase_ = Phase::kTrailers;
    return Step::kNext;
  }
  // Refused on the declaration, before the data is read.
  if (size > static_cast<uint64_t>(limits_.maxBodyBytes) - req_.body.size()) {
    return fail(413, kBodyTooLarge);
  }
  remaining_ = static_cast<int64_t>(size);
  phase_ = Phase::kChunkData;
  return Step::kNext;
}

RequestParser::Step RequestParser::chunkDataStep(std::string_view data, size_t* pos) {
  size_t n = std::min(static_cast<size_t>(remaining_), data.size() - *pos);
  req_.body.append(data.data() + *pos, n);
  *pos += n;
  remaining_ -= static_cast<int64_t>(n);
  if (remaining_ > 0) return Step::kNeedMore;
  crlfSeen_ = 0;
  phase_ = Phase::kChunkDataEnd;
  return Step::kNext;
}

RequestParser::Step RequestParser::chunkDataEndStep(std::string_view data, size_t* pos) {
  for (; crlfSeen_ < 2; ++crlfSeen_, ++*pos) {
    if (*pos == data.size()) return Step::kNeedMore;
    if (data[*pos] != (crlfSeen_ == 0 ? '\r' : '\n')) return fail(400, kBadChunkEnd);
  }
  phase_ = Phase::kChunkSize;
  return Step::kNext;
}

ParsedRequest RequestParser::take() {
  ParsedRequest out = std::move(req_);
  *this = RequestParser(limits_);
  return out;
}

bool RequestParser::inRequest() const { return started_; }

bool RequestParser::headersDone() const {
  return phase_ != Phase::kRequestLine && phase_ != Phase::kHeaderLines && phase_ != Phase::kError;
}

bool RequestParser::expectsContinue() const {
  return expectContinue_ && phase_ != Phase::kDone && phase_ != Phase::kError;
}

int RequestParser::errorStatus() const { return errorStatus_; }

const std::string& RequestParser::errorMessage() const { return errorMessage_; }

}  // namespace dispatch::http
