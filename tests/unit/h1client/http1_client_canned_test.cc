// The HTTP/1.1 client against a canned peer: the exact request bytes it
// writes (Host, framing, `TE: trailers` with its Connection option), and
// responses our own server never sends (interim 100, malformed framing,
// bytes nobody asked for).
#include <gtest/gtest.h>

#include "tests/unit/h1client/h1client_test_support.h"

namespace triplex::http::testing {
namespace {

const std::string kEmpty = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";

class Http1ClientCannedTest : public ::testing::Test {
 protected:
  // The request head `head` goes out as, with `body` written (then finish())
  // unless empty, in which case the request ends at open.
  std::string wire_head(RequestHead head, std::vector<std::string> body = {}) {
    CannedServer peer(io_, {kEmpty});
    auto conn = connect(io_, peer.port());
    bool end_stream = body.empty();
    Reply reply = run(io_, complete(conn->open(std::move(head), end_stream), std::move(body)));
    EXPECT_EQ(reply.status, 200);
    return peer.requests().empty() ? std::string() : peer.requests()[0];
  }

  asio::io_context io_;
};

TEST_F(Http1ClientCannedTest, RequestHeadsOnTheWire) {
  RequestHead get = request("GET", "/a?b=c", "h:1");
  get.headers.add("x-a", "1");
  get.headers.add("host", "ignored");      // the authority is the Host
  get.headers.add("content-length", "7");  // no body: no framing
  EXPECT_EQ(wire_head(get), "GET /a?b=c HTTP/1.1\r\nhost: h:1\r\nx-a: 1\r\n\r\n");

  EXPECT_EQ(wire_head(request("POST", "/b", "h:1")),
            "POST /b HTTP/1.1\r\nhost: h:1\r\ncontent-length: 0\r\n\r\n");

  RequestHead sized = request("PUT", "/c", "h:1");
  sized.headers.add("content-length", "5");
  EXPECT_EQ(wire_head(sized, {"12345"}),
            "PUT /c HTTP/1.1\r\nhost: h:1\r\ncontent-length: 5\r\n\r\n");

  RequestHead grpc = request("POST", "/pkg.Svc/M", "h:1");
  grpc.headers.add("content-type", "application/grpc");
  grpc.headers.add("te", "trailers");
  grpc.headers.add("transfer-encoding", "gzip");  // framing is the connection's
  EXPECT_EQ(wire_head(grpc, {"x"}),
            "POST /pkg.Svc/M HTTP/1.1\r\nhost: h:1\r\ncontent-type: application/grpc\r\n"
            "te: trailers\r\nconnection: te\r\ntransfer-encoding: chunked\r\n\r\n");
}

TEST_F(Http1ClientCannedTest, HeadsThatWouldSplitTheRequestAreRefused) {
  CannedServer peer(io_, {kEmpty});
  auto conn = connect(io_, peer.port());
  RequestHead injected = request("GET", "/");
  injected.headers.add("x-a", "1\r\nx-b: 2");
  EXPECT_EQ(run(io_, complete(conn->open(injected, true))).reset, ResetReason::kInternal);
  EXPECT_EQ(run(io_, complete(conn->open(request("GET", "/a b"), true))).reset,
            ResetReason::kInternal);
  EXPECT_EQ(run(io_, complete(conn->open(request("G T", "/"), true))).reset,
            ResetReason::kInternal);
  // Nothing went out: the connection still serves.
  EXPECT_TRUE(conn->is_open());
  EXPECT_EQ(run(io_, complete(conn->open(request("GET", "/"), true))).status, 200);
}

TEST_F(Http1ClientCannedTest, InterimContinueIsSkipped) {
  CannedServer peer(
      io_, {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok"});
  auto conn = connect(io_, peer.port());
  Reply reply = run(io_, complete(conn->open(request("GET", "/"), true)));
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body, "ok");
}

TEST_F(Http1ClientCannedTest, MalformedResponseFailsWithProtocolError) {
  CannedServer peer(io_, {"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nxy"},
                    false);
  auto conn = connect(io_, peer.port());
  auto first = conn->open(request("GET", "/"), true);
  auto behind = conn->open(request("GET", "/"), true);
  EXPECT_EQ(run(io_, complete(first)).reset, ResetReason::kProtocol);
  EXPECT_EQ(run(io_, complete(behind)).reset, ResetReason::kRefused);
  EXPECT_FALSE(conn->is_open());
}

TEST_F(Http1ClientCannedTest, OversizedHeadFails) {
  std::string big = "HTTP/1.1 200 OK\r\nx-big: " + std::string(5000, 'a') + "\r\n\r\n";
  CannedServer peer(io_, {big}, false);
  Http1ClientOptions options;
  options.max_head_size = 4096;
  auto conn = connect(io_, peer.port(), options);
  EXPECT_EQ(run(io_, complete(conn->open(request("GET", "/"), true))).reset,
            ResetReason::kProtocol);
  EXPECT_FALSE(conn->is_open());
}

TEST_F(Http1ClientCannedTest, ChunkedTrailersAreDelivered) {
  CannedServer peer(io_, {"HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\n"
                          "transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
                          "grpc-status: 0\r\ngrpc-message: \r\n\r\n"});
  auto conn = connect(io_, peer.port());
  Reply reply = run(io_, complete(conn->open(request("GET", "/pkg.Svc/M"), true)));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.body, "hello");
  ASSERT_EQ(reply.trailers.size(), 2u);
  EXPECT_EQ(reply.trailer("grpc-status"), "0");
  ASSERT_NE(reply.trailers.find("grpc-message"), nullptr);
  EXPECT_EQ(*reply.trailers.find("grpc-message"), "");
}

TEST_F(Http1ClientCannedTest, BytesNobodyAskedForCloseTheConnection) {
  CannedServer peer(io_, {"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"},
                    false);
  auto conn = connect(io_, peer.port());
  Reply reply = run(io_, complete(conn->open(request("GET", "/"), true)));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.body, "ok");
  ASSERT_TRUE(run_until(
      io_, [&] { return !conn->is_open(); }, 3000ms));
}

}  // namespace
}  // namespace triplex::http::testing
