// Requests the HTTP/1.1 server must refuse: each gets its status with
// `connection: close`, then the connection closes.
#include <gtest/gtest.h>

#include "tests/unit/h1/h1_test_support.h"

namespace triplex::http::testing {
namespace {

struct BadRequest {
  const char* name;
  std::string bytes;
  int status;
};

// Test names, not bytes, in test listings.
void PrintTo(const BadRequest& request, std::ostream* os) { *os << request.name; }

std::string long_target() { return "GET /" + std::string(17 * 1024, 'a') + " HTTP/1.1\r\n"; }

std::vector<BadRequest> bad_requests() {
  return {
      {"ContentLengthAndTransferEncoding",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n",
       400},
      {"DuplicateContentLength",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
       400},
      {"ContentLengthList", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello",
       400},
      {"MalformedContentLength", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5x\r\n\r\n",
       400},
      {"NegativeContentLength", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
       400},
      {"ObsFold", "GET /info HTTP/1.1\r\nHost: t\r\nX-A: one\r\n two\r\n\r\n", 400},
      {"ObsFoldTab", "GET /info HTTP/1.1\r\nHost: t\r\nX-A: one\r\n\ttwo\r\n\r\n", 400},
      {"SpaceBeforeColon", "GET /info HTTP/1.1\r\nHost : t\r\n\r\n", 400},
      {"FieldWithoutColon", "GET /info HTTP/1.1\r\nHost: t\r\nBroken\r\n\r\n", 400},
      {"BareCr", "GET /info HTTP/1.1\r\nHost: t\rX: 1\r\n\r\n", 400},
      {"MissingHost", "GET /info HTTP/1.1\r\n\r\n", 400},
      {"Garbage", "hello there\r\n\r\n", 400},
      {"UnknownMethod", "BREW /info HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"Http12", "GET /info HTTP/1.2\r\nHost: t\r\n\r\n", 505},
      {"Http20", "GET /info HTTP/2.0\r\nHost: t\r\n\r\n", 505},
      {"Http09", "GET /info\r\n\r\n", 505},
      {"TransferEncodingGzip", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
       400},
      {"TransferEncodingGzipChunked",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"HeaderSectionTooLarge",
       "GET /info HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(17 * 1024, 'b') + "\r\n\r\n", 431},
      {"RequestLineTooLarge", long_target() + "Host: t\r\n\r\n", 414},
      {"BadChunkSize",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n", 400},
      {"BadChunkExtension",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;=v\r\nhello\r\n",
       400},
      {"ChunkSizeTrailingGarbage",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n", 400},
      {"ChunkWithoutCrlf",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX", 400},
  };
}

class Http1Strict : public ::testing::TestWithParam<BadRequest> {};

TEST_P(Http1Strict, RejectsAndCloses) {
  TestServer server;
  Client client(server.port());
  client.send(GetParam().bytes);
  auto r = client.read_response();
  EXPECT_EQ(r.status, GetParam().status);
  ASSERT_NE(r.header("connection"), nullptr);
  EXPECT_EQ(*r.header("connection"), "close");
  // A few words on what was wrong, for whoever reads the answer.
  EXPECT_GT(r.body.size(), 5u);
  EXPECT_EQ(r.body.back(), '\n');
  EXPECT_TRUE(client.closed_within(1000ms));
}

INSTANTIATE_TEST_SUITE_P(BadRequests, Http1Strict, ::testing::ValuesIn(bad_requests()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Http1StrictBody, BadChunkMidBodyResetsTheHandler) {
  TestServer server;
  Client client(server.port());
  client.send(
      "POST /wait-body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  std::this_thread::sleep_for(50ms);  // a pause: the bad chunk comes in a later read
  client.send("nothex\r\n");
  EXPECT_TRUE(server.probe().wait_for("on_reset /wait-body 5"));  // kProtocol
  EXPECT_TRUE(server.probe().wait_for("reset /wait-body 5"));
  auto r = client.read_response();
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1StrictBody, PipelinedRequestAfterAnErrorIsNotServed) {
  TestServer server;
  Client client(server.port());
  client.send("GET /info HTTP/1.1\r\nHost : t\r\n\r\nGET /info HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 400);
  EXPECT_TRUE(client.closed_within(1000ms));
}

}  // namespace
}  // namespace triplex::http::testing
