// The sans-I/O HTTP/1.1 request parser: heads, strictness, body decoding.
#include "src/http/h1/http1_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace triplex::http {
namespace {

struct HeadResult {
  Http1HeadParser::State state = Http1HeadParser::State::kNeedMore;
  int status = 0;
  std::size_t consumed = 0;
  Http1Request request;
};

HeadResult parse_head(std::string_view bytes, std::size_t max = 16 * 1024) {
  Http1HeadParser parser(max);
  HeadResult r;
  r.state = parser.parse(bytes);
  r.status = parser.error_status();
  r.consumed = parser.consumed();
  if (r.state == Http1HeadParser::State::kDone) r.request = std::move(parser.request());
  return r;
}

int status_of(std::string_view bytes) {
  auto r = parse_head(bytes);
  return r.state == Http1HeadParser::State::kError ? r.status : 0;
}

TEST(Http1HeadParser, ParsesARequestHead) {
  std::string head =
      "POST /pkg.Svc/Method?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
      "Content-Type:  application/grpc-web \r\nX-Multi: a\r\nx-multi: b\r\nTE: trailers\r\n"
      "Content-Length: 5\r\n\r\n";
  auto r = parse_head(head + "hello");
  ASSERT_EQ(r.state, Http1HeadParser::State::kDone);
  EXPECT_EQ(r.consumed, head.size());
  const auto& parsed = r.request.head;
  EXPECT_EQ(parsed.method, "POST");
  EXPECT_EQ(parsed.path, "/pkg.Svc/Method?x=1");
  EXPECT_EQ(parsed.authority, "example.com:8080");
  ASSERT_NE(parsed.headers.find("content-type"), nullptr);
  EXPECT_EQ(*parsed.headers.find("content-type"), "application/grpc-web");
  EXPECT_EQ(parsed.headers.count("x-multi"), 2u);
  EXPECT_TRUE(r.request.te_trailers);
  EXPECT_TRUE(r.request.keep_alive);
  EXPECT_EQ(r.request.framing.kind, Http1Framing::Kind::kLength);
  EXPECT_EQ(r.request.framing.length, 5u);
}

TEST(Http1HeadParser, ConsumedStopsAtTheEndOfTheHead) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  auto r = parse_head(head + "GET /next HTTP/1.1\r\n");
  ASSERT_EQ(r.state, Http1HeadParser::State::kDone);
  EXPECT_EQ(r.consumed, head.size());
}

TEST(Http1HeadParser, NeedsMoreUntilTheBlankLine) {
  Http1HeadParser parser(1024);
  std::string buffered = "GET / HTTP/1.1\r\nHo";
  EXPECT_EQ(parser.parse(buffered), Http1HeadParser::State::kNeedMore);
  buffered += "st: h\r\n";
  EXPECT_EQ(parser.parse(buffered), Http1HeadParser::State::kNeedMore);
  buffered += "\r\n";
  EXPECT_EQ(parser.parse(buffered), Http1HeadParser::State::kDone);
  EXPECT_EQ(parser.consumed(), buffered.size());
  parser.reset();
  EXPECT_EQ(parser.parse("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"), Http1HeadParser::State::kDone);
  EXPECT_EQ(parser.request().head.path, "/x");
}

