// The HTTP/1.1 client (Http1ClientConnection) against the triplex HTTP/1.1
// server in the same process: requests with and without bodies, trailers
// with `TE: trailers`, keep-alive reuse, queued requests served in order,
// servers that close, client resets, and backpressure both ways.
//
// The client runs on an io_context driven by the test thread; the server on
// its own thread (see tests/unit/h1/h1_test_support.h for its routes).
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>

#include "tests/unit/h1/h1_test_support.h"
#include "tests/unit/h1client/h1client_test_support.h"

namespace triplex::http::testing {
namespace {

class Http1ClientTest : public ::testing::Test {
 protected:
  // Opens a request with no body and reads its whole response.
  Reply get(const std::shared_ptr<Http1ClientConnection>& conn, std::string path,
            std::string method = "GET") {
    return run(io_, complete(conn->open(request(std::move(method), std::move(path)), true)));
  }

  asio::io_context io_;
};

TEST_F(Http1ClientTest, Get) {
  TestServer server;
  auto conn = connect(io_, server.port());
  EXPECT_TRUE(run(io_, conn->wait_connected()));
  EXPECT_EQ(conn->version(), HttpVersion::kHttp1);
  RequestHead head = request("GET", "/info?x=1", "example.test:8080");
  head.headers.add("x-custom", "v");
  auto exchange = conn->open(std::move(head), true);
  EXPECT_TRUE(exchange->capabilities().trailers);
  EXPECT_EQ(exchange->capabilities().version, HttpVersion::kHttp1);
  EXPECT_EQ(conn->active_requests(), 1u);
  Reply reply = run(io_, complete(exchange));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body,
            "GET\n/info?x=1\nhttp\nexample.test:8080\nhost=example.test:8080\nx-custom=v\n");
  EXPECT_TRUE(conn->is_open());
  EXPECT_EQ(conn->active_requests(), 0u);
}

TEST_F(Http1ClientTest, HeadResponseHasNoBody) {
  TestServer server;
  auto conn = connect(io_, server.port());
  Reply head = get(conn, "/echo-length", "HEAD");
  ASSERT_FALSE(head.reset);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  // The connection is still in step: the next response parses.
  Reply next = get(conn, "/info");
  EXPECT_EQ(next.status, 200);
  EXPECT_TRUE(next.body.starts_with("GET\n/info\n"));
}

TEST_F(Http1ClientTest, PostEchoWithContentLength) {
  TestServer server;
  auto conn = connect(io_, server.port());
  RequestHead head = request("POST", "/echo-length");
  head.headers.add("content-length", "11");
  Reply reply = run(io_, complete(conn->open(std::move(head)), {"hello ", "world"}));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-length"), "11");
  EXPECT_EQ(reply.body, "hello world");
  EXPECT_TRUE(conn->is_open());
}

TEST_F(Http1ClientTest, PostEchoChunked) {
  TestServer server;
  auto conn = connect(io_, server.port());
  std::string big(100 * 1024, 'b');
  Reply reply = run(io_, complete(conn->open(request("POST", "/echo")), {"a", big, "", "c"}));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "a" + big + "c");
  // Without `TE: trailers` the server keeps its trailers to itself.
  EXPECT_EQ(reply.header("x-te-trailers"), "0");
  EXPECT_TRUE(reply.trailers.empty());
  EXPECT_TRUE(conn->is_open());
}

TEST_F(Http1ClientTest, TrailersWithTeTrailers) {
  TestServer server;
  auto conn = connect(io_, server.port());
  RequestHead head = request("POST", "/echo");
  head.headers.add("te", "trailers");
  Reply reply = run(io_, complete(conn->open(std::move(head)), {"12345"}));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.header("x-te-trailers"), "1");
  EXPECT_EQ(reply.body, "12345");
  EXPECT_EQ(reply.trailer("x-echo-bytes"), "5");
  // Many chunks, then trailers, on the same connection.
  RequestHead stream = request("GET", "/stream?n=50&size=1000");
  stream.headers.add("te", "trailers");
  Reply streamed = run(io_, complete(conn->open(std::move(stream), true)));
  EXPECT_EQ(streamed.body.size(), 50u * 1000u);
  EXPECT_EQ(streamed.trailer("x-chunks"), "50");
}

