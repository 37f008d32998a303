// The gateway end to end in one process: our client -> Gateway (any protocol,
// HTTP/1.1 or h2c) -> upstream triplex servers over h2c. Deadlines, routes,
// faults, balancing, health checks, the admin port and the drain.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>
#include <algorithm>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <thread>

#include "src/wire/status_details.h"
#include "tests/support/eventually.h"
#include "tests/support/io_driver.h"
#include "tests/support/scripted_server.h"
#include "tests/unit/gateway/gateway_test_kit.h"

namespace triplex::testing {
namespace {

using namespace std::chrono_literals;

struct Downstream {
  RpcProtocol protocol;
  HttpVersion version;
  const char* name;
};

// What a browser or HTTP/1.1 client would use, and gRPC over h2c.
const Downstream kDownstreams[] = {
    {RpcProtocol::kConnect, HttpVersion::kHttp1, "connect/1.1"},
    {RpcProtocol::kGrpcWeb, HttpVersion::kHttp1, "grpc-web/1.1"},
    {RpcProtocol::kGrpc, HttpVersion::kHttp2, "grpc/h2c"},
};

class GatewayTest : public ::testing::Test {
 protected:
  std::shared_ptr<Channel> channel(const RunningGateway& gw, RpcProtocol protocol,
                                   HttpVersion version) {
    return Channel::create(io_, gw.url(), client_options(protocol, version));
  }
  asio::io_context io_;
};

TEST_F(GatewayTest, ForwardsEveryProtocolAndKind) {
  TestUpstream upstream("a");
  RunningGateway gw(simple_config({upstream.endpoint()}));
  for (const auto& d : kDownstreams) {
    SCOPED_TRACE(d.name);
    auto ch = channel(gw, d.protocol, d.version);
    auto unary = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"hello"});
    EXPECT_TRUE(unary.status.ok()) << unary.status.message;
    EXPECT_EQ(unary.messages, std::vector<std::string>{"hello"});
    EXPECT_EQ(*unary.headers.find("x-upstream"), "a");
    auto stream = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kClientStreaming,
                           {"one", "two", "three"});
    EXPECT_TRUE(stream.status.ok()) << stream.status.message;
    EXPECT_EQ(stream.messages, (std::vector<std::string>{"one", "two", "three"}));
  }
}

TEST_F(GatewayTest, PassThroughKeepsTheCallersProtocolAndCodec) {
  TestUpstream upstream("a");
  auto config = simple_config({upstream.endpoint()});
  config.clusters[0].protocol = gateway::UpstreamProtocol::kPassThrough;
  RunningGateway gw(config);
  const std::pair<Downstream, const char*> cases[] = {
      {{RpcProtocol::kConnect, HttpVersion::kHttp1, "connect/1.1"}, "connect"},
      {{RpcProtocol::kGrpcWeb, HttpVersion::kHttp1, "grpc-web/1.1"}, "grpc-web"},
      {{RpcProtocol::kGrpc, HttpVersion::kHttp2, "grpc/h2c"}, "grpc"},
  };
  for (const auto& [d, expected] : cases) {
    SCOPED_TRACE(d.name);
    for (bool json : {false, true}) {
      auto options = client_options(d.protocol, d.version);
      options.json = json;
      auto ch = Channel::create(io_, gw.url(), options);
      // Raw bytes are echoed whatever the codec says; the upstream reports what it got.
      auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"{}"});
      ASSERT_TRUE(out.status.ok()) << out.status.message;
      EXPECT_EQ(*out.headers.find("x-protocol"), expected);
      EXPECT_EQ(*out.headers.find("x-codec"), json ? "json" : "proto");
      EXPECT_EQ(out.messages, std::vector<std::string>{"{}"});
    }
  }
}

