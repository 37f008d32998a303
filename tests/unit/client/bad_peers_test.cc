// Bad peers: what a Channel reports when the server misbehaves or cannot be
// reached, for each protocol over HTTP/1.1 and HTTP/2 (h2c), and over HTTP/3
// for an unreachable port and a certificate that does not verify. Every call
// must end (each has a deadline as a safety net) with the code the protocol
// gives and a message that says what happened.
//
// Where the specs leave the code open, grpc-go and connect-go (and the
// Connect conformance suite, which tests clients against raw responses) are
// the reference:
// - The connection drops mid-response: UNAVAILABLE. The transport failed,
//   not the call; grpc-go ends every stream of a dead transport so.
// - The body ends cleanly in the middle of a message: INTERNAL, a protocol
//   violation by the server (grpc-go turns the unexpected EOF into INTERNAL;
//   conformance "incomplete-message").
// - Bytes that are not HTTP: UNAVAILABLE. No response came, as with a refused
//   connection (grpc-go: "error reading server preface"; connect-go reports
//   any failure to get a response head as UNAVAILABLE).
// - 200 with a content-type that is not the protocol's: UNKNOWN. The HTTP
//   status says nothing failed, so nothing is known (grpc-go, connect-go;
//   conformance "unexpected-content-type").
// - Another HTTP status and no RPC status: gRPC's HTTP-to-code table, which
//   gRPC-Web and Connect use too (502 -> UNAVAILABLE).
// - A certificate that does not verify, a port where nothing listens:
//   UNAVAILABLE. A deadline: DEADLINE_EXCEEDED, also while still connecting.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "grpc/testing/messages.pb.h"
#include "tests/support/background_server.h"
#include "tests/support/scripted_server.h"
#include "tests/unit/client/variant.h"
#include "triplex/client.h"
#include "triplex/server.h"

namespace triplex::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;

constexpr const char* kUnaryPath = "/grpc.testing.TestService/UnaryCall";
constexpr const char* kStreamPath = "/grpc.testing.TestService/StreamingOutputCall";
// Every call's deadline unless a test sets one: a hang shows as a failure.
constexpr auto kSafetyNet = 5000ms;
constexpr auto kShortDeadline = 300ms;

const std::string kHtml = "<html><body><h1>502 Bad Gateway</h1></body></html>\n";
// What an SSH server says before it waits for the client's greeting.
const std::string kGarbage = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";

struct Outcome {
  Status status;
  int messages = 0;  // response messages read before the end
  Clock::duration elapsed{};
};

// A call that ended at its kShortDeadline, not before and not much after.
void expect_deadline_exceeded(const Outcome& outcome) {
  EXPECT_EQ(outcome.status.code, Code::kDeadlineExceeded) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("deadline"), std::string::npos) << outcome.status.message;
  EXPECT_GE(outcome.elapsed, kShortDeadline);
  EXPECT_LT(outcome.elapsed, kShortDeadline + 1s);
}

std::string envelope(const std::string& payload) {
  std::string frame(5, '\0');
  auto size = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<char>(size >> (24 - 8 * i));
  return frame + payload;
}

// A response message big enough to cut in two.
std::string response_message() {
  SimpleResponse response;
  response.mutable_payload()->set_body(std::string(100, 'x'));
  return response.SerializeAsString();
}

class BadPeersBase {
 protected:
  ~BadPeersBase() {
    // Let the servers' and connections' coroutines see their sockets close.
    channel_.reset();
    server_.reset();
    io_.restart();
    io_.poll();
  }

  // One unary call (the Channel::unary path, as applications make it).
  Outcome unary(RpcProtocol protocol, HttpVersion version, const std::string& url,
                std::chrono::milliseconds deadline = kSafetyNet, ChannelOptions options = {}) {
    open_channel(protocol, version, url, options);
    CallOptions call_options;
    call_options.timeout = deadline;
    auto started = Clock::now();
    SimpleRequest request;
    SimpleResponse response;
    Outcome outcome;
    outcome.status = run(channel_->unary(ClientMethod{kUnaryPath, RpcKind::kUnary}, request,
                                         response, call_options));
    outcome.elapsed = Clock::now() - started;
    return outcome;
  }

