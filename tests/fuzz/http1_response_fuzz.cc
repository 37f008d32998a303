// The HTTP/1.1 client's response parser as a connection drives it: bytes kept
// until consumed, one response after another on a keep-alive connection, the
// close at the end. The same bytes fed whole and in fuzzer-chosen pieces must
// give the same heads, bodies, trailers and errors, and every head must keep
// the promises of Http1Response.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/http/h1/http1_response_parser.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::fuzz::check;
using triplex::fuzz::Splitter;
using triplex::http::Http1Response;
using triplex::http::Http1ResponseParser;
using State = Http1ResponseParser::State;
using Body = Http1Response::Body;

constexpr std::size_t kMaxResponses = 64;

Http1ResponseParser::Limits limits() {
  Http1ResponseParser::Limits l;
  l.max_head_size = 2048;  // small, so the limits are within reach
  l.max_trailer_size = 256;
  l.max_informational = 4;
  return l;
}

bool is_lower_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

void check_head(const Http1Response& r, bool head_request) {
  int status = r.head.status;
  check(status >= 200 && status <= 999, "a final status is 200 to 999");
  check(r.minor_version == 0 || r.minor_version == 1, "HTTP/1.0 or HTTP/1.1 only");
  if (head_request || status == 204 || status == 304) check(r.body == Body::kNone, "no body");
  if (r.body == Body::kLength) check(r.length > 0, "a length body is not empty");
  if (r.body == Body::kUntilClose) check(!r.keep_alive, "a body to the close ends the connection");
  if (r.body == Body::kChunked) check(r.minor_version == 1, "chunked only in HTTP/1.1");
  for (const auto& h : r.head.headers) {
    check(is_lower_token(h.name), "field names are lowercase tokens");
    for (char c : h.value) check(c != '\r' && c != '\n' && c != '\0', "no CR, LF or NUL in values");
  }
}

// One connection's worth of responses; returns what happened, for comparing runs.
class Connection {
 public:
  Connection() : parser_(limits()) { start(); }

  // False once the connection would close.
  bool feed(std::string_view piece) {
    closed_ = !parse(piece);
    return !closed_;
  }

  std::string finish() {
    // What a closed connection had buffered depends on how the bytes came.
    if (closed_) return log_ + "closed\n";
    bool complete = parser_.finish_at_eof();
    log_ += (complete ? "complete at close, body " : "incomplete at close, body ") +
            std::to_string(body_.size()) + ", " + std::to_string(buffered_.size()) + " left\n";
    return log_;
  }

 private:
  bool parse(std::string_view piece) {
    buffered_.append(piece);
    for (;;) {
      std::string_view in = buffered_;
      const std::size_t before_body = body_.size();
      const bool had_head = parser_.head_done();
      State state = parser_.parse(in, body_);
      const std::size_t consumed = buffered_.size() - in.size();
      check(body_.size() - before_body <= consumed, "no body bytes from nowhere");
      if (!had_head && !parser_.head_done()) {
        check(state == State::kNeedMore || state == State::kError, "no head yet");
      }
      if (state == State::kNeedMore) {
        // A partial head stays buffered; anything else is consumed.
        check(in.empty() || !parser_.head_done(), "kNeedMore leaves only a partial head");
        check(in.size() <= limits().max_head_size, "a partial head stays within the limit");
      }
      buffered_.erase(0, consumed);
      const Http1Response& r = parser_.response();
      if (r.body == Body::kLength && parser_.head_done() && state != State::kError) {
        check(body_.size() <= r.length, "no more body bytes than declared");
      }
      switch (state) {
        case State::kNeedMore:
          return true;
        case State::kError:
          check(*parser_.error() != '\0', "an error says why");
          log_ += std::string("error ") + (parser_.status_line_seen() ? "after" : "before") +
                  " a status line, body " + std::to_string(body_.size()) + "\n";
          return false;
        case State::kHead:
          check(parser_.head_done(), "kHead means head_done()");
          check_head(r, head_request_);
          log_ += describe(r);
          continue;  // again, for the body
        case State::kDone:
          break;
      }
      check(parser_.head_done(), "kDone after a head");
      if (r.body == Body::kLength) check(body_.size() == r.length, "the whole declared body");
      if (r.body == Body::kNone) check(body_.empty(), "no body bytes without a body");
      if (r.body != Body::kChunked) check(parser_.trailers().empty(), "trailers only when chunked");
      log_ += "body " + body_ + "\n";
      for (const auto& t : parser_.trailers()) {
        check(is_lower_token(t.name), "trailer names are lowercase tokens");
        check(t.name != "content-length" && t.name != "transfer-encoding", "no framing trailers");
        log_ += "  trailer " + t.name + ": " + t.value + "\n";
      }
      if (!r.keep_alive || ++responses_ > kMaxResponses) return false;
      start();
    }
  }

  // Every third response answers a HEAD request.
  void start() {
    head_request_ = responses_ % 3 == 2;
    parser_.start(head_request_);
    body_.clear();
  }

  static std::string describe(const Http1Response& r) {
    std::string out = std::to_string(r.head.status) + " 1." + std::to_string(r.minor_version) +
                      " body " + std::to_string(static_cast<int>(r.body)) + "/" +
                      std::to_string(r.length) + (r.keep_alive ? " keep-alive" : "") + "\n";
    for (const auto& h : r.head.headers) out += "  " + h.name + ": " + h.value + "\n";
    return out;
  }

  Http1ResponseParser parser_;
  std::string buffered_;
  std::string body_;
  bool head_request_ = false;
  bool closed_ = false;
  std::size_t responses_ = 0;
  std::string log_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Splitter splitter(input);

  Connection whole;
  bool whole_open = whole.feed(input);

  Connection split;
  bool split_open = true;
  for (std::size_t pos = 0; pos < input.size() && split_open;) {
    std::size_t n = splitter.next(input.size() - pos);
    split_open = split.feed(input.substr(pos, n));
    pos += n;
  }
  check(whole_open == split_open, "the connection ends alike");
  check(whole.finish() == split.finish(), "split input parses as whole input");
  return 0;
}