// A Connect upstream gets unary calls in Connect's unary form when the caller
// used it, and streams in its streaming form.
TEST_F(GatewayTest, ConnectUpstreamKeepsUnaryAndStreamingForms) {
  TestUpstream upstream("a");
  auto config = simple_config({upstream.endpoint()});
  config.clusters[0].protocol = gateway::UpstreamProtocol::kConnect;
  RunningGateway gw(config);
  auto connect = channel(gw, RpcProtocol::kConnect, HttpVersion::kHttp1);
  auto unary = call_raw(io_, *connect, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
  ASSERT_TRUE(unary.status.ok()) << unary.status.message;
  EXPECT_EQ(*unary.headers.find("x-protocol"), "connect");
  EXPECT_EQ(*unary.headers.find("x-framing"), "unary");
  auto stream =
      call_raw(io_, *connect, "/test.Gateway/Echo", RpcKind::kClientStreaming, {"x", "y"});
  ASSERT_TRUE(stream.status.ok()) << stream.status.message;
  EXPECT_EQ(*stream.headers.find("x-framing"), "stream");
  EXPECT_EQ(stream.messages, (std::vector<std::string>{"x", "y"}));
  // A large unary call over HTTP/2: sent whole before the answer is awaited.
  auto connect_h2 = channel(gw, RpcProtocol::kConnect, HttpVersion::kHttp2);
  std::string large(300 * 1024, 'z');
  auto big = call_raw(io_, *connect_h2, "/test.Gateway/Echo", RpcKind::kUnary, {large});
  ASSERT_TRUE(big.status.ok()) << big.status.message;
  EXPECT_EQ(*big.headers.find("x-framing"), "unary");
  EXPECT_EQ(big.messages, std::vector<std::string>{large});
  // gRPC callers do not say; without a schema the stream form carries any kind.
  auto grpc = channel(gw, RpcProtocol::kGrpc, HttpVersion::kHttp2);
  auto any = call_raw(io_, *grpc, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
  ASSERT_TRUE(any.status.ok()) << any.status.message;
  EXPECT_EQ(*any.headers.find("x-protocol"), "connect");
  EXPECT_EQ(*any.headers.find("x-framing"), "stream");
}

// Compressed requests go upstream compressed with the caller's algorithm.
TEST_F(GatewayTest, RequestCompressionIsKept) {
  TestUpstream upstream("a");
  RunningGateway gw(simple_config({upstream.endpoint()}));
  for (const auto& d : kDownstreams) {
    SCOPED_TRACE(d.name);
    auto options = client_options(d.protocol, d.version);
    options.compression = "gzip";
    auto ch = Channel::create(io_, gw.url(), options);
    std::string large(64 * 1024, 'c');
    auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {large});
    ASSERT_TRUE(out.status.ok()) << out.status.message;
    EXPECT_EQ(*out.headers.find("x-encoding"), "gzip");
    auto plain = call_raw(io_, *channel(gw, d.protocol, d.version), "/test.Gateway/Echo",
                          RpcKind::kUnary, {large});
    EXPECT_EQ(*plain.headers.find("x-encoding"), "");
  }
}

// The upstream sends headers, then an error without a message: the headers
// still reach the caller (with the status when its protocol merges them).
TEST_F(GatewayTest, UpstreamErrorsKeepHeadersDetailsAndTrailers) {
  TestUpstream upstream("a");
  RunningGateway gw(simple_config({upstream.endpoint()}));
  for (const auto& d : kDownstreams) {
    SCOPED_TRACE(d.name);
    auto ch = channel(gw, d.protocol, d.version);
    auto out = call_raw(io_, *ch, "/test.Gateway/Fail", RpcKind::kUnary, {"x"});
    EXPECT_EQ(out.status.code, Code::kFailedPrecondition);
    EXPECT_EQ(out.status.message, "no");
    // Details and trailing metadata come through faithfully too.
    auto details = wire::parse_rpc_status(out.status.details);
    ASSERT_TRUE(details);
    ASSERT_EQ(details->details.size(), 1u);
    EXPECT_EQ(details->details[0].type, "google.protobuf.StringValue");
    EXPECT_EQ(details->details[0].value, "\x0a\x03why");
    const std::string* trailer = out.trailers.find("x-trailer");
    if (trailer == nullptr) trailer = out.headers.find("x-trailer");
    ASSERT_NE(trailer, nullptr);
    EXPECT_EQ(*trailer, "t");
    const std::string* seen = out.headers.find("x-upstream");
    if (seen == nullptr) seen = out.trailers.find("x-upstream");
    ASSERT_NE(seen, nullptr);
    EXPECT_EQ(*seen, "a");
  }
}

// Upstreams over TLS: HTTP/2 and HTTP/3, with a cluster that trusts any
// certificate; and one that verifies it, which a self-signed one fails.
TEST_F(GatewayTest, ForwardsToTlsUpstreamsOverHttp2AndHttp3) {
  TestUpstream upstream("tls", true);
  for (const char* scheme : {"h2", "h3"}) {
    SCOPED_TRACE(scheme);
    auto config = simple_config({upstream.endpoint(scheme)});
    config.clusters[0].insecure = true;
    RunningGateway gw(config);
    auto ch = channel(gw, RpcProtocol::kConnect, HttpVersion::kHttp1);
    auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kClientStreaming, {"a", "b"});
    ASSERT_TRUE(out.status.ok()) << out.status.message;
    EXPECT_EQ(out.messages, (std::vector<std::string>{"a", "b"}));
    auto strict = simple_config({upstream.endpoint(scheme)});
    RunningGateway verifying(strict);
    auto ch2 = channel(verifying, RpcProtocol::kConnect, HttpVersion::kHttp1);
    auto refused = call_raw(io_, *ch2, "/test.Gateway/Echo", RpcKind::kUnary, {"a"});
    EXPECT_EQ(refused.status.code, Code::kUnavailable);
    EXPECT_NE(refused.status.message.find("certificate"), std::string::npos)
        << refused.status.message;
  }
}

