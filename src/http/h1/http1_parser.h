#pragma once
// The sans-I/O half of the HTTP/1.1 server: finding, tokenizing and checking
// a request head, and decoding request bodies. http-parser tokenizes the
// request line and header fields; what it lets through (obs-fold, header
// lines without a colon, whitespace before the colon, bare CR, ambiguous
// framing, chunk-extension syntax) is checked here, because every leniency
// in request framing is a request-smuggling hazard behind a proxy.
//
// Concurrency: plain values, used by one connection on its worker.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/http/headers.h"

namespace triplex::http {

// How a request body is delimited.
struct Http1Framing {
  enum class Kind : std::uint8_t { kNone, kLength, kChunked };
  Kind kind = Kind::kNone;
  std::uint64_t length = 0;  // kLength only
};

// A request head that passed every check. `head.scheme` is left empty: only
// the connection knows whether it runs over TLS.
struct Http1Request {
  RequestHead head;
  int minor_version = 1;  // HTTP/1.<minor>; only 0 and 1 get here
  Http1Framing framing;
  bool keep_alive = true;
  bool expect_continue = false;
  bool te_trailers = false;  // `TE: trailers`: chunked trailers are understood
  bool head_method = false;  // HEAD: the response carries no body
};

// Finds the end of a request head in buffered bytes and parses it. Call
// parse() with everything buffered since the request began (it remembers how
// far it scanned); reset() before the next request.
class Http1HeadParser {
 public:
  enum class State : std::uint8_t { kNeedMore, kDone, kError };

  // `max_head_size` bounds the request line plus header section (431 beyond).
  explicit Http1HeadParser(std::size_t max_head_size);
  ~Http1HeadParser();
  Http1HeadParser(const Http1HeadParser&) = delete;
  Http1HeadParser& operator=(const Http1HeadParser&) = delete;

  State parse(std::string_view buffered);
  // kDone: how many bytes of `buffered` the head took; the body follows.
  std::size_t consumed() const { return consumed_; }
  // kError: the status to answer with (400, 431, 501 or 505).
  int error_status() const { return error_status_; }
  // Why, in a few words, for the answer's body.
  std::string_view error_reason() const { return error_reason_; }
  Http1Request& request() { return request_; }
  void reset();

  // http-parser callbacks (through tiny free functions in the .cc).
  int on_url(std::string_view data);
  int on_header_field(std::string_view data);
  int on_header_value(std::string_view data);
  int on_headers_complete();

 private:
  enum class Line : std::uint8_t { kLeading, kRequestLine, kFieldStart, kName, kValue };
  // Walks new bytes line by line; returns the head's end or npos.
  std::size_t scan(std::string_view buffered);
  State fail(int status, std::string_view reason);
  State finish_head(std::string_view head);
  int check_fields();

  std::size_t max_head_size_;
  struct Tokenizer;  // http-parser state, kept out of this header
  Tokenizer* tokenizer_;

  std::size_t scanned_ = 0;
  Line line_ = Line::kLeading;
  bool after_cr_ = false;
  bool malformed_ = false;

  bool headers_complete_ = false;
  std::string target_;
  std::size_t consumed_ = 0;
  int error_status_ = 0;
  std::string_view error_reason_;  // a string literal
  Http1Request request_;
};

// Decodes one request body (Content-Length or chunked) incrementally.
class Http1BodyDecoder {
 public:
  enum class State : std::uint8_t { kMore, kDone, kError };

  Http1BodyDecoder() = default;
  // `max_trailer_size` bounds the (ignored) chunked trailer section.
  Http1BodyDecoder(Http1Framing framing, std::size_t max_trailer_size);

  // Consumes bytes from the front of `in` and appends body bytes to `out`.
  // kDone leaves in `in` whatever follows the body (the next request).
  State decode(std::string_view& in, std::string& out);
  bool done() const { return phase_ == Phase::kDone; }

 private:
  enum class Phase : std::uint8_t { kSizeLine, kData, kDataCr, kDataLf, kTrailer, kDone, kError };

  Http1Framing::Kind kind_ = Http1Framing::Kind::kNone;
  Phase phase_ = Phase::kDone;
  std::uint64_t remaining_ = 0;
  std::string line_;
  std::size_t trailer_bytes_ = 0;
  std::size_t max_trailer_size_ = 0;
};

// Parses `chunk-size [ chunk-ext ]` (RFC 9112 section 7.1.1), the line
// without its CRLF. Exposed for tests.
bool parse_chunk_size_line(std::string_view line, std::uint64_t& size);

}  // namespace triplex::http
