#include "src/http/h1/http1_parser.h"

#include <http_parser.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "src/http/h1/http1_syntax.h"

namespace triplex::http {
namespace {

constexpr std::size_t kMaxChunkLine = 4096;  // size plus extensions; nobody needs more

using h1syntax::has_token;
using h1syntax::iequals;
using h1syntax::is_tchar;
using h1syntax::is_ws;
using h1syntax::list_tokens;
using h1syntax::parse_decimal;
using h1syntax::trim;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
  return -1;
}

Http1HeadParser* self(http_parser* parser) { return static_cast<Http1HeadParser*>(parser->data); }
int on_url_cb(http_parser* p, const char* at, std::size_t n) { return self(p)->on_url({at, n}); }
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
  s.on_url = on_url_cb;
  s.on_header_field = on_header_field_cb;
  s.on_header_value = on_header_value_cb;
  s.on_headers_complete = on_headers_complete_cb;
  return s;
}

const http_parser_settings kSettings = make_settings();

}  // namespace

struct Http1HeadParser::Tokenizer {
  http_parser parser;
  std::vector<Header> fields;  // raw, as the callbacks deliver them
};

Http1HeadParser::Http1HeadParser(std::size_t max_head_size)
    : max_head_size_(max_head_size), tokenizer_(new Tokenizer) {}

Http1HeadParser::~Http1HeadParser() { delete tokenizer_; }

void Http1HeadParser::reset() {
  scanned_ = 0;
  line_ = Line::kLeading;
  after_cr_ = false;
  malformed_ = false;
  headers_complete_ = false;
  target_.clear();
  tokenizer_->fields.clear();
  consumed_ = 0;
  error_status_ = 0;
  error_reason_ = {};
  request_ = {};
}

Http1HeadParser::State Http1HeadParser::fail(int status, std::string_view reason) {
  error_status_ = status;
  error_reason_ = reason;
  return State::kError;
}

Http1HeadParser::State Http1HeadParser::parse(std::string_view buffered) {
  if (error_status_ != 0) return State::kError;
  if (consumed_ != 0) return State::kDone;
  std::size_t end = scan(buffered);
  if (malformed_) return fail(400, "malformed request head");
  if (end == std::string_view::npos) {
    if (scanned_ <= max_head_size_) return State::kNeedMore;
    // Still inside the request line: the target is what is too long.
    if (buffered.substr(0, scanned_).find('\n') == std::string_view::npos) {
      return fail(414, "request target too long");
    }
    return fail(431, "request header fields too large");
  }
  return finish_head(buffered.substr(0, end));
}