// connect-timeout-ms: 200 over HTTP/1.1 to an upstream that never answers:
// DEADLINE_EXCEEDED after about 200 ms, and the upstream was told at most 200 ms.
TEST_F(GatewayTest, DeadlineOverHttp1ReachesTheUpstreamAsGrpcTimeout) {
  TestUpstream upstream("a");
  RunningGateway gw(simple_config({upstream.endpoint()}));
  for (const auto& d : kDownstreams) {
    SCOPED_TRACE(d.name);
    upstream.last_timeout_ms = -1;
    auto ch = channel(gw, d.protocol, d.version);
    // A first call, so that connecting is not part of the measured one.
    ASSERT_TRUE(call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"}).status.ok());
    CallOptions options;
    options.timeout = 200ms;
    auto start = std::chrono::steady_clock::now();
    auto out = call_raw(io_, *ch, "/test.Gateway/Sleep", RpcKind::kUnary, {"x"}, options);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(out.status.code, Code::kDeadlineExceeded) << out.status.message;
    EXPECT_GE(took, 190ms);
    EXPECT_LT(took, 700ms);
    EXPECT_GT(upstream.last_timeout_ms.load(), 100);
    EXPECT_LE(upstream.last_timeout_ms.load(), 200);
  }
}

TEST_F(GatewayTest, RouteAndClusterTimeoutsCapTheDeadline) {
  TestUpstream upstream("a");
  auto config = simple_config({upstream.endpoint()});
  config.routes.insert(config.routes.begin(),
                       gateway::RouteConfig{"/test.Gateway/Sleep", "backend", 150ms, {}});
  config.clusters[0].request_timeout = 400ms;
  RunningGateway gw(config);
  auto ch = channel(gw, RpcProtocol::kConnect, HttpVersion::kHttp1);
  auto out = call_raw(io_, *ch, "/test.Gateway/Sleep", RpcKind::kUnary, {"x"});
  EXPECT_EQ(out.status.code, Code::kDeadlineExceeded) << out.status.message;
  EXPECT_GT(upstream.last_timeout_ms.load(), 100);
  EXPECT_LE(upstream.last_timeout_ms.load(), 150);
  // Other methods get the cluster's cap.
  auto echo = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
  EXPECT_TRUE(echo.status.ok());
}

TEST_F(GatewayTest, UnroutedMethodsAreUnimplemented) {
  TestUpstream upstream("a");
  auto config = simple_config({upstream.endpoint()});
  config.routes[0].prefix = "/test.Gateway/";
  RunningGateway gw(config);
  auto ch = channel(gw, RpcProtocol::kConnect, HttpVersion::kHttp1);
  auto out = call_raw(io_, *ch, "/other.Service/Echo", RpcKind::kUnary, {"x"});
  EXPECT_EQ(out.status.code, Code::kUnimplemented);
  EXPECT_NE(out.status.message.find("no route"), std::string::npos) << out.status.message;
  EXPECT_EQ(upstream.calls.load(), 0);
}

// Junk paths add no series: each call nobody serves is counted as "(other)".
TEST_F(GatewayTest, MetricsCountUnknownMethodsUnderOneLabel) {
  TestUpstream upstream("a");
  auto config = simple_config({upstream.endpoint()});
  config.routes[0].prefix = "/test.Gateway/";
  RunningGateway gw(config);
  auto ch = channel(gw, RpcProtocol::kGrpc, HttpVersion::kHttp2);
  for (int i = 0; i < 40; ++i) {
    auto path = "/junk.Service" + std::to_string(i) + "/M";
    EXPECT_EQ(call_raw(io_, *ch, path, RpcKind::kUnary, {"x"}).status.code, Code::kUnimplemented);
  }
  std::string body;
  EXPECT_TRUE(eventually([&] {
    body = http_get(gw->admin_port(), "/metrics").body;
    return body.find(
               R"m(triplex_gateway_calls_total{method="(other)",code="UNIMPLEMENTED"} 40)m") !=
           std::string::npos;
  })) << body;
  EXPECT_EQ(body.find("junk"), std::string::npos) << body;
}

TEST_F(GatewayTest, RouteMessageLimitIsResourceExhausted) {
  TestUpstream upstream("a");
  auto config = simple_config({upstream.endpoint()});
  config.routes[0].max_message_bytes = 10;
  RunningGateway gw(config);
  for (const auto& d : kDownstreams) {
    SCOPED_TRACE(d.name);
    auto ch = channel(gw, d.protocol, d.version);
    auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {std::string(20, 'x')});
    EXPECT_EQ(out.status.code, Code::kResourceExhausted) << out.status.message;
    EXPECT_NE(out.status.message.find("route's limit"), std::string::npos);
  }
}