TEST_F(Http1ClientTest, KeepAliveReusesOneConnection) {
  TestServer server;
  auto conn = connect(io_, server.port());
  for (int i = 0; i < 3; ++i) {
    Reply reply = get(conn, "/info?i=" + std::to_string(i));
    ASSERT_FALSE(reply.reset) << i;
    EXPECT_TRUE(reply.body.starts_with("GET\n/info?i=" + std::to_string(i) + "\n"));
    EXPECT_TRUE(conn->is_open());
    EXPECT_EQ(conn->active_requests(), 0u);
  }
  EXPECT_EQ(server.open_connections(), 1u);
}

TEST_F(Http1ClientTest, RequestsOpenedTogetherAreServedInOrder) {
  TestServer server;
  auto conn = connect(io_, server.port());
  auto slow = conn->open(request("GET", "/slow"), true);
  auto fast = conn->open(request("GET", "/info"), true);
  EXPECT_EQ(conn->active_requests(), 2u);
  std::vector<std::string> order;
  auto track = [&](std::shared_ptr<ClientExchange> exchange, std::string name) {
    asio::co_spawn(io_, complete(exchange), [&order, name](std::exception_ptr, Reply reply) {
      order.push_back(name + " " + std::to_string(reply.status) + " " + reply.body.substr(0, 4));
    });
  };
  track(fast, "fast");  // awaited first: the order must come from the connection
  track(slow, "slow");
  ASSERT_TRUE(run_until(io_, [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<std::string>{"slow 200 slow", "fast 200 GET\n"}));
  EXPECT_EQ(conn->active_requests(), 0u);
  EXPECT_EQ(server.open_connections(), 1u);
}

TEST_F(Http1ClientTest, ConnectionCloseRefusesTheRequestsBehind) {
  TestServer server;
  auto conn = connect(io_, server.port());
  auto first = conn->open(request("GET", "/close"), true);
  auto second = conn->open(request("GET", "/info"), true);
  Reply reply = run(io_, complete(first));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.body, "bye");
  EXPECT_FALSE(conn->is_open());
  Reply refused = run(io_, complete(second));
  EXPECT_EQ(refused.reset, ResetReason::kRefused);  // never sent: safe to retry
  Reply late = get(conn, "/info");
  EXPECT_EQ(late.reset, ResetReason::kRefused);
  EXPECT_EQ(conn->active_requests(), 0u);
}

TEST_F(Http1ClientTest, IdleCloseIsNoticedBeforeTheNextRequest) {
  ConnectionOptions options;
  options.idle_timeout = Millis(200);
  TestServer server(options);
  auto conn = connect(io_, server.port());
  EXPECT_EQ(get(conn, "/info").status, 200);
  ASSERT_TRUE(run_until(
      io_, [&] { return !conn->is_open(); }, 3000ms));
  EXPECT_EQ(get(conn, "/info").reset, ResetReason::kRefused);
}

TEST_F(Http1ClientTest, ServerClosingMidResponseFails) {
  TestServer server;
  auto conn = connect(io_, server.port());
  // Content-length 10, five bytes, then the server closes.
  Reply truncated = get(conn, "/wrong-length");
  EXPECT_EQ(truncated.reset, ResetReason::kConnectionLost);
  EXPECT_FALSE(conn->is_open());
  // A handler that gives up: the server closes without a response.
  auto conn2 = connect(io_, server.port());
  auto reset = conn2->open(request("GET", "/reset"), true);
  auto behind = conn2->open(request("GET", "/info"), true);
  EXPECT_EQ(run(io_, complete(reset)).reset, ResetReason::kConnectionLost);
  EXPECT_EQ(run(io_, complete(behind)).reset, ResetReason::kRefused);
  EXPECT_FALSE(conn2->is_open());
}

TEST_F(Http1ClientTest, ClientResetClosesTheConnection) {
  TestServer server;
  auto conn = connect(io_, server.port());
  auto slow = conn->open(request("GET", "/slow"), true);
  auto behind = conn->open(request("GET", "/info"), true);
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().contains("slow-started"); }));
  slow->reset(ResetReason::kCancel);
  EXPECT_TRUE(slow->is_reset());
  EXPECT_FALSE(conn->is_open());
  EXPECT_EQ(run(io_, complete(slow)).reset, ResetReason::kCancel);
  EXPECT_EQ(run(io_, complete(behind)).reset, ResetReason::kRefused);
  EXPECT_TRUE(server.probe().wait_for("connection-closed"));
}

