// The generated typed client stubs (Foo::Client over the typed streams of
// triplex/client_stub.h) and the blocking wrapper (BlockingChannel and the
// generated Foo::BlockingClient) against the interop TestService and the
// Eliza demo, served in-process.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <optional>
#include <thread>

#include "connectrpc/eliza/v1/eliza.triplex.h"
#include "examples/eliza/eliza_service.h"
#include "grpc/testing/test.triplex.h"
#include "src/interop/test_service.h"
#include "tests/support/background_server.h"
#include "tests/unit/client/variant.h"
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
using TestService = grpc::testing::triplex_rpc::TestService;
using ElizaService = connectrpc::eliza::v1::triplex_rpc::ElizaService;

// TestService and ElizaService on a background server.
class StubServer : public BackgroundServer {
 public:
  StubServer()
      : BackgroundServer({std::make_shared<interop::TestServiceImpl>(),
                          std::make_shared<eliza::ElizaServiceImpl>()}) {}
};

ChannelOptions options_for(RpcProtocol protocol, HttpVersion version) {
  ChannelOptions o;
  o.protocol = protocol;
  o.http_version = version;
  o.tls.insecure = true;
  return o;
}

TEST(GeneratedMethods, CarryKindAndSideEffects) {
  ClientMethod say = ElizaService::Methods::Say();
  EXPECT_EQ(say.path, "/connectrpc.eliza.v1.ElizaService/Say");
  EXPECT_EQ(say.kind, RpcKind::kUnary);
  EXPECT_TRUE(say.no_side_effects);  // idempotency_level = NO_SIDE_EFFECTS
  EXPECT_EQ(ElizaService::Methods::Introduce().kind, RpcKind::kServerStreaming);
  EXPECT_FALSE(ElizaService::Methods::Introduce().no_side_effects);
  EXPECT_EQ(ElizaService::Methods::Converse().kind, RpcKind::kBidiStreaming);
  EXPECT_EQ(TestService::Methods::StreamingInputCall().kind, RpcKind::kClientStreaming);
  EXPECT_EQ(TestService::Methods::UnaryCall().path, "/grpc.testing.TestService/UnaryCall");
}

class StubTest : public ::testing::TestWithParam<Variant> {
 protected:
  TestService::Client client() {
    return TestService::Client(
        Channel::create(io_, server_.url(), options_for(GetParam().protocol, GetParam().version)));
  }

  StubServer server_;
  asio::io_context io_;
};

TEST_P(StubTest, Unary) {
  auto stub = client();
  SimpleRequest req;
  req.set_response_size(1000);
  SimpleResponse resp;
  auto task = [&]() -> asio::awaitable<Status> {
    CallOptions options;
    options.timeout = 5s;
    co_return co_await stub.UnaryCall(req, resp, std::move(options));
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(resp.payload().body().size(), 1000u);

  req.mutable_response_status()->set_code(5);
  req.mutable_response_status()->set_message("gone");
  s = run(io_, task());
  EXPECT_EQ(s.code, Code::kNotFound);
  EXPECT_EQ(s.message, "gone");
}

TEST_P(StubTest, ServerStreaming) {
  auto stub = client();
  StreamingOutputCallRequest req;
  for (int size : {10, 20000, 3}) req.add_response_parameters()->set_size(size);
  std::vector<std::size_t> sizes;
  auto task = [&]() -> asio::awaitable<Status> {
    auto reader = co_await stub.StreamingOutputCall(req);
    StreamingOutputCallResponse resp;
    while (co_await reader.read(resp)) sizes.push_back(resp.payload().body().size());
    co_return co_await reader.finish();
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 20000, 3}));
}

