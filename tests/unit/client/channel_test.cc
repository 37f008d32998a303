// Channel and ClientCall against a triplex server running the interop
// TestService, for each protocol over each HTTP version the client speaks:
// unary, errors with messages, metadata both ways, the three streaming
// kinds, large messages, deadlines, Connect GET, and 0-RTT resumption.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <optional>
#include <thread>

#include "grpc/testing/messages.pb.h"
#include "src/interop/test_service.h"
#include "src/rpc/channel_impl.h"
#include "tests/support/background_server.h"
#include "tests/unit/client/variant.h"
#include "triplex/client.h"
#include "triplex/server.h"

namespace triplex::testing {
namespace {

using namespace std::chrono_literals;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;

constexpr const char* kService = "/grpc.testing.TestService/";

// The interop TestService on a background server.
class InteropServer : public BackgroundServer {
 public:
  explicit InteropServer(std::chrono::milliseconds drain_timeout = 2000ms)
      : BackgroundServer({std::make_shared<interop::TestServiceImpl>()}, drain_timeout) {}
};

class ChannelTest : public ::testing::TestWithParam<Variant> {
 protected:
  std::shared_ptr<Channel> channel(ChannelOptions options = {}) {
    options.protocol = GetParam().protocol;
    options.http_version = GetParam().version;
    options.tls.insecure = true;
    return Channel::create(io_, server_.url(), options);
  }
  static ClientMethod method(const char* name, RpcKind kind, bool safe = false) {
    return ClientMethod{std::string(kService) + name, kind, safe};
  }

