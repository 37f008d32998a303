#include "src/http/h1/http1_response_parser.h"

#include <http_parser.h>

#include <algorithm>
#include <vector>

#include "src/http/h1/http1_parser.h"
#include "src/http/h1/http1_syntax.h"

namespace triplex::http {
namespace {

using namespace h1syntax;

constexpr std::size_t kMaxChunkLine = 4096;  // size plus extensions; nobody needs more

// HTTP/1.0 or HTTP/1.1, SP, three digits (100-999), then SP and a reason
// phrase (whose bytes the scan checked) or nothing: http-parser would also
// take one- or two-digit codes and runs of spaces.
bool valid_status_line(std::string_view s) {
  if (s.size() < 12 || !s.starts_with("HTTP/1.") || (s[7] != '0' && s[7] != '1') || s[8] != ' ') {
    return false;
  }
  for (std::size_t i = 9; i < 12; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return s[9] != '0' && (s.size() == 12 || s[12] == ' ');
}

// Trailers that would change the message's framing or the connection: dropped.
bool framing_field(std::string_view name) {
  return name == "content-length" || name == "transfer-encoding" || name == "connection" ||
         name == "keep-alive" || name == "trailer" || name == "te" || name == "host";
}

Http1ResponseParser* self(http_parser* p) { return static_cast<Http1ResponseParser*>(p->data); }
int on_header_field_cb(http_parser* p, const char* at, std::size_t n) {
  return self(p)->on_header_field({at, n});
}
int on_header_value_cb(http_parser* p, const char* at, std::size_t n) {
  return self(p)->on_header_value({at, n});
}
int on_headers_complete_cb(http_parser* p) { return self(p)->on_headers_complete(); }

http_parser_settings make_settings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_header_field = on_header_field_cb;
  s.on_header_value = on_header_value_cb;
  s.on_headers_complete = on_headers_complete_cb;
  return s;
}

const http_parser_settings kSettings = make_settings();

}  // namespace

struct Http1ResponseParser::Tokenizer {
  http_parser parser;
  std::vector<Header> fields;  // raw, as the callbacks deliver them
};

Http1ResponseParser::Http1ResponseParser(Limits limits)
    : limits_(limits), tokenizer_(new Tokenizer) {}

Http1ResponseParser::~Http1ResponseParser() { delete tokenizer_; }

void Http1ResponseParser::start(bool head_request) {
  head_request_ = head_request;
  informational_ = 0;
  reset_head();
  phase_ = Phase::kHead;
  remaining_ = 0;
  line_buffer_.clear();
  trailer_bytes_ = 0;
  trailers_ = {};
  error_ = "";
}

void Http1ResponseParser::reset_head() {
  scanned_ = 0;
  line_ = Line::kStatus;
  after_cr_ = false;
  headers_complete_ = false;
  tokenizer_->fields.clear();
  response_ = {};
}

Http1ResponseParser::State Http1ResponseParser::fail(const char* why) {
  if (phase_ != Phase::kError) error_ = why;
  phase_ = Phase::kError;
  return State::kError;
}

Http1ResponseParser::State Http1ResponseParser::parse(std::string_view& in, std::string& body) {
  while (phase_ == Phase::kHead) {
    std::size_t end = scan(in);
    if (phase_ == Phase::kError) return State::kError;
    if (end == std::string_view::npos) {
      return scanned_ > limits_.max_head_size ? fail("response head too large") : State::kNeedMore;
    }
    State state = finish_head(in, end);
    if (state != State::kNeedMore) return state;
    // An interim response was skipped: the final one may follow at once.
  }
  if (phase_ == Phase::kError) return State::kError;
  return decode_body(in, body);
}

std::size_t Http1ResponseParser::scan(std::string_view buffered) {
  std::size_t limit = std::min(buffered.size(), limits_.max_head_size + 1);
  for (; scanned_ < limit; ++scanned_) {
    char c = buffered[scanned_];
    if (after_cr_) {  // lines end in CRLF exactly: a bare CR or LF is a smuggling vector
      if (c != '\n') {
        fail("bare CR in the response head");
        return std::string_view::npos;
      }
      after_cr_ = false;
      switch (line_) {
        case Line::kStatus:
          if (scanned_ == 1) {
            fail("empty line before the status line");
            return std::string_view::npos;
          }
          // Judged now, not when the head ends: a peer that is not an HTTP
          // server (SSH, SMTP) sends one line and waits for us.
          if (!valid_status_line(buffered.substr(0, scanned_ - 1))) {
            fail("malformed status line");
            return std::string_view::npos;
          }
          line_ = Line::kFieldStart;
          break;
        case Line::kValue:
          line_ = Line::kFieldStart;
          break;
        case Line::kFieldStart:
          return ++scanned_;
        case Line::kName:
          fail("field line without a colon");
          return std::string_view::npos;
      }
      continue;
    }
    if (c == '\r') {
      after_cr_ = true;
      continue;
    }
    bool ok = c != '\n';
    // Bytes that cannot begin "HTTP/1.": no need to wait for the line's end.
    constexpr std::string_view kVersion = "HTTP/1.";
    if (line_ == Line::kStatus && scanned_ < kVersion.size() && c != kVersion[scanned_]) {
      fail("malformed status line");
      return std::string_view::npos;
    }
    switch (line_) {
      case Line::kStatus:
      case Line::kValue:
        ok = ok && is_value_char(c);
        break;
      case Line::kFieldStart:  // SP/HT here is obs-fold
        ok = ok && is_tchar(c);
        line_ = Line::kName;
        break;
      case Line::kName:  // also rejects whitespace before the colon
        if (c == ':') {
          line_ = Line::kValue;
        } else {
          ok = ok && is_tchar(c);
        }
        break;
    }
    if (!ok) {
      fail(c == '\n' ? "bare LF in the response head" : "invalid byte in the response head");
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

// The whole head is tokenized in one call, so a name never arrives in pieces:
// each callback starts a field (even one whose empty value got no callback).
int Http1ResponseParser::on_header_field(std::string_view data) {
  auto& fields = tokenizer_->fields;
  fields.emplace_back();
  for (char c : data) {
    fields.back().name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return 0;
}

int Http1ResponseParser::on_header_value(std::string_view data) {
  auto& fields = tokenizer_->fields;
  if (fields.empty()) return 1;
  fields.back().value.append(data);
  return 0;
}

int Http1ResponseParser::on_headers_complete() {
  headers_complete_ = true;
  return 0;
}

Http1ResponseParser::State Http1ResponseParser::finish_head(std::string_view& in, std::size_t end) {
  std::string_view head = in.substr(0, end);
  if (!valid_status_line(head.substr(0, head.find("\r\n")))) return fail("malformed status line");
  http_parser& parser = tokenizer_->parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = this;
  std::size_t n = http_parser_execute(&parser, &kSettings, head.data(), head.size());
  if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || n != head.size() || !headers_complete_) {
    return fail("malformed response head");
  }
  response_.head.status = static_cast<int>(parser.status_code);
  response_.minor_version = parser.http_minor;
  for (auto& f : tokenizer_->fields) response_.head.headers.add(f.name, trim(f.value));
  in.remove_prefix(end);
  int status = response_.head.status;
  if (status < 200) {
    // We never ask to switch protocols; other 1xx (100 Continue, 103) are hints.
    if (status == 101) return fail("unexpected 101 Switching Protocols");
    if (++informational_ > limits_.max_informational) return fail("too many interim responses");
    reset_head();
    return State::kNeedMore;
  }
  if (const char* why = check_framing()) return fail(why);
  switch (response_.body) {
    case Http1Response::Body::kNone:
      phase_ = Phase::kDone;
      break;
    case Http1Response::Body::kLength:
      remaining_ = response_.length;
      phase_ = Phase::kLength;
      break;
    case Http1Response::Body::kChunked:
      phase_ = Phase::kChunkSize;
      break;
    case Http1Response::Body::kUntilClose:
      phase_ = Phase::kUntilClose;
      break;
  }
  return State::kHead;
}

// RFC 9112 section 6.3, minus its leniencies: both framing fields, several
// lengths and codings we cannot undo are errors, not guesses.
const char* Http1ResponseParser::check_framing() {
  const Headers& headers = response_.head.headers;
  std::size_t lengths = headers.count("content-length");
  std::size_t codings = headers.count("transfer-encoding");
  if (lengths > 0 && codings > 0) return "both content-length and transfer-encoding";
  if (lengths > 1) return "more than one content-length";
  std::uint64_t length = 0;
  if (lengths == 1 && !parse_decimal(*headers.find("content-length"), length)) {
    return "malformed content-length";
  }
  if (codings > 0) {
    std::vector<std::string_view> all;
    for (const auto& h : headers) {
      if (h.name != "transfer-encoding") continue;
      auto tokens = list_tokens(h.value);
      all.insert(all.end(), tokens.begin(), tokens.end());
    }
    if (all.size() != 1 || !iequals(all[0], "chunked")) return "transfer coding other than chunked";
    if (response_.minor_version == 0) return "transfer-encoding in an HTTP/1.0 response";
  }
  bool http11 = response_.minor_version == 1;
  response_.keep_alive = !has_token(headers, "connection", "close") &&
                         (http11 || has_token(headers, "connection", "keep-alive"));
  int status = response_.head.status;
  using Body = Http1Response::Body;
  if (head_request_ || status == 204 || status == 304) {
    response_.body = Body::kNone;  // framing fields describe the GET's body, if anything
  } else if (codings > 0) {
    response_.body = Body::kChunked;
  } else if (lengths > 0) {
    response_.body = length > 0 ? Body::kLength : Body::kNone;
    response_.length = length;
  } else {
    response_.body = Body::kUntilClose;
    response_.keep_alive = false;
  }
  return nullptr;
}

Http1ResponseParser::State Http1ResponseParser::decode_body(std::string_view& in,
                                                            std::string& body) {
  while (!in.empty() && phase_ != Phase::kDone && phase_ != Phase::kError) {
    switch (phase_) {
      case Phase::kUntilClose:
        body.append(in);
        in = {};
        break;
      case Phase::kLength:
      case Phase::kChunkData: {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
        body.append(in.substr(0, n));
        in.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) phase_ = phase_ == Phase::kLength ? Phase::kDone : Phase::kChunkCr;
        break;
      }
      case Phase::kChunkCr:
      case Phase::kChunkLf:
        if (in[0] != (phase_ == Phase::kChunkCr ? '\r' : '\n')) return fail("chunk without CRLF");
        in.remove_prefix(1);
        phase_ = phase_ == Phase::kChunkCr ? Phase::kChunkLf : Phase::kChunkSize;
        break;
      case Phase::kChunkSize:
      case Phase::kTrailer: {
        auto lf = in.find('\n');
        std::size_t take = lf == std::string_view::npos ? in.size() : lf + 1;
        line_buffer_.append(in.substr(0, take));
        in.remove_prefix(take);
        if (phase_ == Phase::kChunkSize && line_buffer_.size() > kMaxChunkLine) {
          return fail("chunk size line too long");
        }
        if (phase_ == Phase::kTrailer && (trailer_bytes_ += take) > limits_.max_trailer_size) {
          return fail("trailers too large");
        }
        if (lf == std::string_view::npos) break;
        if (!take_line(line_buffer_)) return State::kError;
        line_buffer_.clear();
        break;
      }
      case Phase::kHead:
      case Phase::kDone:
      case Phase::kError:
        break;
    }
  }
  switch (phase_) {
    case Phase::kDone:
      return State::kDone;
    case Phase::kError:
      return State::kError;
    default:
      return State::kNeedMore;
  }
}

bool Http1ResponseParser::take_line(std::string_view line) {
  if (line.size() < 2 || line[line.size() - 2] != '\r') {
    fail("bare LF in chunked framing");
    return false;
  }
  std::string_view content = line.substr(0, line.size() - 2);
  if (content.find('\r') != std::string_view::npos) {
    fail("bare CR in chunked framing");
    return false;
  }
  if (phase_ == Phase::kChunkSize) {
    if (!parse_chunk_size_line(content, remaining_)) {
      fail("malformed chunk size");
      return false;
    }
    phase_ = remaining_ > 0 ? Phase::kChunkData : Phase::kTrailer;
    return true;
  }
  if (content.empty()) {
    phase_ = Phase::kDone;
    return true;
  }
  auto colon = content.find(':');
  std::string_view name = content.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : content.substr(colon + 1);
  if (colon == std::string_view::npos || !is_token(name) ||
      !std::all_of(value.begin(), value.end(), is_value_char)) {
    fail("malformed trailer field");
    return false;
  }
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!framing_field(lower)) trailers_.add(lower, trim(value));
  return true;
}

bool Http1ResponseParser::finish_at_eof() {
  if (phase_ == Phase::kUntilClose) phase_ = Phase::kDone;
  return phase_ == Phase::kDone;
}

}  // namespace triplex::http