  // One server-streaming call, reading every message there is.
  Outcome server_stream(RpcProtocol protocol, HttpVersion version, const std::string& url) {
    open_channel(protocol, version, url, {});
    CallOptions call_options;
    call_options.timeout = kSafetyNet;
    auto call = channel_->call(ClientMethod{kStreamPath, RpcKind::kServerStreaming}, call_options);
    auto started = Clock::now();
    Outcome outcome;
    auto task = [&]() -> asio::awaitable<Status> {
      co_await call->write(SimpleRequest());
      co_await call->writes_done();
      SimpleResponse response;
      while (co_await call->read(response)) ++outcome.messages;
      co_return co_await call->finish();
    };
    outcome.status = run(task());
    outcome.elapsed = Clock::now() - started;
    return outcome;
  }

  void open_channel(RpcProtocol protocol, HttpVersion version, const std::string& url,
                    ChannelOptions options) {
    options.protocol = protocol;
    options.http_version = version;
    channel_ = Channel::create(io_, url, options);
  }

  // Runs `task` on io_ from the test thread; the safety net is the calls'
  // deadline, this limit only keeps a broken deadline from hanging the suite.
  Status run(asio::awaitable<Status> task) {
    auto result = std::make_shared<std::optional<Status>>();  // may outlive a hung run()
    asio::co_spawn(io_, std::move(task), [result](std::exception_ptr e, Status status) {
      *result = e ? Status(Code::kUnknown, "the call threw") : std::move(status);
    });
    io_.restart();
    auto limit = Clock::now() + kSafetyNet + 5s;
    while (!*result && Clock::now() < limit) io_.run_one_for(20ms);
    return result->value_or(Status(Code::kUnknown, "the call hung past its deadline"));
  }

  asio::io_context io_;
  std::unique_ptr<ScriptedServer> server_;
  std::shared_ptr<Channel> channel_;
};

class BadPeersTest : public BadPeersBase, public ::testing::TestWithParam<Variant> {
 protected:
  RpcProtocol protocol() const { return GetParam().protocol; }
  HttpVersion version() const { return GetParam().version; }
  bool connect() const { return protocol() == RpcProtocol::kConnect; }

  std::string serve(Script script) {
    auto http = version() == HttpVersion::kHttp2 ? ScriptedHttp::kHttp2 : ScriptedHttp::kHttp1;
    server_ = std::make_unique<ScriptedServer>(io_, http, std::move(script));
    return server_->url();
  }

  // The content-type a well-behaved server answers with.
  std::string content_type(RpcKind kind) const {
    switch (protocol()) {
      case RpcProtocol::kGrpc:
        return "application/grpc";
      case RpcProtocol::kGrpcWeb:
        return "application/grpc-web+proto";
      case RpcProtocol::kConnect:
        break;
    }
    return kind == RpcKind::kUnary ? "application/proto" : "application/connect+proto";
  }

  // A proper response head followed by `body` (which the test makes improper).
  Script reply(RpcKind kind, std::string body, Script::Ending ending) const {
    Script script;
    script.headers = {{"content-type", content_type(kind)}};
    script.body = std::move(body);
    script.ending = ending;
    return script;
  }

  Outcome unary(const std::string& url, std::chrono::milliseconds deadline = kSafetyNet,
                ChannelOptions options = {}) {
    return BadPeersBase::unary(protocol(), version(), url, deadline, options);
  }
  Outcome server_stream(const std::string& url) {
    return BadPeersBase::server_stream(protocol(), version(), url);
  }
};

TEST_P(BadPeersTest, ConnectionClosesInTheMiddleOfTheUnaryResponse) {
  std::string message = response_message();
  std::string half = message.substr(0, message.size() / 2);
  // Connect unary bodies are the bare message; the others frame it.
  std::string body = connect() ? half : envelope(message).substr(0, 5 + half.size());
  auto outcome = unary(serve(reply(RpcKind::kUnary, body, Script::Ending::kCloseConnection)));
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("connection was lost"), std::string::npos)
      << outcome.status.message;
}

TEST_P(BadPeersTest, ConnectionClosesInTheMiddleOfTheStream) {
  std::string message = envelope(response_message());
  std::string body = message + message.substr(0, message.size() / 2);
  auto outcome = server_stream(
      serve(reply(RpcKind::kServerStreaming, body, Script::Ending::kCloseConnection)));
  EXPECT_EQ(outcome.messages, 1);
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("connection was lost"), std::string::npos)
      << outcome.status.message;
}

