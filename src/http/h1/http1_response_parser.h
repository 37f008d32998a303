#pragma once
// The sans-I/O half of the HTTP/1.1 client: parses one response (status
// line, header section, body by Content-Length, chunked with trailers, or
// until the connection closes) from bytes as they arrive. http-parser
// tokenizes the head; everything it would let through that a strict reader
// must not (bare LF or CR, obs-fold, leading blank lines, sloppy status
// lines, ambiguous framing, unknown transfer codings, oversized heads or
// trailers) is refused here, because our gateway relays these responses and
// a lenient reader there is a response-smuggling hazard.
//
// Concurrency: a plain value, used by one connection on its worker.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/http/headers.h"

namespace triplex::http {

// A final response head that passed every check.
struct Http1Response {
  enum class Body : std::uint8_t { kNone, kLength, kChunked, kUntilClose };

  ResponseHead head;
  int minor_version = 1;  // HTTP/1.<minor>; only 0 and 1 get here
  Body body = Body::kNone;
  std::uint64_t length = 0;  // kLength only
  // The connection may carry another request after this response.
  bool keep_alive = true;
};

class Http1ResponseParser {
 public:
  enum class State : std::uint8_t { kNeedMore, kHead, kDone, kError };

  struct Limits {
    // Status line plus header section, per head. http-parser refuses heads
    // beyond 80 KiB whatever this says.
    std::size_t max_head_size = 64 * 1024;
    std::size_t max_trailer_size = 16 * 1024;
    // Interim (1xx) responses skipped before the final one.
    std::size_t max_informational = 16;
  };

  explicit Http1ResponseParser(Limits limits);
  ~Http1ResponseParser();
  Http1ResponseParser(const Http1ResponseParser&) = delete;
  Http1ResponseParser& operator=(const Http1ResponseParser&) = delete;

  // Prepares for the response to the next request; `head_request`: it
  // answers HEAD (a body is never sent, whatever the head says).
  void start(bool head_request);

  // Parses from the front of `in`: everything received and not yet consumed
  // (while a head is incomplete nothing is consumed, and the next call must
  // see the same bytes again, with more appended). Body bytes are appended
  // to `body`. kHead: the final head is ready in response(); call again for
  // the body. kDone: the response is complete (trailers()) and `in` holds
  // what followed it. kError: see error().
  State parse(std::string_view& in, std::string& body);
  // The peer closed the connection: true if that completes the response
  // (its body runs until the close).
  bool finish_at_eof();

  Http1Response& response() { return response_; }
  Headers& trailers() { return trailers_; }
  // A head has been found (a body may be arriving).
  bool head_done() const { return phase_ != Phase::kHead; }
  // A valid status line has been read for the head being parsed; after a
  // failure, false means the peer does not speak HTTP/1.x at all.
  bool status_line_seen() const { return line_ != Line::kStatus; }
  // Why parsing failed, for logs and tests.
  const char* error() const { return error_; }

  // http-parser callbacks (through tiny free functions in the .cc).
  int on_header_field(std::string_view data);
  int on_header_value(std::string_view data);
  int on_headers_complete();

 private:
  enum class Phase : std::uint8_t {
    kHead,
    kLength,
    kChunkSize,
    kChunkData,
    kChunkCr,
    kChunkLf,
    kTrailer,
    kUntilClose,
    kDone,
    kError,
  };
  enum class Line : std::uint8_t { kStatus, kFieldStart, kName, kValue };

  State fail(const char* why);
  // Walks new bytes of a head; returns its end or npos.
  std::size_t scan(std::string_view buffered);
  // Tokenizes and checks a complete head; kHead, kError, or kNeedMore after
  // an interim response (consumed from `in`).
  State finish_head(std::string_view& in, std::size_t end);
  const char* check_framing();
  void reset_head();
  State decode_body(std::string_view& in, std::string& body);
  // One complete chunk-size or trailer line, CRLF included.
  bool take_line(std::string_view line_with_crlf);

  Limits limits_;
  struct Tokenizer;  // http-parser state, kept out of this header
  Tokenizer* tokenizer_;
  bool head_request_ = false;
  std::size_t informational_ = 0;

  Phase phase_ = Phase::kHead;
  std::size_t scanned_ = 0;
  Line line_ = Line::kStatus;
  bool after_cr_ = false;
  bool headers_complete_ = false;

  std::uint64_t remaining_ = 0;
  std::string line_buffer_;
  std::size_t trailer_bytes_ = 0;

  Http1Response response_;
  Headers trailers_;
  const char* error_ = "";
};

}  // namespace triplex::http
