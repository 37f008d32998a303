// Http1ServerConnection over loopback: keep-alive, pipelining, bodies,
// trailers, 100-continue, timeouts, resets, backpressure and drain.
#include <gtest/gtest.h>

#include "tests/unit/h1/h1_test_support.h"

namespace triplex::http::testing {
namespace {

constexpr std::string_view kGet = "GET /info HTTP/1.1\r\nHost: t\r\n\r\n";

std::string post(std::string_view path, std::string_view body, std::string_view extra = "") {
  return std::string("POST ") + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" +
         std::string(extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

TEST(Http1Connection, KeepAliveServesSequentialRequests) {
  TestServer server;
  Client client(server.port());
  for (int i = 0; i < 3; ++i) {
    client.send(post("/echo", "hello " + std::to_string(i)));
    auto r = client.read_response();
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.body, "hello " + std::to_string(i));
    EXPECT_EQ(r.header("connection"), nullptr);
    EXPECT_EQ(*r.header("transfer-encoding"), "chunked");
  }
  EXPECT_FALSE(client.closed_within(100ms));
  EXPECT_EQ(server.open_connections(), 1u);
}

TEST(Http1Connection, PrereadBytesStartTheFirstRequest) {
  TestServer server;
  server.sniff_bytes = 6;
  Client client(server.port());
  client.send(post("/echo", "sniffed"));
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "sniffed");
}

TEST(Http1Connection, RequestHeadAsSeenByTheHandler) {
  TestServer server;
  Client client(server.port());
  client.send(
      "GET /info?q=1&r=%20 HTTP/1.1\r\nHost: example.com:8080\r\nX-Custom:   spaced value \t\r\n"
      "X-Dup: 1\r\nX-DUP: 2\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "GET\n/info?q=1&r=%20\nhttp\nexample.com:8080\nhost=example.com:8080\n"
            "x-custom=spaced value\nx-dup=1\nx-dup=2\n");
}

TEST(Http1Connection, AbsoluteFormTarget) {
  TestServer server;
  Client client(server.port());
  client.send("GET http://other.example/info?x HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("GET\n/info?x\nhttp\nother.example\n")) << r.body;
}

TEST(Http1Connection, Http10ClosesUnlessKeepAlive) {
  TestServer server;
  {
    Client client(server.port());
    client.send("GET /stream?n=2&size=3 HTTP/1.0\r\n\r\n");
    auto r = client.read_response();  // no chunked for 1.0: the close ends the body
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("transfer-encoding"), nullptr);
    EXPECT_EQ(*r.header("connection"), "close");
    EXPECT_EQ(r.body, "aaabbb");
  }
  Client client(server.port());
  client.send(
      "POST /echo-length HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("connection"), "keep-alive");
  EXPECT_EQ(r.body, "hi");
  client.send("GET /respond-200 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 200);
  EXPECT_FALSE(client.closed_within(100ms));
  // No chunked, so no trailers for HTTP/1.0 even when asked.
  client.send("POST /echo HTTP/1.0\r\nTE: trailers\r\nContent-Length: 2\r\n\r\nhi");
  r = client.read_response();
  EXPECT_EQ(*r.header("x-te-trailers"), "0");
  EXPECT_EQ(r.body, "hi");
}

TEST(Http1Connection, ConnectionCloseFromTheClient) {
  TestServer server;
  Client client(server.port());
  client.send("GET /info HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("connection"), "close");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, ConnectionCloseFromTheHandler) {
  TestServer server;
  Client client(server.port());
  client.send("GET /close HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("connection"), "close");
  EXPECT_EQ(r.body, "bye");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server;
  Client client(server.port());
  // /slow first: a later, faster request must still be answered after it.
  client.send(std::string("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n") + post("/echo", "second") +
              "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5\r\nthird\r\n0\r\n\r\n");
  auto first = client.read_response();
  auto second = client.read_response();
  auto third = client.read_response();
  EXPECT_EQ(first.body, "slow");
  EXPECT_EQ(second.body, "second");
  EXPECT_EQ(third.body, "third");
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
}

TEST(Http1Connection, ChunkedRequestBody) {
  TestServer server;
  Client client(server.port());
  client.send(
      "POST /echo-length HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=\"v\"\r\nhello\r\n1\r\n \r\n");
  std::this_thread::sleep_for(50ms);  // a pause, not a wait: the rest comes in a later read
  client.send("5\r\nworld\r\n0\r\nX-Ignored: yes\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("content-length"), "11");
  EXPECT_EQ(r.header("transfer-encoding"), nullptr);
  EXPECT_EQ(r.body, "hello world");
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
}

TEST(Http1Connection, ContentLengthBodyArrivingInPieces) {
  TestServer server;
  Client client(server.port());
  std::string body(100000, 'z');
  std::string request = post("/echo", body);
  for (std::size_t i = 0; i < request.size(); i += 7000) {
    client.send(std::string_view(request).substr(i, 7000));
    std::this_thread::sleep_for(2ms);  // pieces in separate reads
  }
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, body);
}

TEST(Http1Connection, ChunkedResponseWithTrailersWhenTeTrailers) {
  TestServer server;
  Client client(server.port());
  client.send("GET /stream?n=3&size=5 HTTP/1.1\r\nHost: t\r\nTE: trailers\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body, "aaaaabbbbbccccc");
  ASSERT_NE(r.trailer("x-chunks"), nullptr);
  EXPECT_EQ(*r.trailer("x-chunks"), "3");
  client.send(post("/echo", "abc", "TE: trailers\r\n"));
  r = client.read_response();
  EXPECT_EQ(*r.header("x-te-trailers"), "1");
  ASSERT_NE(r.trailer("x-echo-bytes"), nullptr);
}

TEST(Http1Connection, TrailersDroppedWithoutTe) {
  TestServer server;
  Client client(server.port());
  client.send("GET /stream?n=2&size=4 HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body, "aaaabbbb");
  EXPECT_TRUE(r.trailers.empty());
  client.send(post("/echo", "abc"));
  r = client.read_response();
  EXPECT_EQ(*r.header("x-te-trailers"), "0");
  EXPECT_TRUE(r.trailers.empty());
}

TEST(Http1Connection, IdentityResponseWithContentLength) {
  TestServer server;
  Client client(server.port());
  client.send(post("/echo-length", "twelve bytes"));
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("content-length"), "12");
  EXPECT_EQ(r.header("transfer-encoding"), nullptr);
  EXPECT_EQ(r.body, "twelve bytes");
}

TEST(Http1Connection, RespondIsACompleteResponse) {
  TestServer server;
  Client client(server.port());
  client.send("GET /respond-200 HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("content-length"), "0");
  EXPECT_EQ(*r.header("x-kind"), "respond");
  client.send("GET /respond-204 HTTP/1.1\r\nHost: t\r\n\r\n");
  r = client.read_response();
  ASSERT_EQ(r.status, 204);
  EXPECT_EQ(r.header("content-length"), nullptr);
  client.send("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 404);
}

TEST(Http1Connection, HeadRequestGetsNoBody) {
  TestServer server;
  Client client(server.port());
  client.send("HEAD /info HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = client.read_response(/*head_request=*/true);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("transfer-encoding"), nullptr);
  client.send(kGet);  // nothing of a body was left in between
  auto next = client.read_response();
  ASSERT_EQ(next.status, 200);
  EXPECT_TRUE(next.body.starts_with("GET\n"));
}

TEST(Http1Connection, ShortContentLengthClosesTheConnection) {
  TestServer server;
  Client client(server.port());
  client.send("GET /wrong-length HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = client.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.body, "");  // the 5 bytes stay in the client's buffer, then EOF
}

TEST(Http1Connection, WritingPastContentLengthFails) {
  TestServer server;
  Client client(server.port());
  client.send("GET /too-long HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(server.probe().wait_for("reset /too-long 3"));  // kInternal, own reset
  EXPECT_FALSE(server.probe().contains("on_reset /too-long 3"));
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, HandlerResetClosesTheConnection) {
  TestServer server;
  Client client(server.port());
  client.send("GET /reset HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, ExpectContinueIsSentWhenTheHandlerReads) {
  TestServer server;
  Client client(server.port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  auto interim = client.read_response();
  ASSERT_EQ(interim.status, 100);
  client.send("hello");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("connection"), nullptr);
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
}

TEST(Http1Connection, ExpectContinueNotSentWhenTheHandlerDoesNotRead) {
  TestServer server;
  Client client(server.port());
  client.send(
      "POST /no-read HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);  // no 100 first
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(*r.header("connection"), "close");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, UnreadBodyKeepsTheConnectionWhenFullyReceived) {
  TestServer server;
  Client client(server.port());
  client.send(post("/no-read", "ignored body"));
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  // respond() at once, the body already here with the head.
  client.send(post("/respond-200", "ignored too"));
  r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("connection"), nullptr);
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
}

TEST(Http1Connection, ExtraResponseHeaders) {
  TestServer server;
  Client client(server.port());
  client.send("GET /extra HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  ASSERT_NE(r.header("x-extra"), nullptr);
  EXPECT_EQ(*r.header("x-extra"), "1");
}

TEST(Http1Connection, UnreadPartialBodyClosesAfterTheResponse) {
  TestServer server;
  Client client(server.port());
  client.send("POST /respond-200 HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\npartial");
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("connection"), "close");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, HeaderReadTimeout) {
  Http1Timeouts timeouts{200ms, 30s};
  TestServer server({}, timeouts);
  Client partial(server.port());
  Client silent(server.port());
  partial.send("GET /info HTTP/1.1\r\nHost:");
  auto start = std::chrono::steady_clock::now();
  auto r = partial.read_response();
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(*r.header("connection"), "close");
  EXPECT_TRUE(partial.closed_within(1000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(silent.closed_within(1000ms));  // nothing came: closed without a word
}

TEST(Http1Connection, HeaderReadTimeoutCountsFromTheFirstByteOfLaterRequests) {
  ConnectionOptions options;
  options.idle_timeout = 5s;
  TestServer server(options, Http1Timeouts{200ms, 30s});
  Client client(server.port());
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
  std::this_thread::sleep_for(400ms);  // idle between requests: not a slow head
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
}

TEST(Http1Connection, IdleKeepAliveConnectionCloses) {
  ConnectionOptions options;
  options.idle_timeout = 200ms;
  TestServer server(options);
  Client client(server.port());
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_within(2000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
}

TEST(Http1Connection, BodyIdleTimeoutResetsTheExchange) {
  TestServer server({}, Http1Timeouts{10s, 200ms});
  Client client(server.port());
  client.send("POST /wait-body HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(server.probe().wait_for("on_reset /wait-body 1"));  // kCancel
  EXPECT_TRUE(server.probe().wait_for("reset /wait-body 1"));
  auto r = client.read_response();
  EXPECT_EQ(r.status, 408);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, ClientDisconnectMidBodyResetsTheExchange) {
  TestServer server;
  {
    Client client(server.port());
    client.send("POST /wait-body HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    std::this_thread::sleep_for(50ms);  // a pause: the handler is reading when the client leaves
  }
  EXPECT_TRUE(server.probe().wait_for("on_reset /wait-body 6"));  // kConnectionLost
  EXPECT_TRUE(server.probe().wait_for("reset /wait-body 6"));
  EXPECT_TRUE(server.probe().wait_for("connection-closed"));
}

TEST(Http1Connection, ClientDisconnectMidResponseResetsTheExchange) {
  ConnectionOptions options;
  options.stream_write_buffer = 64 * 1024;
  TestServer server(options, {}, 64 * 1024);
  {
    Client client(server.port(), 64 * 1024);
    client.send("GET /big?total=1000000000 HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(client.data_within(2000ms));
    client.abort();
  }
  EXPECT_TRUE(server.probe().wait_for("on_reset /big 6"));
  EXPECT_TRUE(server.probe().wait_for("reset /big 6"));
}

TEST(Http1Connection, SlowReaderSuspendsTheHandlersWrites) {
  ConnectionOptions options;
  options.stream_write_buffer = 64 * 1024;
  TestServer server(options, {}, 64 * 1024);
  Client client(server.port(), 64 * 1024);
  constexpr std::size_t kTotal = 64 << 20;
  client.send("GET /big?total=" + std::to_string(kTotal) + " HTTP/1.1\r\nHost: t\r\n\r\n");
  // Nothing to poll for: the test shows that written stops growing.
  std::this_thread::sleep_for(300ms);
  std::size_t stalled = server.probe().written;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server.probe().written, stalled);  // write() is suspended, not buffering
  // Kernel buffers on both sides plus the write buffer: far below the total.
  EXPECT_LT(stalled, std::size_t{16} << 20);
  auto r = client.read_response();
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body.size(), kTotal);
  EXPECT_TRUE(server.probe().wait_for("big-done"));
}

TEST(Http1Connection, UnreadRequestBodyStopsReadingTheSocket) {
  TestServer server({}, {}, 64 * 1024);
  Client client(server.port());
  int small = 64 * 1024;
  ::setsockopt(client.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  constexpr std::size_t kBody = 64 << 20;
  client.send("POST /gate-read HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(kBody) +
              "\r\n\r\n");
  ASSERT_TRUE(server.probe().wait_for("gate-waiting"));
  // Push the body without blocking until the server stops taking it.
  std::string chunk(64 * 1024, 'b');
  std::size_t sent = 0;
  auto last_progress = std::chrono::steady_clock::now();
  while (sent < kBody && std::chrono::steady_clock::now() - last_progress < 300ms) {
    auto n = ::send(client.fd(), chunk.data(), std::min(chunk.size(), kBody - sent),
                    MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      last_progress = std::chrono::steady_clock::now();
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  EXPECT_LT(sent, std::size_t{8} << 20) << "the server kept reading an unread body";
  server.probe().gate = true;
  client.send(std::string(kBody - sent, 'b'));
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::to_string(kBody));
}

TEST(Http1Connection, DrainClosesAnIdleConnectionAtOnce) {
  TestServer server;
  Client client(server.port());
  client.send(kGet);
  EXPECT_EQ(client.read_response().status, 200);
  server.drain_all();
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST(Http1Connection, DrainFinishesTheExchangeInFlight) {
  TestServer server;
  Client client(server.port());
  client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(server.probe().wait_for("slow-started"));
  server.drain_all();
  auto r = client.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow");
  EXPECT_EQ(*r.header("connection"), "close");
  EXPECT_TRUE(client.closed_within(1000ms));
}

}  // namespace
}  // namespace triplex::http::testing
