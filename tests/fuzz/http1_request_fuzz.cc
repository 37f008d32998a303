// The HTTP/1.1 server's sans-I/O half as a connection drives it: heads parsed
// from a growing buffer, then each body decoded, then the next pipelined
// request. The same bytes fed whole and in fuzzer-chosen pieces must give the
// same requests, bodies and errors, and every request must keep the promises
// of Http1Request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/http/h1/http1_parser.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::fuzz::check;
using triplex::fuzz::Splitter;
using triplex::http::Http1BodyDecoder;
using triplex::http::Http1Framing;
using triplex::http::Http1HeadParser;
using triplex::http::Http1Request;

constexpr std::size_t kMaxHead = 2048;  // small, so 431 is within reach
constexpr std::size_t kMaxTrailer = 256;
constexpr std::size_t kMaxRequests = 64;

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void check_request(const Http1Request& r, std::string_view head) {
  check(!head.empty() && head.back() == '\n', "a head ends with its empty line");
  check(!r.head.method.empty(), "a completed head has a method");
  const std::string& path = r.head.path;
  check(!path.empty() && (path[0] == '/' || path == "*"), "a path is origin-form or *");
  for (unsigned char c : path) check(c > 0x20 && c != 0x7f, "no control bytes in the path");
  check(r.head.scheme.empty(), "the scheme is the connection's to say");
  check(r.minor_version == 0 || r.minor_version == 1, "HTTP/1.0 or HTTP/1.1 only");
  if (r.framing.kind == Http1Framing::Kind::kChunked) {
    check(r.minor_version == 1, "chunked only in HTTP/1.1");
  }
  if (r.framing.kind == Http1Framing::Kind::kLength) check(r.framing.length > 0, "length > 0");
  check(r.head.headers.count("content-length") <= 1, "one content-length at most");
  check(
      r.head.headers.count("content-length") == 0 || r.head.headers.count("transfer-encoding") == 0,
      "never both framing fields");
  for (const auto& h : r.head.headers) {
    check(!h.name.empty(), "field names are not empty");
    for (char c : h.name) check(is_tchar(c), "field names are lowercase tokens");
    for (char c : h.value) check(c != '\r' && c != '\n' && c != '\0', "no CR, LF or NUL in values");
    if (!h.value.empty()) {
      check(h.value.front() != ' ' && h.value.front() != '\t' && h.value.back() != ' ' &&
                h.value.back() != '\t',
            "values are trimmed");
    }
  }
}

// One connection's worth of parsing; returns what happened, for comparing runs.
class Connection {
 public:
  // False once the connection would close (an error, or too many requests).
  bool feed(std::string_view in) {
    closed_ = !parse(in);
    return !closed_;
  }

  std::string finish() {
    // What a closed connection had buffered depends on how the bytes came.
    if (closed_) return log_ + "closed\n";
    log_ += in_body_ ? "ends in a body of " + std::to_string(body_.size()) + "\n"
                     : "ends with " + std::to_string(buffered_.size()) + " bytes of a head\n";
    return log_;
  }

 private:
  bool parse(std::string_view in) {
    for (;;) {
      if (in_body_) {
        const std::size_t before = body_.size();
        const std::size_t offered = in.size();
        auto state = decoder_.decode(in, body_);
        check(body_.size() - before <= offered - in.size(), "no body bytes from nowhere");
        if (framing_.kind == Http1Framing::Kind::kLength) {
          check(body_.size() <= framing_.length, "no more body bytes than declared");
        }
        if (framing_.kind == Http1Framing::Kind::kNone) check(body_.empty(), "no body");
        if (state == Http1BodyDecoder::State::kError) {
          check(framing_.kind == Http1Framing::Kind::kChunked, "only chunked bodies fail");
          log_ += "body error after " + std::to_string(body_.size()) + "\n";
          return false;
        }
        if (state == Http1BodyDecoder::State::kMore) {
          check(in.empty() && !decoder_.done(), "kMore consumes all it was given");
          return true;
        }
        check(decoder_.done(), "kDone is done()");
        if (framing_.kind == Http1Framing::Kind::kLength) {
          check(body_.size() == framing_.length, "a complete body has the declared length");
        }
        log_ += "body " + body_ + "\n";
        in_body_ = false;
      }
      buffered_.append(in);
      in = {};
      switch (parser_.parse(buffered_)) {
        case Http1HeadParser::State::kNeedMore:
          check(buffered_.size() <= kMaxHead, "an unfinished head stays within the limit");
          return true;
        case Http1HeadParser::State::kError: {
          int status = parser_.error_status();
          check(status == 400 || status == 431 || status == 501 || status == 505,
                "errors are 400, 431, 501 or 505");
          check(parser_.parse(buffered_) == Http1HeadParser::State::kError, "errors stick");
          log_ += "error " + std::to_string(status) + "\n";
          return false;
        }
        case Http1HeadParser::State::kDone:
          break;
      }
      const std::size_t consumed = parser_.consumed();
      check(consumed > 0 && consumed <= buffered_.size(), "a head is within what was buffered");
      const Http1Request& request = parser_.request();
      check_request(request, std::string_view(buffered_).substr(0, consumed));
      log_ += describe(request);
      framing_ = request.framing;
      decoder_ = Http1BodyDecoder(framing_, kMaxTrailer);
      body_.clear();
      in_body_ = true;
      carry_ = buffered_.substr(consumed);
      buffered_.clear();
      parser_.reset();
      in = carry_;
      if (++requests_ > kMaxRequests) return false;
    }
  }

  static std::string describe(const Http1Request& r) {
    std::string out = r.head.method + " " + r.head.path + " @" + r.head.authority + " 1." +
                      std::to_string(r.minor_version) + " framing " +
                      std::to_string(static_cast<int>(r.framing.kind)) + "/" +
                      std::to_string(r.framing.length) + (r.keep_alive ? " keep-alive" : "") +
                      (r.expect_continue ? " 100-continue" : "") +
                      (r.te_trailers ? " te-trailers" : "") + (r.head_method ? " head" : "") + "\n";
    for (const auto& h : r.head.headers) out += "  " + h.name + ": " + h.value + "\n";
    return out;
  }

  Http1HeadParser parser_{kMaxHead};
  Http1BodyDecoder decoder_;
  Http1Framing framing_;
  std::string buffered_;
  std::string carry_;
  std::string body_;
  bool in_body_ = false;
  bool closed_ = false;
  std::size_t requests_ = 0;
  std::string log_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Splitter splitter(input);

  Connection whole;
  whole.feed(input);

  Connection split;
  for (std::size_t pos = 0; pos < input.size();) {
    std::size_t n = splitter.next(input.size() - pos);
    if (!split.feed(input.substr(pos, n))) break;
    pos += n;
  }
  check(whole.finish() == split.finish(), "split input parses as whole input");
  return 0;
}