TEST_F(GatewayTest, UpstreamDownIsUnavailable) {
  RunningGateway gw(simple_config({"h2c://127.0.0.1:" + std::to_string(unused_tcp_port())}));
  for (const auto& d : kDownstreams) {
    SCOPED_TRACE(d.name);
    auto ch = channel(gw, d.protocol, d.version);
    auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
    EXPECT_EQ(out.status.code, Code::kUnavailable) << out.status.message;
  }
}

// An upstream that accepts TCP but never speaks HTTP/2: the cluster's
// connect timeout ends the call, not the caller's patience.
TEST_F(GatewayTest, ClusterConnectTimeoutBoundsASilentUpstream) {
  Script silent;
  silent.mode = Script::Mode::kSayNothing;
  ScriptedServer upstream(io_, ScriptedHttp::kHttp2, silent);
  auto config = simple_config({"h2c://127.0.0.1:" + std::to_string(upstream.port())});
  config.clusters[0].connect_timeout = 200ms;
  RunningGateway gw(config);
  auto ch = channel(gw, RpcProtocol::kConnect, HttpVersion::kHttp1);
  auto start = std::chrono::steady_clock::now();
  auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(out.status.code, Code::kUnavailable) << out.status.message;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 1500ms);
}

// The upstream sends its headers and one message, then its connection dies
// in the middle of the next: the client gets the message and an error in
// its own protocol, not a hang.
TEST_F(GatewayTest, UpstreamCutMidStreamReachesTheClient) {
  Script script;
  script.headers = {{"content-type", "application/grpc"}};
  script.body = std::string("\0\0\0\0\2hi\0\0\0\0\x10par", 15);
  script.ending = Script::Ending::kCloseConnection;
  ScriptedServer upstream(io_, ScriptedHttp::kHttp2, script);
  RunningGateway gw(simple_config({"h2c://127.0.0.1:" + std::to_string(upstream.port())}));
  const Downstream streaming[] = {
      {RpcProtocol::kConnect, HttpVersion::kHttp1, "connect/1.1"},
      {RpcProtocol::kGrpcWeb, HttpVersion::kHttp1, "grpc-web/1.1"},
      {RpcProtocol::kGrpc, HttpVersion::kHttp2, "grpc/h2c"},
  };
  for (const auto& d : streaming) {
    SCOPED_TRACE(d.name);
    auto ch = channel(gw, d.protocol, d.version);
    auto out = call_raw(io_, *ch, "/test.Gateway/Stream", RpcKind::kServerStreaming, {"x"});
    EXPECT_EQ(out.messages, std::vector<std::string>{"hi"});
    EXPECT_TRUE(out.status.code == Code::kUnavailable || out.status.code == Code::kInternal)
        << static_cast<int>(out.status.code) << " " << out.status.message;
  }
}

