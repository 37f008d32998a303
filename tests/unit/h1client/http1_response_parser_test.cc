// The sans-I/O HTTP/1.1 response parser: status lines, framing (length,
// chunked with trailers, until close), interim responses, keep-alive, and
// the malformed inputs a strict reader refuses.
#include "src/http/h1/http1_response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace triplex::http {
namespace {

using State = Http1ResponseParser::State;
using Body = Http1Response::Body;

struct Parsed {
  State state = State::kNeedMore;  // the last state seen
  bool head = false;
  Http1Response response;
  std::string body;
  Headers trailers;
  std::string rest;  // bytes after a complete response
  std::string error;
};

// Feeds `bytes` `step` bytes at a time (0: all at once), as a connection
// would: unconsumed bytes stay at the front of its buffer.
Parsed parse(std::string_view bytes, std::size_t step = 0, bool head_request = false,
             Http1ResponseParser::Limits limits = {}) {
  Http1ResponseParser parser(limits);
  parser.start(head_request);
  Parsed p;
  std::string buffer;
  std::size_t fed = 0;
  while (true) {
    std::size_t n = step == 0 ? bytes.size() - fed : std::min(step, bytes.size() - fed);
    buffer.append(bytes.substr(fed, n));
    fed += n;
    std::string_view in(buffer);
    do {
      p.state = parser.parse(in, p.body);
      if (p.state == State::kHead) {
        p.head = true;
        p.response = parser.response();
      }
    } while (p.state == State::kHead);
    buffer.erase(0, buffer.size() - in.size());
    if (p.state == State::kDone) {
      p.trailers = parser.trailers();
      p.rest = buffer + std::string(bytes.substr(fed));
      return p;
    }
    if (p.state == State::kError) {
      p.error = parser.error();
      return p;
    }
    if (fed == bytes.size()) return p;
  }
}

bool fails(std::string_view bytes) { return parse(bytes).state == State::kError; }

TEST(Http1ResponseParser, ContentLengthBody) {
  std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Type:  text/plain \r\nContent-Length: 5\r\n\r\nhelloNEXT";
  for (std::size_t step : {0, 1, 3}) {
    auto p = parse(bytes, step);
    ASSERT_EQ(p.state, State::kDone) << step;
    EXPECT_EQ(p.response.head.status, 200);
    EXPECT_EQ(p.response.minor_version, 1);
    EXPECT_EQ(p.response.body, Body::kLength);
    EXPECT_TRUE(p.response.keep_alive);
    ASSERT_NE(p.response.head.headers.find("content-type"), nullptr);
    EXPECT_EQ(*p.response.head.headers.find("content-type"), "text/plain");
    EXPECT_EQ(p.body, "hello");
    EXPECT_EQ(p.rest, "NEXT");
  }
}

TEST(Http1ResponseParser, StatusLineVariants) {
  auto p = parse("HTTP/1.1 204\r\n\r\n");  // no reason phrase, no space
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.response.head.status, 204);
  p = parse("HTTP/1.1 200 \r\ncontent-length: 0\r\n\r\n");  // empty reason phrase
  ASSERT_EQ(p.state, State::kDone);
  p = parse("HTTP/1.1 404 Not\tFound \xc3\xa9\r\ncontent-length: 0\r\n\r\n");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.response.head.status, 404);
  p = parse("HTTP/1.1 599 Whatever\r\ncontent-length: 0\r\n\r\n");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.response.head.status, 599);
  p = parse("HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.response.minor_version, 0);
  EXPECT_FALSE(p.response.keep_alive);  // HTTP/1.0 closes unless told otherwise
  p = parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\ncontent-length: 2\r\n\r\nok");
  EXPECT_TRUE(p.response.keep_alive);
  p = parse("HTTP/1.1 200 OK\r\nConnection: foo, close\r\ncontent-length: 2\r\n\r\nok");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_FALSE(p.response.keep_alive);
}

