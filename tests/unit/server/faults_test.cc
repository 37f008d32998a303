// Faults that once lived in per-version copies of the same mechanism: a
// throwing HTTP route (answered 500 on every HTTP version, the connection and
// the drain unharmed), kNever deadlines that wrapped into the past, and
// messages too large for a gRPC envelope.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>

#include "src/http/h1/http1_client_connection.h"
#include "src/http/h2/http2_client_connection.h"
#include "src/http/h3/http3_client_connection.h"
#include "src/net/deadline.h"
#include "src/net/quic/quic_connection.h"
#include "src/net/tcp_connector.h"
#include "src/wire/envelope.h"
#include "test_server.h"
#include "tests/support/io_driver.h"
#include "tests/support/test_pki.h"
#include "triplex/client.h"
#include "triplex/test/v1/probe.grpc.pb.h"
#include "triplex/test/v1/probe.triplex.h"

namespace triplex::testing {
namespace {

using namespace std::chrono_literals;
using triplex::test::v1::ProbeRequest;
using triplex::test::v1::ProbeResponse;
using triplex::test::v1::ProbeService;

class Probe final : public triplex::test::v1::triplex_rpc::ProbeService::Service {
 public:
  asio::awaitable<Status> Echo(ServerContext&, const ProbeRequest& request,
                               ProbeResponse& response) override {
    response.set_text(request.text());
    co_return Status();
  }
  asio::awaitable<Status> Sleep(ServerContext&, const ProbeRequest& request,
                                ProbeResponse& response) override {
    asio::steady_timer timer(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(request.sleep_ms()));
    co_await timer.async_wait(asio::use_awaitable);
    response.set_text("slept");
    co_return Status();
  }
};

TEST(DeadlineTest, SaturatesInsteadOfWrapping) {
  using Clock = std::chrono::steady_clock;
  auto now = Clock::now();
  EXPECT_EQ(net::deadline_after(now, kNever), Clock::time_point::max());
  EXPECT_EQ(net::deadline_after(now, Millis(std::numeric_limits<std::int64_t>::max() / 2)),
            Clock::time_point::max());
  EXPECT_EQ(net::deadline_after(now, Millis(250)), now + 250ms);
  EXPECT_EQ(net::deadline_after(now, Millis(-5)), now);
  EXPECT_EQ(net::saturating_add(kNever, Millis(1000)), kNever);
  EXPECT_EQ(net::saturating_add(Millis(1), Millis(2)), Millis(3));
}

// --- a throwing HTTP route -----------------------------------------------------------------

struct Fetched {
  int status = 0;
  std::string body;
};

asio::awaitable<Fetched> get(std::shared_ptr<http::ClientConnection> connection, std::string path) {
  http::RequestHead head;
  head.method = "GET";
  head.scheme = "http";
  head.authority = "localhost";
  head.path = std::move(path);
  auto exchange = connection->open(std::move(head), true);
  Fetched out;
  out.status = (co_await exchange->read_head()).status;
  while (co_await exchange->read(out.body)) {
  }
  co_return out;
}

class ThrowingRouteTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    ServerOptions options;
    options.tls = GetParam() == "h3";
    options.tls_options.cert_file = pki_.path("server.pem");
    options.tls_options.key_file = pki_.path("server.key");
    server_ = std::make_unique<TestServer>(options);
    server_->server().add_http_route(
        "/boom", []() -> HttpReply { throw std::runtime_error("the route fell over"); });
    server_->server().add_http_route("/fine", [] { return HttpReply{200, "text/plain", "fine"}; });
    server_->start();
  }

  std::shared_ptr<http::ClientConnection> connect() {
    std::uint16_t port = server_->server().listening_port();
    if (GetParam() == "h3") {
      net::quic::QuicClientTlsOptions tls;
      tls.insecure = true;
      net::quic::QuicClientParams params;
      params.tls = std::make_shared<const net::quic::QuicClientTlsContext>(tls);
      params.server_name = "localhost";
      return http::Http3ClientConnection::connect(
          io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), port), params);
    }
    auto stream = run(io_, net::connect_tcp(io_.get_executor(), "127.0.0.1", port, nullptr, "",
                                            std::chrono::milliseconds(5000)));
    if (GetParam() == "h2") return http::Http2ClientConnection::start(std::move(stream), {});
    return http::Http1ClientConnection::start(std::move(stream));
  }

  Pki pki_;
  std::unique_ptr<TestServer> server_;
  asio::io_context io_;
};

TEST_P(ThrowingRouteTest, AnswersThatRequest500AndKeepsServing) {
  auto connection = connect();
  Fetched boom = run(io_, get(connection, "/boom"));
  EXPECT_EQ(boom.status, 500);
  // The same connection carries on: only that request failed.
  Fetched fine = run(io_, get(connection, "/fine"));
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.body, "fine");
  connection->close();
  run_for(io_, 50ms);
  // Nothing is left hanging for the drain (30 s) to wait out.
  auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

INSTANTIATE_TEST_SUITE_P(EveryVersion, ThrowingRouteTest, ::testing::Values("h1", "h2", "h3"),
                         [](const auto& info) { return info.param; });

// --- kNever ----------------------------------------------------------------------------------

// drain_timeout = kNever once wrapped into the past on HTTP/2 (and in the
// server's stop timer), cutting in-flight calls at once.
TEST(NeverTest, DrainWithoutTimeoutLetsInFlightCallsFinish) {
  ServerOptions options;
  options.listen = {"127.0.0.1:0"};
  options.handle_signals = false;
  options.workers = 1;
  options.connection.drain_timeout = kNever;
  Server server(options);
  server.add_service(std::make_shared<Probe>());
  server.start();
  auto stub = ProbeService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.listening_port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  ProbeRequest req;
  req.set_sleep_ms(400);
  ProbeResponse resp;
  grpc::Status status;
  std::thread caller([&] { status = stub->Sleep(&ctx, req, &resp); });
  std::this_thread::sleep_for(150ms);  // the call is in the handler
  server.shutdown();
  server.wait();
  caller.join();
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(resp.text(), "slept");
}

// --- message sizes ---------------------------------------------------------------------------

TEST(EnvelopeLimitTest, AMessageOver4GiBIsRefusedNotTruncated) {
  // Only the size is looked at before the refusal: no 4 GiB buffer needed.
  static const char byte = 0;
  std::string_view huge(&byte, wire::kMaxEnvelopePayload + 1);
  std::string out;
  EXPECT_THROW(wire::append_envelope(out, 0, huge), std::length_error);
  EXPECT_TRUE(out.empty());
}

TEST(SendLimitTest, TheClientRefusesARequestOverItsSendLimit) {
  TestServer server({});
  server.server().add_service(std::make_shared<Probe>());
  server.start();
  asio::io_context io;
  ChannelOptions options;
  options.max_send_message_size = 16;
  auto channel = Channel::create(io, "http://" + server.address(), options);
  triplex::test::v1::triplex_rpc::ProbeService::Client stub(channel);
  ProbeRequest req;
  req.set_text(std::string(100, 'x'));
  ProbeResponse resp;
  Status status = run(io, stub.Echo(req, resp));
  EXPECT_EQ(status.code, Code::kResourceExhausted) << status.message;
  EXPECT_NE(status.message.find("larger than max"), std::string::npos) << status.message;
  req.set_text("small");
  status = run(io, stub.Echo(req, resp));
  EXPECT_TRUE(status.ok()) << status.message;
}

}  // namespace
}  // namespace triplex::testing