TEST_F(Http1ClientTest, ResetOfAWaitingRequestKeepsTheConnection) {
  TestServer server;
  auto conn = connect(io_, server.port());
  auto first = conn->open(request("GET", "/slow"), true);
  auto second = conn->open(request("GET", "/info"), true);
  second->reset(ResetReason::kCancel);
  EXPECT_EQ(conn->active_requests(), 1u);
  EXPECT_EQ(run(io_, complete(first)).body, "slow");
  EXPECT_TRUE(conn->is_open());
  EXPECT_EQ(get(conn, "/info").status, 200);
}

TEST_F(Http1ClientTest, AbandonedExchangeClosesTheConnection) {
  TestServer server;
  auto conn = connect(io_, server.port());
  auto slow = conn->open(request("GET", "/slow"), true);
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().contains("slow-started"); }));
  slow.reset();  // nobody will read the response: it must not block the connection
  EXPECT_FALSE(conn->is_open());
  EXPECT_TRUE(server.probe().wait_for("connection-closed"));
}

TEST_F(Http1ClientTest, EarlyResponseEndsReuse) {
  TestServer server;
  auto conn = connect(io_, server.port());
  auto exchange = conn->open(request("POST", "/no-read"));
  // The server answers without waiting for the body's end.
  Reply reply = run(io_, complete(exchange, {"abc"}, false));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.body, "ok");
  // The rest of the request is not wanted; the unfinished body rules out reuse.
  auto write_more = [](std::shared_ptr<ClientExchange> ex) -> asio::awaitable<bool> {
    std::string more = "more";
    co_await ex->write(std::move(more));
    co_return true;
  };
  EXPECT_TRUE(run(io_, write_more(exchange)));
  exchange->finish();
  EXPECT_FALSE(exchange->is_reset());
  EXPECT_FALSE(conn->is_open());
}

TEST_F(Http1ClientTest, BodyBeyondItsContentLengthFails) {
  TestServer server;
  auto conn = connect(io_, server.port());
  RequestHead head = request("POST", "/echo-length");
  head.headers.add("content-length", "3");
  Reply reply = run(io_, complete(conn->open(std::move(head)), {"12345"}));
  EXPECT_EQ(reply.reset, ResetReason::kInternal);
  EXPECT_FALSE(conn->is_open());
}

TEST_F(Http1ClientTest, WriteWaitsForTheSocket) {
  TestServer server({}, {}, 64 * 1024);  // small kernel buffers on the server side
  Http1ClientOptions options;
  options.write_buffer = 16 * 1024;
  auto conn = connect(io_, server.port(), options);
  auto exchange = conn->open(request("POST", "/gate-read"));
  constexpr std::size_t kTotal = 16 << 20;
  std::size_t written = 0;
  bool writer_done = false;
  auto writer = [](std::shared_ptr<ClientExchange> ex,
                   std::size_t& count) -> asio::awaitable<void> {
    while (count < kTotal) {
      std::string piece(64 * 1024, 'w');
      co_await ex->write(std::move(piece));
      count += 64 * 1024;
    }
    ex->finish();
  };
  asio::co_spawn(io_, writer(exchange, written), [&](std::exception_ptr) { writer_done = true; });
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().contains("gate-waiting"); }));
  run_for(io_, 300ms);
  EXPECT_FALSE(writer_done);  // the server reads nothing: write() must hold back
  EXPECT_LT(written, kTotal);
  server.probe().gate = true;
  Reply reply = run(io_, complete(exchange, {}, false));
  ASSERT_TRUE(writer_done);
  EXPECT_EQ(reply.body, std::to_string(kTotal));
}

TEST_F(Http1ClientTest, UnreadBodyStopsTheServer) {
  TestServer server;
  Http1ClientOptions options;
  options.max_buffered_body = 64 * 1024;
  auto conn = connect(io_, server.port(), options);
  constexpr std::size_t kTotal = 64 << 20;
  auto exchange = conn->open(request("GET", "/big?total=" + std::to_string(kTotal)), true);
  auto head = run(io_, exchange->read_head());
  EXPECT_EQ(head.status, 200);
  run_for(io_, 300ms);
  EXPECT_LT(server.probe().written.load(), kTotal);
  std::size_t received = 0;
  auto drain = [](std::shared_ptr<ClientExchange> ex, std::size_t& n) -> asio::awaitable<bool> {
    std::string chunk;
    while (co_await ex->read(chunk)) {
      n += chunk.size();
      chunk.clear();
    }
    co_return true;
  };
  EXPECT_TRUE(run(io_, drain(exchange, received)));
  EXPECT_EQ(received, kTotal);
  EXPECT_TRUE(server.probe().wait_for("big-done"));
}

}  // namespace
}  // namespace triplex::http::testing