  InteropServer server_;
  asio::io_context io_;
};

TEST_P(ChannelTest, UnaryCall) {
  auto ch = channel();
  SimpleRequest req;
  req.set_response_size(1000);
  req.mutable_payload()->set_body(std::string(500, 'q'));
  SimpleResponse resp;
  Status s = run(io_, ch->unary(std::string(kService) + "UnaryCall", req, resp));
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(resp.payload().body().size(), 1000u);
}

TEST_P(ChannelTest, ErrorStatusAndMessageArrive) {
  auto ch = channel();
  SimpleRequest req;
  req.mutable_response_status()->set_code(5);
  req.mutable_response_status()->set_message("nothing here \t\xe2\x9c\x93");
  SimpleResponse resp;
  Status s = run(io_, ch->unary(std::string(kService) + "UnaryCall", req, resp));
  EXPECT_EQ(s.code, Code::kNotFound);
  EXPECT_EQ(s.message, "nothing here \t\xe2\x9c\x93");
}

TEST_P(ChannelTest, MetadataTravelsBothWays) {
  auto ch = channel();
  CallOptions options;
  options.metadata.add("x-grpc-test-echo-initial", "hello");
  options.metadata.add("x-grpc-test-echo-trailing-bin", std::string("\0\xff\1", 3));
  auto call = ch->call(method("UnaryCall", RpcKind::kUnary), options);
  SimpleRequest req;
  SimpleResponse resp;
  auto task = [&]() -> asio::awaitable<Status> {
    co_await call->write(req);
    co_await call->writes_done();
    co_await call->read(resp);
    co_return co_await call->finish();
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_NE(call->response_headers().find("x-grpc-test-echo-initial"), nullptr);
  EXPECT_EQ(*call->response_headers().find("x-grpc-test-echo-initial"), "hello");
  ASSERT_NE(call->response_trailers().find("x-grpc-test-echo-trailing-bin"), nullptr);
  EXPECT_EQ(*call->response_trailers().find("x-grpc-test-echo-trailing-bin"),
            std::string("\0\xff\1", 3));
}

TEST_P(ChannelTest, ServerStreaming) {
  auto ch = channel();
  auto call = ch->call(method("StreamingOutputCall", RpcKind::kServerStreaming));
  StreamingOutputCallRequest req;
  for (int size : {10, 20000, 3}) req.add_response_parameters()->set_size(size);
  std::vector<std::size_t> sizes;
  auto task = [&]() -> asio::awaitable<Status> {
    co_await call->write(req);
    co_await call->writes_done();
    StreamingOutputCallResponse resp;
    while (co_await call->read(resp)) sizes.push_back(resp.payload().body().size());
    co_return co_await call->finish();
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 20000, 3}));
}

// Cancels a server-streaming call whose handler sleeps (after one response,
// or before any): the call ends as CANCELLED, and its stream no longer holds
// the server's graceful shutdown, which would otherwise wait for the 10 s
// drain timeout. (The handler's own cancellation is checked per HTTP version
// in the HTTP/2 and HTTP/3 client tests.)
TEST_P(ChannelTest, CancelEndsTheServersHandler) {
  for (bool read_first : {true, false}) {
    InteropServer server(10s);
    ChannelOptions options;
    options.protocol = GetParam().protocol;
    options.http_version = GetParam().version;
    options.tls.insecure = true;
    auto ch = Channel::create(io_, server.url(), options);
    auto call = ch->call(method("StreamingOutputCall", RpcKind::kServerStreaming));
    StreamingOutputCallRequest req;
    if (read_first) req.add_response_parameters()->set_size(10);
    req.add_response_parameters()->set_interval_us(10'000'000);  // the handler sleeps
    auto task = [&]() -> asio::awaitable<Status> {
      co_await call->write(req);
      co_await call->writes_done();
      StreamingOutputCallResponse resp;
      if (read_first) co_await call->read(resp);
      call->cancel();
      co_return co_await call->finish();
    };
    Status s = run(io_, task());
    EXPECT_EQ(s.code, Code::kCancelled) << s.to_string();
    // Let the cancellation reach the server. The connection stays open, so
    // only the stream's reset can have ended the handler.
    auto until = std::chrono::steady_clock::now() + 200ms;
    io_.restart();
    while (std::chrono::steady_clock::now() < until) io_.run_one_for(20ms);
    auto started = std::chrono::steady_clock::now();
    server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "read first: " << read_first;
  }
}

// A burst of calls on a fresh channel shares one connection (HTTP/2 and
// HTTP/3 multiplex; HTTP/1.1 opens one per call in flight, up to a limit).
TEST_P(ChannelTest, ABurstOfFirstCallsSharesAConnection) {
  auto ch = channel();
  constexpr int kCalls = 20;
  int ok = 0;
  int done = 0;
  auto one = [&]() -> asio::awaitable<void> {
    SimpleRequest req;
    req.set_response_size(5);
    SimpleResponse resp;
    Status s = co_await ch->unary(method("UnaryCall", RpcKind::kUnary), req, resp);
    if (s.ok()) ++ok;
    ++done;
  };
  for (int i = 0; i < kCalls; ++i) asio::co_spawn(io_, one(), asio::detached);
  ASSERT_TRUE(run_until(io_, [&] { return done == kCalls; }));
  EXPECT_EQ(ok, kCalls);
  auto impl = std::dynamic_pointer_cast<rpc::ChannelImpl>(ch);
  ASSERT_NE(impl, nullptr);
  if (GetParam().version == HttpVersion::kHttp1) {
    EXPECT_LE(impl->connection_count(), 8u);
  } else {
    EXPECT_EQ(impl->connection_count(), 1u);
  }
}

TEST_P(ChannelTest, TimingsShowTheConnectionAndTheFirstByte) {
  auto ch = channel();
  auto call_once = [&]() {
    auto call = ch->call(method("UnaryCall", RpcKind::kUnary));
    auto task = [&]() -> asio::awaitable<Status> {
      SimpleRequest req;
      co_await call->write(req);
      co_await call->writes_done();
      co_return co_await call->finish();
    };
    EXPECT_TRUE(run(io_, task()).ok());
    return call->timings();
  };
  CallTimings first = call_once();
  EXPECT_FALSE(first.reused_connection);
  // HTTP/3 has no TCP connect; TLS and QUIC both shake hands.
  EXPECT_EQ(first.connect.has_value(), GetParam().version != HttpVersion::kHttp3);
  ASSERT_TRUE(first.handshake.has_value());
  if (first.connect) {
    EXPECT_LE(*first.connect, *first.handshake);
  }
  ASSERT_TRUE(first.first_byte.has_value());
  // HTTP/1.1 may open another connection, and auto moves to HTTP/3 (Alt-Svc).
  if (GetParam().version == HttpVersion::kHttp2 || GetParam().version == HttpVersion::kHttp3) {
    CallTimings second = call_once();
    EXPECT_TRUE(second.reused_connection);
    EXPECT_TRUE(second.first_byte.has_value());
  }
}

TEST_P(ChannelTest, ClientStreaming) {
  auto ch = channel();
  auto call = ch->call(method("StreamingInputCall", RpcKind::kClientStreaming));
  StreamingInputCallResponse resp;
  auto task = [&]() -> asio::awaitable<Status> {
    for (int size : {27182, 8, 1828, 45904}) {
      StreamingInputCallRequest req;
      req.mutable_payload()->set_body(std::string(size, 'x'));
      co_await call->write(req);
    }
    co_await call->writes_done();
    co_await call->read(resp);
    co_return co_await call->finish();
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(resp.aggregated_payload_size(), 74922);
}

// HTTP/1.1 too: the request and the response are both chunked streams.
TEST_P(ChannelTest, BidiPingPong) {
  auto ch = channel();
  auto call = ch->call(method("FullDuplexCall", RpcKind::kBidiStreaming));
  std::vector<std::size_t> sizes;
  auto task = [&]() -> asio::awaitable<Status> {
    for (int size : {31415, 9, 2653, 58979}) {
      StreamingOutputCallRequest req;
      req.add_response_parameters()->set_size(size);
      co_await call->write(req);
      StreamingOutputCallResponse resp;
      if (co_await call->read(resp)) sizes.push_back(resp.payload().body().size());
    }
    co_await call->writes_done();
    co_return co_await call->finish();
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{31415, 9, 2653, 58979}));
  HttpVersion expected =
      GetParam().version == HttpVersion::kAuto ? HttpVersion::kHttp2 : GetParam().version;
  EXPECT_EQ(call->http_version(), expected);
}

TEST_P(ChannelTest, LargeMessagesBothWays) {
  ChannelOptions options;
  options.max_receive_message_size = 8 << 20;
  auto ch = channel(options);
  SimpleRequest req;
  req.set_response_size(3 << 20);
  req.mutable_payload()->set_body(std::string(3 << 20, 'b'));
  SimpleResponse resp;
  Status s = run(io_, ch->unary(std::string(kService) + "UnaryCall", req, resp));
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(resp.payload().body().size(), 3u << 20);
}

TEST_P(ChannelTest, ResponsesOverTheReceiveLimitFail) {
  ChannelOptions options;
  options.max_receive_message_size = 1000;
  auto ch = channel(options);
  SimpleRequest req;
  req.set_response_size(5000);
  SimpleResponse resp;
  Status s = run(io_, ch->unary(std::string(kService) + "UnaryCall", req, resp));
  EXPECT_EQ(s.code, Code::kResourceExhausted) << s.to_string();
}

TEST_P(ChannelTest, DeadlineEndsASlowCall) {
  auto ch = channel();
  CallOptions options;
  options.timeout = 300ms;
  auto call = ch->call(method("FullDuplexCall", RpcKind::kBidiStreaming), options);
  auto started = std::chrono::steady_clock::now();
  auto task = [&]() -> asio::awaitable<Status> {
    StreamingOutputCallRequest req;
    auto* p = req.add_response_parameters();
    p->set_size(1);
    p->set_interval_us(5'000'000);
    co_await call->write(req);
    StreamingOutputCallResponse resp;
    co_await call->read(resp);
    co_return co_await call->finish();
  };
  Status s = run(io_, task());
  EXPECT_EQ(s.code, Code::kDeadlineExceeded) << s.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_P(ChannelTest, SideEffectFreeCallsMayGoAsGet) {
  ChannelOptions options;
  options.connect_get = true;
  auto ch = channel(options);
  SimpleRequest req;
  req.set_response_size(10);
  SimpleResponse resp;
  Status s = run(io_, ch->unary(method("CacheableUnaryCall", RpcKind::kUnary, true), req, resp));
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(resp.payload().body().size(), 10u);
}

TEST_P(ChannelTest, UnknownMethodIsUnimplemented) {
  auto ch = channel();
  SimpleRequest req;
  SimpleResponse resp;
  Status s = run(io_, ch->unary(std::string(kService) + "NoSuchMethod", req, resp));
  EXPECT_EQ(s.code, Code::kUnimplemented) << s.to_string();
}

INSTANTIATE_TEST_SUITE_P(
    AllVersions, ChannelTest,
    ::testing::Values(Variant{RpcProtocol::kGrpc, HttpVersion::kHttp3, "grpc_h3"},
                      Variant{RpcProtocol::kGrpcWeb, HttpVersion::kHttp3, "grpcweb_h3"},
                      Variant{RpcProtocol::kConnect, HttpVersion::kHttp3, "connect_h3"},
                      Variant{RpcProtocol::kGrpc, HttpVersion::kHttp2, "grpc_h2"},
                      Variant{RpcProtocol::kGrpcWeb, HttpVersion::kHttp2, "grpcweb_h2"},
                      Variant{RpcProtocol::kConnect, HttpVersion::kAuto, "connect_auto"},
                      Variant{RpcProtocol::kGrpc, HttpVersion::kHttp1, "grpc_h1"},
                      Variant{RpcProtocol::kGrpcWeb, HttpVersion::kHttp1, "grpcweb_h1"},
                      Variant{RpcProtocol::kConnect, HttpVersion::kHttp1, "connect_h1"}),
    [](const auto& info) { return std::string(info.param.name); });

// A second channel to the same server resumes the first one's session and
// sends a side-effect-free call as 0-RTT.
// HTTP version auto: the first call goes over TCP (ALPN picks HTTP/2), its
// response offers HTTP/3 (Alt-Svc), and the next call moves there.
TEST(ChannelAltSvc, AutoMovesToHttp3WhenOffered) {
  InteropServer server;
  asio::io_context io;
  ChannelOptions options;
  options.protocol = RpcProtocol::kConnect;
  options.tls.insecure = true;
  auto ch = Channel::create(io, server.url(), options);
  ClientMethod unary{std::string(kService) + "UnaryCall", RpcKind::kUnary, false};
  std::vector<std::string> versions;
  for (int i = 0; i < 3; ++i) {
    auto call = ch->call(unary);
    auto task = [&]() -> asio::awaitable<Status> {
      SimpleRequest req;
      co_await call->write(req);
      co_await call->writes_done();
      co_return co_await call->finish();
    };
    ASSERT_TRUE(run(io, task()).ok());
    versions.emplace_back(http_version_name(call->http_version()));
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"HTTP/2", "HTTP/3", "HTTP/3"}));
}

