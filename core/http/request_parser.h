// A strict, incremental HTTP/1.1 request parser (RFC 9112) for the front door. It frames a
// request exactly one way or refuses it: anything a proxy in front of us might read
// differently (bare LF, folded lines, whitespace before a colon, two lengths, a length beside
// a transfer coding, an unknown coding) is an error with the status to answer, never a guess.
// Pure: no sockets, no clock; the event loop feeds it the bytes it has and acts on the result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dispatch::http {

struct ParseLimits {
  // Request line plus header fields plus the blank line; past it → 431. Default: 64 KiB.
  size_t maxHeaderBytes = 64 << 10;
  // The request-target; past it → 414. Default: 16 KiB.
  size_t maxTargetBytes = 16 << 10;
  // Header fields in one request (trailer fields counted apart); past it → 431. Default: 256.
  size_t maxHeaderCount = 256;
  // The body: a larger Content-Length → 413 as soon as the header block is parsed (before
  // any body byte is read); a chunked body that grows past it → 413. Default: 1 MiB.
  int64_t maxBodyBytes = 1 << 20;
};

// One complete request as framed on the wire.
struct ParsedRequest {
  std::string method;    // as sent (case-sensitive token)
  std::string target;    // origin-form ("/path?query"); an absolute-form target is reduced to it
  int versionMinor = 1;  // HTTP/1.<minor>: 0 or 1
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values OWS-trimmed
  std::string body;                                          // de-chunked
  bool keepAlive = true;  // 1.1 unless "Connection: close"; 1.0 only with "Connection: keep-alive"
};

class RequestParser {
 public:
  enum class Result {
    kNeedMore,     // every byte given was consumed; send more
    kHeadersDone,  // the header block is complete (only reported once per request, see below)
    kComplete,     // a whole request is ready: take() it
    kError,        // refuse with errorStatus()/errorMessage() and close the connection
  };

  explicit RequestParser(ParseLimits limits = {});

  // Parses from the start of `data`, the bytes received and not yet consumed. Sets *consumed
  // to how many bytes of `data` it used (the caller drops them before the next call; the
  // parser keeps what it needs of them). Returns:
  //  - kHeadersDone once, when the header block of a request with a body has just been
  //    parsed (the caller switches from the header timeout to the body timeout and may answer
  //    "100 Continue"); call again to go on with the body;
  //  - kComplete when a request is complete (a request without a body goes straight here
  //    from its header block). Bytes after it (a pipelined request) are not consumed;
  //  - kError on the first violation; later calls keep returning kError.
  // Empty lines (CRLF) before a request line are skipped, as RFC 9112 2.2 allows.
  Result parse(std::string_view data, size_t* consumed);

  // After kComplete: the request, and the parser is ready for the next one.
  ParsedRequest take();

  // True from the first byte of a request (blank lines excluded) until it is taken; the
  // event loop's header and body timeouts run while this is true.
  bool inRequest() const;
  // True once the header block is parsed and until the request is taken.
  bool headersDone() const;
  // The request sent "Expect: 100-continue" (HTTP/1.1) and has a body still to come.
  bool expectsContinue() const;

  // After kError: 400, 413, 414, 431, 501 or 505, and a sentence for the envelope's message
  // that quotes nothing of the request.
  int errorStatus() const;
  const std::string& errorMessage() const;

 private:
  // Where the parser stands in the request; every phase but kDone/kError can wait for bytes.
  enum class Phase {
    kRequestLine,
    kHeaderLines,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kDone,
    kError
  };
  // What one phase step decided: go on with the next phase, or return to the caller.
  enum class Step { kNext, kNeedMore, kHeadersDone, kComplete, kError };
  enum class LineRead { kLine, kPartial, kOverflow };

  LineRead nextLine(std::string_view data, size_t* pos, size_t budget, std::string_view* line);
  Step requestLineStep(std::string_view data, size_t* pos);
  bool skipLeadingEmptyLines(std::string_view data, size_t* pos);
  bool requestLinePrefixOk(std::string_view prefix);
  Step parseRequestLine(std::string_view line);
  Step fieldLinesStep(std::string_view data, size_t* pos, bool trailers);
  Step finishHead();
  Step bodyStep(std::string_view data, size_t* pos);
  Step chunkSizeStep(std::string_view data, size_t* pos);
  Step chunkDataStep(std::string_view data, size_t* pos);
  Step chunkDataEndStep(std::string_view data, size_t* pos);
  Step fail(int status, const char* message);

  ParseLimits limits_;
  Phase phase_ = Phase::kRequestLine;
  ParsedRequest req_;
  std::string partial_;      // the bytes of the current line received in earlier calls
  std::string lineBuf_;      // a line completed across calls (partial_ plus its end)
  size_t blockBytes_ = 0;    // complete lines of the header block (or trailer section) so far
  size_t leadingBytes_ = 0;  // blank-line bytes skipped before this request line
  // What the request-line prefix check has learnt (offsets in the line; npos until found).
  size_t lineChecked_ = 0;
  size_t methodEnd_ = std::string_view::npos;
  size_t targetEnd_ = std::string_view::npos;
  int64_t remaining_ = 0;  // body or chunk bytes still to read
  size_t trailerCount_ = 0;
  int crlfSeen_ = 0;        // bytes of the CRLF after a chunk's data seen so far
  bool pendingCr_ = false;  // a CR that may start a blank line before the request line
  bool started_ = false;
  bool expectContinue_ = false;
  int errorStatus_ = 0;
  std::string errorMessage_;
};

}  // namespace dispatch::http