TEST(Http1HeadParser, EmptyValuesAndBareLf) {
  auto r = parse_head("GET / HTTP/1.1\r\nX-Empty:\r\nX-Blank:   \r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.state, Http1HeadParser::State::kDone);
  const auto& headers = r.request.head.headers;
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(*headers.find("x-empty"), "");
  EXPECT_EQ(*headers.find("x-blank"), "");
  EXPECT_EQ(*headers.find("host"), "h");
  r = parse_head("GET / HTTP/1.1\nHost: h\n\n");  // a recipient MAY accept bare LF in heads
  ASSERT_EQ(r.state, Http1HeadParser::State::kDone);
  EXPECT_EQ(r.request.head.authority, "h");
}

TEST(Http1HeadParser, SkipsLeadingEmptyLines) {
  auto r = parse_head("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.state, Http1HeadParser::State::kDone);
  EXPECT_EQ(r.request.head.path, "/");
}

TEST(Http1HeadParser, ConnectionSemantics) {
  auto r = parse_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n");
  EXPECT_FALSE(r.request.keep_alive);
  r = parse_head("GET / HTTP/1.0\r\n\r\n");
  EXPECT_FALSE(r.request.keep_alive);
  EXPECT_EQ(r.request.minor_version, 0);
  r = parse_head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(r.request.keep_alive);
  r = parse_head("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  EXPECT_TRUE(r.request.expect_continue);
  r = parse_head("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  EXPECT_FALSE(r.request.expect_continue);
}

TEST(Http1HeadParser, AbsoluteFormAndAsterisk) {
  auto r = parse_head("GET http://other.example:81/a/b?q=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.state, Http1HeadParser::State::kDone);
  EXPECT_EQ(r.request.head.path, "/a/b?q=1");
  EXPECT_EQ(r.request.head.authority, "other.example:81");
  r = parse_head("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.state, Http1HeadParser::State::kDone);
  EXPECT_EQ(r.request.head.path, "*");
  EXPECT_TRUE(parse_head("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").request.head_method);
}

TEST(Http1HeadParser, Rejects) {
  // Framing ambiguity.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(
      status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"),
      400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501);
  EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  // Field syntax.
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\tfolded\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("hello\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET nothing HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("FOO / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  // Versions and methods.
  EXPECT_EQ(status_of("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / HTTP/3.1\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(status_of("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n"), 501);
}

TEST(Http1HeadParser, HeadTooLarge) {
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  auto r = parse_head(big, 1024);
  EXPECT_EQ(r.state, Http1HeadParser::State::kError);
  EXPECT_EQ(r.status, 431);
  // Incomplete but already past the limit: no need to wait for the rest.
  Http1HeadParser parser(1024);
  EXPECT_EQ(parser.parse("GET /" + std::string(1100, 'a')), Http1HeadParser::State::kError);
  EXPECT_EQ(parser.error_status(), 414);  // still in the request line: the target is too long
  EXPECT_EQ(parser.error_reason(), "request target too long");
}

TEST(ChunkSizeLine, Grammar) {
  std::uint64_t size = 0;
  EXPECT_TRUE(parse_chunk_size_line("1a", size));
  EXPECT_EQ(size, 0x1au);
  EXPECT_TRUE(parse_chunk_size_line("0", size));
  EXPECT_EQ(size, 0u);
  EXPECT_TRUE(parse_chunk_size_line("5;name", size));
  EXPECT_TRUE(parse_chunk_size_line("5 ; name = value", size));
  EXPECT_TRUE(parse_chunk_size_line("5;a=b;c=\"q \\\" d\"", size));
  EXPECT_FALSE(parse_chunk_size_line("", size));
  EXPECT_FALSE(parse_chunk_size_line("zz", size));
  EXPECT_FALSE(parse_chunk_size_line("5 ", size));
  EXPECT_FALSE(parse_chunk_size_line("5 x", size));
  EXPECT_FALSE(parse_chunk_size_line("5;", size));
  EXPECT_FALSE(parse_chunk_size_line("5;=x", size));
  EXPECT_FALSE(parse_chunk_size_line("5;a=", size));
  EXPECT_FALSE(parse_chunk_size_line("5;a=\"open", size));
  EXPECT_FALSE(parse_chunk_size_line("5;a b", size));
  EXPECT_FALSE(parse_chunk_size_line("-5", size));
  EXPECT_FALSE(parse_chunk_size_line("1000000000000000", size));  // 16 digits
}

std::string decode_all(Http1Framing framing, std::string_view wire,
                       Http1BodyDecoder::State expect = Http1BodyDecoder::State::kDone,
                       std::string* rest = nullptr) {
  // Byte by byte, so that every state sees a split.
  Http1BodyDecoder decoder(framing, 1024);
  std::string out;
  auto state = Http1BodyDecoder::State::kMore;
  std::size_t i = 0;
  for (; i < wire.size() && state == Http1BodyDecoder::State::kMore; ++i) {
    std::string_view one = wire.substr(i, 1);
    state = decoder.decode(one, out);
    if (!one.empty()) break;  // not consumed: it follows the body
  }
  EXPECT_EQ(state, expect);
  if (rest) *rest = std::string(wire.substr(i));
  return out;
}

TEST(Http1BodyDecoder, ContentLength) {
  Http1Framing framing{Http1Framing::Kind::kLength, 5};
  Http1BodyDecoder decoder(framing, 1024);
  std::string out;
  std::string_view in = "helloGET";
  EXPECT_EQ(decoder.decode(in, out), Http1BodyDecoder::State::kDone);
  EXPECT_EQ(out, "hello");
  EXPECT_EQ(in, "GET");
}

TEST(Http1BodyDecoder, Chunked) {
  Http1Framing chunked{Http1Framing::Kind::kChunked, 0};
  std::string rest;
  EXPECT_EQ(decode_all(chunked, "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"), "hello world");
  EXPECT_EQ(decode_all(chunked, "3\r\nabc\r\n0\r\nX-Trailer: ignored\r\n\r\nNEXT",
                       Http1BodyDecoder::State::kDone, &rest),
            "abc");
  EXPECT_EQ(rest, "NEXT");
  Http1BodyDecoder decoder(chunked, 1024);
  std::string out;
  std::string_view in = "A\r\n0123456789\r\n0\r\n\r\nrest";
  EXPECT_EQ(decoder.decode(in, out), Http1BodyDecoder::State::kDone);
  EXPECT_EQ(out, "0123456789");
  EXPECT_EQ(in, "rest");
}

TEST(Http1BodyDecoder, ChunkedRejects) {
  Http1Framing chunked{Http1Framing::Kind::kChunked, 0};
  auto bad = Http1BodyDecoder::State::kError;
  decode_all(chunked, "zz\r\n", bad);
  decode_all(chunked, "5 x\r\nhello\r\n0\r\n\r\n", bad);
  decode_all(chunked, "5\nhello\r\n0\r\n\r\n", bad);                       // bare LF
  decode_all(chunked, "5\r\nhelloXX0\r\n\r\n", bad);                       // no CRLF after data
  decode_all(chunked, "5\r\nhello\r\n0\r\n folded\r\n\r\n", bad);          // trailer syntax
  decode_all(chunked, "3\r\nabc\r\n0\r\n" + std::string(2000, 'x'), bad);  // trailer size
  decode_all(chunked, std::string(5000, '1'), bad);                        // size line size
}

}  // namespace
}  // namespace triplex::http