// An offered HTTP/3 port that does not answer costs the call nothing: it
// goes over TCP, and HTTP/3 is not tried again for a while.
TEST(ChannelAltSvc, FallsBackToTcpWhenHttp3DoesNotAnswer) {
  InteropServer server;
  asio::io_context io;
  ChannelOptions options;
  options.tls.insecure = true;
  auto ch = Channel::create(io, server.url(), options);
  auto impl = std::dynamic_pointer_cast<rpc::ChannelImpl>(ch);
  ASSERT_NE(impl, nullptr);
  // A UDP port with nothing behind it: bound, noted, closed.
  std::uint16_t dead_port;
  {
    asio::ip::udp::socket probe(io,
                                asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead_port = probe.local_endpoint().port();
  }
  impl->offer_http3(dead_port);
  ClientMethod unary{std::string(kService) + "UnaryCall", RpcKind::kUnary, false};
  for (int i = 0; i < 2; ++i) {
    auto call = ch->call(unary);
    auto started = std::chrono::steady_clock::now();
    auto task = [&]() -> asio::awaitable<Status> {
      SimpleRequest req;
      co_await call->write(req);
      co_await call->writes_done();
      co_return co_await call->finish();
    };
    Status s = run(io, task());
    EXPECT_TRUE(s.ok()) << s.to_string();
    EXPECT_EQ(call->http_version(), HttpVersion::kHttp2);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  }
}

TEST(ChannelResumption, SideEffectFreeCallsGoAsEarlyData) {
  InteropServer server;
  asio::io_context io;
  ChannelOptions options;
  options.protocol = RpcProtocol::kConnect;
  options.http_version = HttpVersion::kHttp3;
  options.tls.insecure = true;
  options.connect_get = true;
  auto ch = Channel::create(io, server.url(), options);
  ClientMethod cacheable{std::string(kService) + "CacheableUnaryCall", RpcKind::kUnary, true};
  SimpleRequest req;
  SimpleResponse resp;
  ASSERT_TRUE(run(io, ch->unary(cacheable, req, resp)).ok());
  // The ticket comes after the handshake; give it a moment, then reconnect.
  auto pause = [&]() -> asio::awaitable<int> {
    asio::steady_timer t(co_await asio::this_coro::executor, 200ms);
    co_await t.async_wait(asio::use_awaitable);
    co_return 0;
  };
  run(io, pause());
  ch->close();
  auto call = ch->call(cacheable);
  auto task = [&]() -> asio::awaitable<Status> {
    co_await call->write(req);
    co_await call->writes_done();
    co_await call->read(resp);
    co_return co_await call->finish();
  };
  Status s = run(io, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(call->sent_as_early_data());
}

}  // namespace
}  // namespace triplex::testing