std::size_t Http1HeadParser::scan(std::string_view buffered) {
  std::size_t limit = std::min(buffered.size(), max_head_size_ + 1);
  for (; scanned_ < limit; ++scanned_) {
    auto c = static_cast<unsigned char>(buffered[scanned_]);
    if (after_cr_ && c != '\n') {  // CR only ever ends a line
      malformed_ = true;
      return std::string_view::npos;
    }
    if (c == '\r') {
      after_cr_ = true;
      continue;
    }
    if (c == '\n') {
      after_cr_ = false;
      switch (line_) {
        case Line::kLeading:  // empty lines before the request line are skipped
          break;
        case Line::kRequestLine:
        case Line::kValue:
          line_ = Line::kFieldStart;
          break;
        case Line::kFieldStart:
          return ++scanned_;
        case Line::kName:  // a field line without a colon
          malformed_ = true;
          return std::string_view::npos;
      }
      continue;
    }
    bool ok = true;
    switch (line_) {
      case Line::kLeading:
        line_ = Line::kRequestLine;
        break;
      case Line::kRequestLine:
        ok = c >= 0x20 && c != 0x7f;
        break;
      case Line::kFieldStart:
        // SP/HT here is obs-fold (or whitespace before the first field).
        ok = is_tchar(c);
        line_ = Line::kName;
        break;
      case Line::kName:  // also rejects whitespace before the colon
        if (c == ':') {
          line_ = Line::kValue;
        } else {
          ok = is_tchar(c);
        }
        break;
      case Line::kValue:
        ok = (c >= 0x20 || c == '\t') && c != 0x7f;
        break;
    }
    if (!ok) {
      malformed_ = true;
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

int Http1HeadParser::on_url(std::string_view data) {
  target_.append(data);
  return 0;
}

// The whole head is tokenized in one call, so a name never arrives in pieces:
// each callback starts a field (even one whose empty value got no callback).
int Http1HeadParser::on_header_field(std::string_view data) {
  auto& fields = tokenizer_->fields;
  fields.emplace_back();
  for (char c : data) {
    fields.back().name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return 0;
}

int Http1HeadParser::on_header_value(std::string_view data) {
  auto& fields = tokenizer_->fields;
  if (fields.empty()) return 1;
  fields.back().value.append(data);
  return 0;
}

int Http1HeadParser::on_headers_complete() {
  headers_complete_ = true;
  return 0;
}

// Framing fields first: their answer does not depend on the rest of the head.
int Http1HeadParser::check_fields() {
  const Headers& headers = request_.head.headers;
  std::size_t lengths = headers.count("content-length");
  std::size_t codings = headers.count("transfer-encoding");
  if (lengths > 0 && codings > 0) return 400;
  if (lengths > 1) return 400;
  if (codings > 0) {
    std::vector<std::string_view> all;
    for (const auto& h : headers) {
      if (h.name != "transfer-encoding") continue;
      auto tokens = list_tokens(h.value);
      all.insert(all.end(), tokens.begin(), tokens.end());
    }
    // Without a final chunked the length is unknowable (RFC 9112 section 6.1).
    if (all.empty() || !iequals(all.back(), "chunked")) return 400;
    if (all.size() != 1) return 501;  // codings we do not implement
    request_.framing = {Http1Framing::Kind::kChunked, 0};
  } else if (lengths == 1) {
    std::uint64_t n = 0;
    if (!parse_decimal(*headers.find("content-length"), n)) return 400;
    if (n > 0) request_.framing = {Http1Framing::Kind::kLength, n};
  }
  return 0;
}

Http1HeadParser::State Http1HeadParser::finish_head(std::string_view head) {
  http_parser& parser = tokenizer_->parser;
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = this;
  std::size_t n = http_parser_execute(&parser, &kSettings, head.data(), head.size());
  bool tokenized = HTTP_PARSER_ERRNO(&parser) == HPE_OK && n == head.size() && headers_complete_;

  RequestHead& out = request_.head;
  for (auto& f : tokenizer_->fields) out.headers.add(f.name, trim(f.value));
  if (int status = check_fields(); status != 0) {
    return fail(status, status == 501 ? "transfer coding not implemented"
                                      : "conflicting or invalid body length fields");
  }
  if (!tokenized) return fail(400, "malformed request line or header field");
  if (parser.http_major != 1 || parser.http_minor > 1) {
    return fail(505, "HTTP version not supported");
  }
  request_.minor_version = parser.http_minor;
  bool http11 = parser.http_minor == 1;
  if (!http11 && request_.framing.kind == Http1Framing::Kind::kChunked) {
    return fail(400, "chunked body in an HTTP/1.0 request");
  }

  auto method = static_cast<http_method>(parser.method);
  if (method == HTTP_CONNECT) return fail(501, "CONNECT is not supported");
  out.method = http_method_str(method);
  request_.head_method = method == HTTP_HEAD;

  std::size_t hosts = out.headers.count("host");
  if (hosts > 1 || (http11 && hosts == 0)) return fail(400, "missing or repeated host field");
  if (hosts == 1) out.authority = *out.headers.find("host");
  bool origin_form = !target_.empty() && target_[0] == '/';
  bool asterisk_form = target_ == "*" && method == HTTP_OPTIONS;
  if (origin_form || asterisk_form) {
    out.path = target_;
  } else {
    // absolute-form: its authority wins over Host (RFC 9112 section 3.2.2).
    http_parser_url url;
    http_parser_url_init(&url);
    if (http_parser_parse_url(target_.data(), target_.size(), 0, &url) != 0) {
      return fail(400, "invalid request target");
    }
    auto field = [&](int f) {
      return std::string_view(target_).substr(url.field_data[f].off, url.field_data[f].len);
    };
    if (!(url.field_set & (1 << UF_SCHEMA)) || !(url.field_set & (1 << UF_HOST))) {
      return fail(400, "invalid request target");
    }
    out.authority = field(UF_HOST);
    if (url.field_set & (1 << UF_PORT)) out.authority.append(":").append(field(UF_PORT));
    out.path = (url.field_set & (1 << UF_PATH)) ? std::string(field(UF_PATH)) : "/";
    if (url.field_set & (1 << UF_QUERY)) out.path.append("?").append(field(UF_QUERY));
  }

  bool close = has_token(out.headers, "connection", "close");
  request_.keep_alive = !close && (http11 || has_token(out.headers, "connection", "keep-alive"));
  // HTTP/1.0 clients do not know 100 (RFC 9110 section 10.1.1).
  request_.expect_continue = http11 && has_token(out.headers, "expect", "100-continue");
  request_.te_trailers = has_token(out.headers, "te", "trailers");
  consumed_ = head.size();
  return State::kDone;
}

bool parse_chunk_size_line(std::string_view line, std::uint64_t& size) {
  std::size_t i = 0;
  size = 0;
  for (; i < line.size() && hex_value(line[i]) >= 0; ++i) {
    if (i == 15) return false;  // beyond any sane body
    size = size * 16 + static_cast<std::uint64_t>(hex_value(line[i]));
  }
  if (i == 0) return false;
  auto skip_ws = [&] {
    std::size_t from = i;
    while (i < line.size() && is_ws(line[i])) ++i;
    return i != from;
  };
  auto token = [&] {
    std::size_t from = i;
    while (i < line.size() && is_tchar(static_cast<unsigned char>(line[i]))) ++i;
    return i != from;
  };
  auto quoted = [&] {
    if (i >= line.size() || line[i] != '"') return false;
    for (++i; i < line.size(); ++i) {
      auto c = static_cast<unsigned char>(line[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c == '\\') {
        if (++i == line.size()) return false;
        c = static_cast<unsigned char>(line[i]);
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return false;
  };
  // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
  while (true) {
    bool spaced = skip_ws();
    if (i == line.size()) return !spaced;
    if (line[i] != ';') return false;
    ++i;
    skip_ws();
    if (!token()) return false;
    std::size_t before = i;
    skip_ws();
    if (i < line.size() && line[i] == '=') {
      ++i;
      skip_ws();
      if (!token() && !quoted()) return false;
    } else {
      i = before;
    }
  }
}

Http1BodyDecoder::Http1BodyDecoder(Http1Framing framing, std::size_t max_trailer_size)
    : kind_(framing.kind), max_trailer_size_(max_trailer_size) {
  switch (kind_) {
    case Http1Framing::Kind::kNone:
      phase_ = Phase::kDone;
      break;
    case Http1Framing::Kind::kLength:
      remaining_ = framing.length;
      phase_ = remaining_ > 0 ? Phase::kData : Phase::kDone;
      break;
    case Http1Framing::Kind::kChunked:
      phase_ = Phase::kSizeLine;
      break;
  }
}

Http1BodyDecoder::State Http1BodyDecoder::decode(std::string_view& in, std::string& out) {
  auto error = [this] {
    phase_ = Phase::kError;
    return State::kError;
  };
  while (!in.empty() && phase_ != Phase::kDone && phase_ != Phase::kError) {
    switch (phase_) {
      case Phase::kData: {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
        out.append(in.substr(0, n));
        in.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          phase_ = kind_ == Http1Framing::Kind::kLength ? Phase::kDone : Phase::kDataCr;
        }
        break;
      }
      case Phase::kDataCr:
        if (in[0] != '\r') return error();
        in.remove_prefix(1);
        phase_ = Phase::kDataLf;
        break;
      case Phase::kDataLf:
        if (in[0] != '\n') return error();
        in.remove_prefix(1);
        phase_ = Phase::kSizeLine;
        break;
      case Phase::kSizeLine:
      case Phase::kTrailer: {
        auto lf = in.find('\n');
        std::size_t take = lf == std::string_view::npos ? in.size() : lf + 1;
        line_.append(in.substr(0, take));
        in.remove_prefix(take);
        if (phase_ == Phase::kSizeLine && line_.size() > kMaxChunkLine) return error();
        if (phase_ == Phase::kTrailer && (trailer_bytes_ += take) > max_trailer_size_) {
          return error();
        }
        if (lf == std::string_view::npos) break;
        // Lines end in CRLF exactly; a bare LF or CR is a smuggling vector.
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') return error();
        std::string_view content(line_.data(), line_.size() - 2);
        if (content.find('\r') != std::string_view::npos) return error();
        if (phase_ == Phase::kSizeLine) {
          if (!parse_chunk_size_line(content, remaining_)) return error();
          phase_ = remaining_ > 0 ? Phase::kData : Phase::kTrailer;
        } else if (content.empty()) {
          phase_ = Phase::kDone;
        } else if (is_ws(content[0]) || content.find(':') == std::string_view::npos) {
          return error();  // trailers are ignored, but must still be field lines
        }
        line_.clear();
        break;
      }
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
      return State::kMore;
  }
}

}  // namespace triplex::http