TEST_F(GatewayTest, RoundRobinSpreadsCalls) {
  TestUpstream a("a");
  TestUpstream b("b");
  RunningGateway gw(simple_config({a.endpoint(), b.endpoint()}));
  auto ch = channel(gw, RpcProtocol::kGrpc, HttpVersion::kHttp2);
  std::map<std::string, int> seen;
  for (int i = 0; i < 6; ++i) {
    auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
    ASSERT_TRUE(out.status.ok());
    ++seen[*out.headers.find("x-upstream")];
  }
  EXPECT_EQ(seen["a"], 3);
  EXPECT_EQ(seen["b"], 3);
}

TEST_F(GatewayTest, LeastRequestAvoidsTheBusyEndpoint) {
  TestUpstream a("a");
  TestUpstream b("b");
  auto config = simple_config({a.endpoint(), b.endpoint()});
  config.clusters[0].balance = gateway::Balance::kLeastRequest;
  RunningGateway gw(config);
  auto ch = channel(gw, RpcProtocol::kGrpc, HttpVersion::kHttp2);
  // One call held for a second on whichever endpoint takes it.
  bool held_done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        ClientMethod method{"/test.Gateway/Hold", RpcKind::kUnary, false};
        auto call = ch->call(std::move(method));
        std::string payload = "x";
        co_await call->write_raw(std::move(payload));
        co_await call->writes_done();
        while (co_await call->read_raw()) {
        }
        co_await call->finish();
        held_done = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until(io_, [&] { return a.in_flight + b.in_flight == 1; }));
  std::string idle = a.in_flight == 1 ? "b" : "a";
  for (int i = 0; i < 4; ++i) {
    auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
    ASSERT_TRUE(out.status.ok());
    EXPECT_EQ(*out.headers.find("x-upstream"), idle);
  }
  EXPECT_TRUE(run_until(io_, [&] { return held_done; }));
}

TEST_F(GatewayTest, HealthChecksTakeEndpointsOutAndReadinessFollows) {
  TestUpstream a("a");
  TestUpstream b("b");
  auto config = simple_config({a.endpoint(), b.endpoint()});
  gateway::HealthCheckConfig check;
  check.interval = 50ms;
  check.timeout = 500ms;
  check.unhealthy_threshold = 1;
  config.clusters[0].health_check = check;
  b.health().set_status("", HealthService::kNotServing);
  RunningGateway gw(config);
  auto ch = channel(gw, RpcProtocol::kGrpc, HttpVersion::kHttp2);
  // Once the checks have taken b out, every call goes to a.
  auto only_a = [&] {
    for (int i = 0; i < 4; ++i) {
      auto out = call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"});
      if (!out.status.ok() || *out.headers.find("x-upstream") != "a") return false;
    }
    return true;
  };
  EXPECT_TRUE(eventually(only_a));
  EXPECT_EQ(http_get(gw->admin_port(), "/ready").status, 200);
  a.health().set_status("", HealthService::kNotServing);
  EXPECT_TRUE(eventually([&] { return http_get(gw->admin_port(), "/ready").status == 503; }));
  auto ready = http_get(gw->admin_port(), "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("no healthy endpoint"), std::string::npos);
  // With none healthy, calls still go somewhere (panic mode) rather than fail.
  EXPECT_TRUE(call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"x"}).status.ok());
  b.health().set_status("", HealthService::kServing);
  EXPECT_TRUE(eventually([&] { return http_get(gw->admin_port(), "/ready").status == 200; }));
  EXPECT_EQ(http_get(gw->admin_port(), "/healthz").status, 200);
}