TEST_P(StubTest, ClientStreaming) {
  auto stub = client();
  StreamingInputCallResponse resp;
  auto task = [&]() -> asio::awaitable<Status> {
    auto writer = stub.StreamingInputCall();
    for (int size : {27182, 8, 1828, 45904}) {
      StreamingInputCallRequest req;
      req.mutable_payload()->set_body(std::string(size, 'x'));
      co_await writer.write(req);
    }
    co_return co_await writer.finish(resp);
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(resp.aggregated_payload_size(), 74922);
}

TEST_P(StubTest, BidiWithoutExplicitHalfClose) {
  auto stub = client();
  std::vector<std::size_t> sizes;
  auto task = [&]() -> asio::awaitable<Status> {
    auto stream = stub.FullDuplexCall();
    for (int size : {31415, 9, 2653}) {
      StreamingOutputCallRequest req;
      req.add_response_parameters()->set_size(size);
      co_await stream.write(req);
      StreamingOutputCallResponse resp;
      if (co_await stream.read(resp)) sizes.push_back(resp.payload().body().size());
    }
    // finish() half-closes, or the server would wait for more requests.
    co_return co_await stream.finish();
  };
  Status s = run(io_, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{31415, 9, 2653}));
}

INSTANTIATE_TEST_SUITE_P(
    Some, StubTest,
    ::testing::Values(Variant{RpcProtocol::kGrpc, HttpVersion::kHttp2, "grpc_h2"},
                      Variant{RpcProtocol::kConnect, HttpVersion::kHttp3, "connect_h3"},
                      Variant{RpcProtocol::kGrpcWeb, HttpVersion::kHttp1, "grpcweb_h1"}),
    [](const auto& info) { return std::string(info.param.name); });

// A NO_SIDE_EFFECTS method from the generated stub goes as a Connect GET.
TEST(ElizaStub, SayAsConnectGetOverHttp3) {
  StubServer server;
  asio::io_context io;
  ChannelOptions options = options_for(RpcProtocol::kConnect, HttpVersion::kHttp3);
  options.connect_get = true;
  auto channel = Channel::create(io, server.url(), options);
  ElizaService::Client eliza(channel);
  connectrpc::eliza::v1::SayRequest req;
  req.set_sentence("I feel happy.");
  connectrpc::eliza::v1::SayResponse resp;
  auto task = [&]() -> asio::awaitable<Status> { co_return co_await eliza.Say(req, resp); };
  Status s = run(io, task());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_FALSE(resp.sentence().empty());
}

class BlockingTest : public ::testing::Test {
 protected:
  std::shared_ptr<BlockingChannel> channel(RpcProtocol protocol = RpcProtocol::kGrpc,
                                           HttpVersion version = HttpVersion::kHttp2) {
    return std::make_shared<BlockingChannel>(server_.url(), options_for(protocol, version));
  }
  StubServer server_;
};

TEST_F(BlockingTest, UnaryFromTwoThreadsAtOnce) {
  TestService::BlockingClient stub(channel());
  std::atomic<int> good{0};
  auto caller = [&](int size) {
    for (int i = 0; i < 20; ++i) {
      SimpleRequest req;
      req.set_response_size(size + i);
      SimpleResponse resp;
      Status s = stub.UnaryCall(req, resp);
      if (s.ok() && resp.payload().body().size() == static_cast<std::size_t>(size + i)) ++good;
    }
  };
  std::thread a(caller, 100);
  std::thread b(caller, 5000);
  a.join();
  b.join();
  EXPECT_EQ(good.load(), 40);
}

TEST_F(BlockingTest, GenericUnaryByPathOverHttp3) {
  auto ch = channel(RpcProtocol::kConnect, HttpVersion::kHttp3);
  SimpleRequest req;
  req.set_response_size(10);
  SimpleResponse resp;
  Status s = ch->unary("/grpc.testing.TestService/UnaryCall", req, resp);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(resp.payload().body().size(), 10u);
}