TEST_P(BadPeersTest, StreamEndsInTheMiddleOfAMessage) {
  std::string message = envelope(response_message());
  std::string body = message + message.substr(0, message.size() / 2);
  auto outcome =
      server_stream(serve(reply(RpcKind::kServerStreaming, body, Script::Ending::kComplete)));
  EXPECT_EQ(outcome.messages, 1);
  EXPECT_EQ(outcome.status.code, Code::kInternal) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("truncated"), std::string::npos) << outcome.status.message;
}

TEST_P(BadPeersTest, GarbageInsteadOfHttp) {
  Script script;
  script.mode = Script::Mode::kRawBytes;
  script.raw = kGarbage;
  auto outcome = unary(serve(script));
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  // HTTP/1.1 reads the reply; HTTP/2 needs the server's SETTINGS first.
  const char* expected =
      version() == HttpVersion::kHttp2 ? "over HTTP/2: the handshake" : "reply is not HTTP/1.1";
  EXPECT_NE(outcome.status.message.find(expected), std::string::npos) << outcome.status.message;
  EXPECT_LT(outcome.elapsed, 1s);
}

TEST_P(BadPeersTest, OkStatusWithHtmlContentType) {
  Script script;
  script.headers = {{"content-type", "text/html; charset=utf-8"}};
  script.body = "<html><body>Welcome to nginx!</body></html>\n";
  auto outcome = unary(serve(script));
  EXPECT_EQ(outcome.status.code, Code::kUnknown) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("text/html"), std::string::npos) << outcome.status.message;
}

TEST_P(BadPeersTest, BadGatewayWithHtmlBody) {
  Script script;
  script.status = 502;
  script.headers = {{"content-type", "text/html"}};
  script.body = kHtml;
  auto outcome = unary(serve(script));
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("502"), std::string::npos) << outcome.status.message;
}

TEST_P(BadPeersTest, DeadlinePassesWhileTheServerNeverAnswers) {
  Script script;
  script.mode = Script::Mode::kNeverAnswer;
  auto outcome = unary(serve(script), kShortDeadline);
  expect_deadline_exceeded(outcome);
}

// Accepts the connection and says nothing at all: over HTTP/2 the client is
// still waiting for the server's SETTINGS when the deadline passes.
TEST_P(BadPeersTest, DeadlinePassesWhileTheServerSaysNothing) {
  Script script;
  script.mode = Script::Mode::kSayNothing;
  auto outcome = unary(serve(script), kShortDeadline);
  expect_deadline_exceeded(outcome);
}

// The same over TLS: the server never answers the ClientHello.
TEST_P(BadPeersTest, DeadlinePassesDuringTheTlsHandshake) {
  Script script;
  script.mode = Script::Mode::kSayNothing;
  serve(script);
  auto outcome = unary("https://127.0.0.1:" + std::to_string(server_->port()), kShortDeadline);
  EXPECT_EQ(outcome.status.code, Code::kDeadlineExceeded) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("deadline"), std::string::npos) << outcome.status.message;
  EXPECT_LT(outcome.elapsed, kShortDeadline + 1s);
}

TEST_P(BadPeersTest, NothingListensOnThePort) {
  auto outcome = unary("http://127.0.0.1:" + std::to_string(unused_tcp_port()));
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("refused"), std::string::npos) << outcome.status.message;
  EXPECT_LT(outcome.elapsed, 1s);
}

TEST_P(BadPeersTest, CertificateDoesNotVerify) {
  BackgroundServer tls_server({});  // self-signed, no services: the handshake is the test
  auto outcome = unary(tls_server.ip_url());
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("certificate"), std::string::npos)
      << outcome.status.message;
  EXPECT_LT(outcome.elapsed, 1s);
}

INSTANTIATE_TEST_SUITE_P(
    Http1AndHttp2, BadPeersTest,
    ::testing::Values(Variant{RpcProtocol::kGrpc, HttpVersion::kHttp1, "grpc_h1"},
                      Variant{RpcProtocol::kGrpcWeb, HttpVersion::kHttp1, "grpcweb_h1"},
                      Variant{RpcProtocol::kConnect, HttpVersion::kHttp1, "connect_h1"},
                      Variant{RpcProtocol::kGrpc, HttpVersion::kHttp2, "grpc_h2"},
                      Variant{RpcProtocol::kGrpcWeb, HttpVersion::kHttp2, "grpcweb_h2"},
                      Variant{RpcProtocol::kConnect, HttpVersion::kHttp2, "connect_h2"}),
    [](const auto& info) { return std::string(info.param.name); });