TEST(Http1ResponseParser, ChunkedWithTrailers) {
  std::string bytes =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=\"v\"\r\nhello\r\n6\r\n world\r\n0\r\n"
      "Grpc-Status: 0\r\ngrpc-message:  all good \r\ncontent-length: 99\r\n\r\nNEXT";
  for (std::size_t step : {0, 1, 7}) {
    auto p = parse(bytes, step);
    ASSERT_EQ(p.state, State::kDone) << step << " " << p.error;
    EXPECT_EQ(p.response.body, Body::kChunked);
    EXPECT_EQ(p.body, "hello world");
    ASSERT_NE(p.trailers.find("grpc-status"), nullptr);
    EXPECT_EQ(*p.trailers.find("grpc-status"), "0");
    EXPECT_EQ(*p.trailers.find("grpc-message"), "all good");
    EXPECT_EQ(p.trailers.find("content-length"), nullptr);  // framing fields are dropped
    EXPECT_EQ(p.rest, "NEXT");
  }
}

TEST(Http1ResponseParser, ChunkedWithoutTrailers) {
  auto p = parse("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.body, "abc");
  EXPECT_TRUE(p.trailers.empty());
}

TEST(Http1ResponseParser, UntilCloseBody) {
  Http1ResponseParser parser({});
  parser.start(false);
  std::string body;
  std::string_view in = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npart one ";
  ASSERT_EQ(parser.parse(in, body), State::kHead);
  EXPECT_EQ(parser.response().body, Body::kUntilClose);
  EXPECT_FALSE(parser.response().keep_alive);
  EXPECT_EQ(parser.parse(in, body), State::kNeedMore);
  std::string_view more = "part two";
  EXPECT_EQ(parser.parse(more, body), State::kNeedMore);
  EXPECT_TRUE(parser.finish_at_eof());
  EXPECT_EQ(body, "part one part two");
  // HTTP/1.1 without framing is read until close too, and is never reused.
  auto p = parse("HTTP/1.1 200 OK\r\n\r\nabc");
  EXPECT_EQ(p.state, State::kNeedMore);
  EXPECT_EQ(p.response.body, Body::kUntilClose);
  EXPECT_FALSE(p.response.keep_alive);
}

TEST(Http1ResponseParser, TruncatedBodyIsNotComplete) {
  Http1ResponseParser parser({});
  parser.start(false);
  std::string body;
  std::string_view in = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc";
  ASSERT_EQ(parser.parse(in, body), State::kHead);
  EXPECT_EQ(parser.parse(in, body), State::kNeedMore);
  EXPECT_FALSE(parser.finish_at_eof());
  Http1ResponseParser head_only({});
  head_only.start(false);
  std::string_view partial = "HTTP/1.1 200 OK\r\n";
  EXPECT_EQ(head_only.parse(partial, body), State::kNeedMore);
  EXPECT_FALSE(head_only.finish_at_eof());
}

TEST(Http1ResponseParser, InterimResponsesAreSkipped) {
  std::string bytes =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  for (std::size_t step : {0, 1}) {
    auto p = parse(bytes, step);
    ASSERT_EQ(p.state, State::kDone);
    EXPECT_EQ(p.response.head.status, 200);
    EXPECT_EQ(p.response.head.headers.find("link"), nullptr);
    EXPECT_EQ(p.body, "ok");
  }
  EXPECT_TRUE(fails("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"));
  std::string many;
  for (int i = 0; i < 17; ++i) many += "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_EQ(parse(many).error, "too many interim responses");
}

TEST(Http1ResponseParser, BodilessResponses) {
  // HEAD: the length describes the GET body, which does not follow.
  auto p = parse("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nNEXT", 0, true);
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.body, "");
  EXPECT_EQ(p.rest, "NEXT");
  EXPECT_TRUE(p.response.keep_alive);
  p = parse("HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.response.body, Body::kNone);
  p = parse("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_TRUE(p.response.keep_alive);
  p = parse("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_TRUE(p.response.keep_alive);
}

TEST(Http1ResponseParser, RejectsBadStatusLines) {
  for (std::string line : {"HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK",
                           "HTTP/1.1 200OK", "http/1.1 200 OK", "HTTP/1.2 200 OK", "HTTP/2 200 OK",
                           "HTTP/2.0 200 OK", "ICY 200 OK", "HTTP/1.1 099 Low", "HTTP/1.1 abc OK",
                           "HTTP/1.1\t200 OK", "HTTP/1.1 200 O\x7fK", "HTTP/1.1 200 O\x01K", ""}) {
    auto p = parse(line + "\r\ncontent-length: 0\r\n\r\n");
    EXPECT_EQ(p.state, State::kError) << line;
  }
  EXPECT_EQ(parse("\r\nHTTP/1.1 200 OK\r\n\r\n").error, "empty line before the status line");
}

TEST(Http1ResponseParser, RejectsMalformedFields) {
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\ncontent-length: 0\n\n"));                      // bare LF
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ncontent-length: 0\r\r\n\r\n"));              // bare CR
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\nx: a\r\n b\r\ncontent-length: 0\r\n\r\n"));  // obs-fold
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\nx : a\r\ncontent-length: 0\r\n\r\n"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\nno colon\r\ncontent-length: 0\r\n\r\n"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\nx: a\x0b\r\ncontent-length: 0\r\n\r\n"));
  static constexpr char kNul[] = "HTTP/1.1 200 OK\r\nx: a\0b\r\ncontent-length: 0\r\n\r\n";
  EXPECT_TRUE(fails(std::string_view(kNul, sizeof(kNul) - 1)));
}

TEST(Http1ResponseParser, RejectsAmbiguousFraming) {
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ncontent-length: 3, 3\r\n\r\nabc"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ncontent-length: +3\r\n\r\nabc"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ncontent-length: 1e3\r\n\r\nabc"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n"));
  EXPECT_TRUE(
      fails("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n"));
  EXPECT_TRUE(fails("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, chunked\r\n\r\n"));
  EXPECT_TRUE(fails("HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"));
}

TEST(Http1ResponseParser, RejectsBadChunks) {
  const std::string head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
  EXPECT_EQ(parse(head + "10000000000000000\r\n").error, "malformed chunk size");  // overflow
  EXPECT_TRUE(fails(head + "fffffffffffffffff\r\n"));
  EXPECT_TRUE(fails(head + "xyz\r\n"));
  EXPECT_TRUE(fails(head + "-1\r\n"));
  EXPECT_TRUE(fails(head + " 3\r\nabc\r\n0\r\n\r\n"));
  EXPECT_TRUE(fails(head + "3\nabc\r\n0\r\n\r\n"));     // bare LF after the size
  EXPECT_TRUE(fails(head + "3\r\nabcd\r\n0\r\n\r\n"));  // data longer than its size
  EXPECT_TRUE(fails(head + "3\r\nabc\n0\r\n\r\n"));
  EXPECT_TRUE(fails(head + "3\r\nabc\r\n0\r\nbad trailer\r\n\r\n"));
  EXPECT_TRUE(fails(head + "3\r\nabc\r\n0\r\n folded: x\r\n\r\n"));
  EXPECT_EQ(parse(head + std::string(5000, '1')).error, "chunk size line too long");
}

TEST(Http1ResponseParser, BoundsHeadsAndTrailers) {
  Http1ResponseParser::Limits limits;
  limits.max_head_size = 1024;
  limits.max_trailer_size = 256;
  std::string big = "HTTP/1.1 200 OK\r\nx-big: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse(big, 0, false, limits).error, "response head too large");
  EXPECT_EQ(parse(big, 100, false, limits).error, "response head too large");
  std::string fits = "HTTP/1.1 200 OK\r\nx-big: " + std::string(900, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse(fits, 0, false, limits).state, State::kNeedMore);  // until close
  std::string trailers =
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nx-t: " + std::string(300, 'b') +
      "\r\n\r\n";
  EXPECT_EQ(parse(trailers, 0, false, limits).error, "trailers too large");
  EXPECT_EQ(parse(trailers, 0, false, {}).state, State::kDone);
}

TEST(Http1ResponseParser, StartsOverForTheNextResponse) {
  Http1ResponseParser parser({});
  std::string body;
  parser.start(false);
  std::string_view in = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nx: 1\r\n\r\n";
  ASSERT_EQ(parser.parse(in, body), State::kHead);
  ASSERT_EQ(parser.parse(in, body), State::kDone);
  EXPECT_EQ(parser.trailers().size(), 1u);
  parser.start(false);
  std::string_view next = "HTTP/1.1 404 Not Found\r\ncontent-length: 1\r\n\r\nx";
  ASSERT_EQ(parser.parse(next, body), State::kHead);
  EXPECT_EQ(parser.response().head.status, 404);
  ASSERT_EQ(parser.parse(next, body), State::kDone);
  EXPECT_TRUE(parser.trailers().empty());
  EXPECT_EQ(body, "x");
}

}  // namespace
}  // namespace triplex::http