TEST_F(GatewayTest, MetricsCountCallsPerMethodAndCode) {
  TestUpstream upstream("a");
  RunningGateway gw(simple_config({upstream.endpoint()}));
  for (const auto& d : kDownstreams) {
    auto ch = channel(gw, d.protocol, d.version);
    ASSERT_TRUE(call_raw(io_, *ch, "/test.Gateway/Echo", RpcKind::kUnary, {"abc"}).status.ok());
    CallOptions options;
    options.timeout = 50ms;
    call_raw(io_, *ch, "/test.Gateway/Sleep", RpcKind::kUnary, {"x"}, options);
  }
  auto metrics = http_get(gw->admin_port(), "/metrics");
  ASSERT_EQ(metrics.status, 200);
  auto has = [&](const std::string& line) {
    return metrics.body.find(line + "\n") != std::string::npos;
  };
  // The gateway counts a call once its own handler ends, which can be a
  // moment after the caller saw its answer (for a call past its deadline,
  // after the caller gave up): wait for every count below.
  const std::vector<std::string> expected = {
      R"(triplex_gateway_calls_total{method="/test.Gateway/Sleep",code="DEADLINE_EXCEEDED"} 3)",
      R"(triplex_gateway_calls_total{method="/test.Gateway/Echo",code="OK"} 3)",
      R"(triplex_gateway_request_bytes_total{method="/test.Gateway/Echo"} 9)",
      R"(triplex_gateway_listener_calls_total{listener="test",http_version="2",protocol="grpc",code="OK"} 1)",
      R"(triplex_gateway_listener_calls_total{listener="test",http_version="1.1",protocol="connect",code="OK"} 1)",
  };
  EXPECT_TRUE(eventually([&] {
    metrics = http_get(gw->admin_port(), "/metrics");
    return std::all_of(expected.begin(), expected.end(), has);
  })) << metrics.body;
  for (const auto& line : expected) EXPECT_TRUE(has(line)) << line << "\n" << metrics.body;
}

std::string grpc_frame(const std::string& payload) {
  std::string out(5, '\0');
  out[4] = static_cast<char>(payload.size());  // short test payloads only
  return out + payload;
}

constexpr const char* kGrpcHeaders = "Content-Type: application/grpc\r\n";