// Over HTTP/2 a call also waits for the server's SETTINGS, no longer than
// connect_timeout (HTTP/1.1 has nothing to wait for after TCP).
class BadPeersHttp2Test : public BadPeersBase, public ::testing::Test {};

TEST_F(BadPeersHttp2Test, SilentServerFailsTheHandshakeAfterTheConnectTimeout) {
  for (RpcProtocol protocol : {RpcProtocol::kGrpc, RpcProtocol::kGrpcWeb, RpcProtocol::kConnect}) {
    Script script;
    script.mode = Script::Mode::kSayNothing;
    server_ = std::make_unique<ScriptedServer>(io_, ScriptedHttp::kHttp2, script);
    ChannelOptions options;
    options.connect_timeout = kShortDeadline;
    auto outcome = unary(protocol, HttpVersion::kHttp2, server_->url(), kSafetyNet, options);
    EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
    EXPECT_NE(outcome.status.message.find("over HTTP/2: no HTTP/2 handshake within 300 ms"),
              std::string::npos)
        << outcome.status.message;
    EXPECT_LT(outcome.elapsed, kShortDeadline + 1s);
  }
}

// A slow server: calls made meanwhile on a new channel all wait for the one
// connection's SETTINGS, and each must see the handshake, not an aborted wait.
TEST_F(BadPeersHttp2Test, CallsWaitingForTheSameSlowHandshakeAllProceed) {
  Script script;
  script.headers = {{"content-type", "application/grpc"}};
  script.body = envelope(response_message());
  script.trailers = {{"grpc-status", "0"}};
  script.delay = 200ms;
  server_ = std::make_unique<ScriptedServer>(io_, ScriptedHttp::kHttp2, script);
  open_channel(RpcProtocol::kGrpc, HttpVersion::kHttp2, server_->url(), {});
  auto call = [&](std::chrono::milliseconds after) -> asio::awaitable<Status> {
    // The second call starts once the first has its TCP connection.
    asio::steady_timer pause(io_, after);
    co_await pause.async_wait(asio::use_awaitable);
    SimpleResponse response;
    CallOptions options;
    options.timeout = kSafetyNet;
    co_return co_await channel_->unary(kUnaryPath, SimpleRequest(), response, options);
  };
  auto both = [&]() -> asio::awaitable<Status> {
    using namespace asio::experimental::awaitable_operators;
    auto [a, b] = co_await (call(0ms) && call(50ms));
    co_return a.ok() ? b : a;
  };
  Status status = run(both());
  EXPECT_TRUE(status.ok()) << status.to_string();
}

// HTTP/3: the failures that happen before any HTTP, in QUIC.
class BadPeersHttp3Test : public BadPeersBase, public ::testing::TestWithParam<RpcProtocol> {};

// The ICMP port unreachable that loopback returns ends the handshake at once
// (the default connect timeout is 10 s).
TEST_P(BadPeersHttp3Test, NothingListensOnThePort) {
  auto outcome = unary(GetParam(), HttpVersion::kHttp3,
                       "https://127.0.0.1:" + std::to_string(unused_udp_port()), kSafetyNet);
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("over HTTP/3: connection refused"), std::string::npos)
      << outcome.status.message;
  EXPECT_LT(outcome.elapsed, 1s);
}

TEST_P(BadPeersHttp3Test, CertificateDoesNotVerify) {
  BackgroundServer tls_server({});  // self-signed, no services: the handshake is the test
  auto outcome = unary(GetParam(), HttpVersion::kHttp3, tls_server.ip_url());
  EXPECT_EQ(outcome.status.code, Code::kUnavailable) << outcome.status.to_string();
  EXPECT_NE(outcome.status.message.find("over HTTP/3: certificate verify failed"),
            std::string::npos)
      << outcome.status.message;
  EXPECT_LT(outcome.elapsed, 1s);
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, BadPeersHttp3Test,
                         ::testing::Values(RpcProtocol::kGrpc, RpcProtocol::kGrpcWeb,
                                           RpcProtocol::kConnect),
                         [](const auto& info) {
                           switch (info.param) {
                             case RpcProtocol::kGrpc:
                               return std::string("grpc");
                             case RpcProtocol::kGrpcWeb:
                               return std::string("grpcweb");
                             case RpcProtocol::kConnect:
                               break;
                           }
                           return std::string("connect");
                         });

}  // namespace
}  // namespace triplex::testing