TEST_F(BlockingTest, ErrorStatusArrives) {
  TestService::BlockingClient stub(channel(RpcProtocol::kConnect, HttpVersion::kHttp1));
  SimpleRequest req;
  req.mutable_response_status()->set_code(7);
  req.mutable_response_status()->set_message("not you");
  SimpleResponse resp;
  Status s = stub.UnaryCall(req, resp);
  EXPECT_EQ(s.code, Code::kPermissionDenied);
  EXPECT_EQ(s.message, "not you");
  grpc::testing::Empty empty;
  EXPECT_EQ(stub.UnimplementedCall(empty, empty).code, Code::kUnimplemented);
}

TEST_F(BlockingTest, ServerStreamingCallbacksRunOnTheCaller) {
  auto ch = channel();
  TestService::BlockingClient stub(ch);
  StreamingOutputCallRequest req;
  for (int size : {1, 2, 3}) req.add_response_parameters()->set_size(size);
  std::vector<std::size_t> sizes;
  auto caller = std::this_thread::get_id();
  bool on_caller = true;
  Status s = stub.StreamingOutputCall(req, [&](const StreamingOutputCallResponse& resp) {
    sizes.push_back(resp.payload().body().size());
    on_caller = on_caller && std::this_thread::get_id() == caller;
    // A callback may call the channel itself.
    SimpleRequest inner;
    SimpleResponse inner_resp;
    EXPECT_TRUE(stub.UnaryCall(inner, inner_resp).ok());
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2, 3}));
  EXPECT_TRUE(on_caller);
}

TEST_F(BlockingTest, ServerStreamingStopsWhenTheCallbackSaysSo) {
  TestService::BlockingClient stub(channel(RpcProtocol::kConnect, HttpVersion::kHttp2));
  StreamingOutputCallRequest req;
  for (int i = 0; i < 5; ++i) {
    auto* p = req.add_response_parameters();
    p->set_size(1);
    p->set_interval_us(i == 0 ? 0 : 1'000'000);
  }
  int seen = 0;
  auto started = std::chrono::steady_clock::now();
  Status s = stub.StreamingOutputCall(req, [&](const StreamingOutputCallResponse&) {
    ++seen;
    return false;
  });
  EXPECT_EQ(s.code, Code::kCancelled) << s.to_string();
  EXPECT_EQ(seen, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(BlockingTest, ACallbackThatThrowsLeavesTheChannelUsable) {
  TestService::BlockingClient stub(channel());
  StreamingOutputCallRequest req;
  for (int size : {1, 2, 3}) req.add_response_parameters()->set_size(size);
  EXPECT_THROW(stub.StreamingOutputCall(
                   req, [](const StreamingOutputCallResponse&) { throw std::runtime_error("no"); }),
               std::runtime_error);
  SimpleRequest req2;
  SimpleResponse resp2;
  EXPECT_TRUE(stub.UnaryCall(req2, resp2).ok());
}

TEST_F(BlockingTest, DeadlineEndsASlowCall) {
  TestService::BlockingClient stub(channel());
  StreamingOutputCallRequest req;
  auto* p = req.add_response_parameters();
  p->set_size(1);
  p->set_interval_us(5'000'000);
  CallOptions options;
  options.timeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  Status s = stub.StreamingOutputCall(
      req, [](const StreamingOutputCallResponse&) {}, options);
  EXPECT_EQ(s.code, Code::kDeadlineExceeded) << s.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  // The channel still works afterwards.
  SimpleRequest req2;
  SimpleResponse resp2;
  EXPECT_TRUE(stub.UnaryCall(req2, resp2).ok());
}

TEST_F(BlockingTest, UnreachableServerIsUnavailable) {
  ChannelOptions o = options_for(RpcProtocol::kGrpc, HttpVersion::kHttp2);
  o.connect_timeout = 2000ms;
  BlockingChannel ch("https://127.0.0.1:1", o);
  SimpleRequest req;
  SimpleResponse resp;
  EXPECT_EQ(ch.unary("/grpc.testing.TestService/UnaryCall", req, resp).code, Code::kUnavailable);
}

}  // namespace
}  // namespace triplex::testing