// Envoy's grpc_http1_bridge through the gateway: HTTP/1.1 without TE: trailers.
TEST_F(GatewayTest, BridgeAnswersUnaryCallsBufferedWithStatusInHeaders) {
  TestUpstream upstream("a");
  auto config = simple_config({upstream.endpoint()});
  config.bridge.upgrade_protobuf_to_grpc = true;
  config.bridge.max_buffer_size = 100;
  RunningGateway gw(config);
  auto port = gw->listener_port(0);
  auto ok = http_post(port, "/test.Gateway/Echo", kGrpcHeaders, grpc_frame("hello"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.head.find("grpc-status: 0\r\n"), std::string::npos) << ok.head;
  EXPECT_NE(ok.head.find("content-length: 10\r\n"), std::string::npos) << ok.head;
  EXPECT_EQ(ok.body, grpc_frame("hello"));
  // application/x-protobuf: one unframed message each way.
  auto raw =
      http_post(port, "/test.Gateway/Echo", "Content-Type: application/x-protobuf\r\n", "hello");
  EXPECT_EQ(raw.status, 200);
  EXPECT_NE(raw.head.find("content-type: application/x-protobuf\r\n"), std::string::npos);
  EXPECT_NE(raw.head.find("grpc-status: 0\r\n"), std::string::npos);
  EXPECT_EQ(raw.body, "hello");
  // More than the bridge holds: a bounded, clear error.
  auto big = http_post(port, "/test.Gateway/Echo", kGrpcHeaders, grpc_frame(std::string(120, 'x')));
  EXPECT_EQ(big.status, 503);
  EXPECT_NE(big.head.find("grpc-status: 8\r\n"), std::string::npos) << big.head;
  EXPECT_NE(big.head.find("bridge"), std::string::npos) << big.head;
  EXPECT_EQ(big.body, "");
  // A streaming call (two messages) cannot cross the bridge.
  auto stream =
      http_post(port, "/test.Gateway/Echo", kGrpcHeaders, grpc_frame("one") + grpc_frame("two"));
  EXPECT_EQ(stream.status, 503);
  EXPECT_NE(stream.head.find("grpc-status: 12\r\n"), std::string::npos) << stream.head;
  EXPECT_NE(stream.head.find("te: trailers"), std::string::npos) << stream.head;
}

// Upstream errors reach bridge clients as 503 with grpc-status and
// grpc-message headers, whether the upstream sent headers then trailers or a
// Trailers-Only response.
TEST_F(GatewayTest, BridgeCarriesUpstreamErrorsOfBothForms) {
  Script normal;
  normal.headers = {{"content-type", "application/grpc"}, {"x-meta", "1"}};
  normal.trailers = {{"grpc-status", "9"}, {"grpc-message", "not%20now"}};
  Script trailers_only;
  trailers_only.headers = {
      {"content-type", "application/grpc"}, {"grpc-status", "5"}, {"grpc-message", "gone"}};
  for (const auto* script : {&normal, &trailers_only}) {
    ScriptedServer upstream(io_, ScriptedHttp::kHttp2, *script);
    RunningGateway gw(simple_config({"h2c://127.0.0.1:" + std::to_string(upstream.port())}));
    std::optional<HttpResult> result;
    std::thread client([&] {
      result = http_post(gw->listener_port(0), "/test.Gateway/Echo", kGrpcHeaders, grpc_frame("x"));
    });
    run_until(io_, [&] { return result.has_value(); });
    client.join();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 503);
    if (script == &normal) {
      EXPECT_NE(result->head.find("grpc-status: 9\r\n"), std::string::npos) << result->head;
      EXPECT_NE(result->head.find("grpc-message: not now\r\n"), std::string::npos) << result->head;
    } else {
      EXPECT_NE(result->head.find("grpc-status: 5\r\n"), std::string::npos) << result->head;
      EXPECT_NE(result->head.find("grpc-message: gone\r\n"), std::string::npos);
    }
  }
}

// SIGTERM while calls are in flight: every one of them finishes with its
// answer, then the gateway stops.
TEST_F(GatewayTest, SigtermDrainLosesNoCallInFlight) {
  TestUpstream upstream("a");
  RunningGateway gw(simple_config({upstream.endpoint()}));
  std::vector<std::shared_ptr<Channel>> channels;
  for (const auto& d : kDownstreams) channels.push_back(channel(gw, d.protocol, d.version));
  constexpr int kCalls = 24;  // HTTP/1.1 channels keep at most 8 calls in flight
  std::vector<std::optional<RawOutcome>> outcomes(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          auto& ch = *channels[i % channels.size()];
          ClientMethod method{"/test.Gateway/Slow", RpcKind::kUnary, false};
          auto call = ch.call(std::move(method));
          std::string payload = "call-" + std::to_string(i);
          co_await call->write_raw(std::move(payload));
          co_await call->writes_done();
          RawOutcome out;
          while (auto m = co_await call->read_raw()) out.messages.push_back(*m);
          out.status = co_await call->finish();
          outcomes[i] = std::move(out);
        },
        asio::detached);
  }
  ASSERT_TRUE(run_until(io_, [&] { return upstream.in_flight == kCalls; }));
  kill(getpid(), SIGTERM);
  ASSERT_TRUE(run_until(io_, [&] {
    for (const auto& o : outcomes) {
      if (!o) return false;
    }
    return true;
  }));
  for (int i = 0; i < kCalls; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(outcomes[i]->status.ok()) << outcomes[i]->status.message;
    EXPECT_EQ(outcomes[i]->messages, std::vector<std::string>{"call-" + std::to_string(i)});
  }
  EXPECT_TRUE(gw.join());
}

}  // namespace
}  // namespace triplex::testing
