// QUIC address validation: the server answers a client's first Initial with
// a Retry when configured to (always, or once handshakes pile up), keeps no
// state until the client comes back with the token, and refuses forged
// tokens with INVALID_TOKEN. Driven by ngtcp2's example client (gtlsclient)
// and by our own HTTP/3 client.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/unit/h3/h3_client_support.h"
#include "tests/unit/h3/h3_test_support.h"

namespace triplex::http::testing {
namespace {

ConnectionOptions retry_options(QuicRetry policy, std::size_t threshold = 100) {
  ConnectionOptions options;
  options.quic_retry = policy;
  options.quic_retry_threshold = threshold;
  return options;
}

class QuicRetryTest : public ::testing::Test {
 protected:
  std::shared_ptr<Http3ClientConnection> connect(std::uint16_t port,
                                                 net::quic::QuicClientParams params) {
    asio::ip::udp::endpoint remote(asio::ip::make_address("127.0.0.1"), port);
    return Http3ClientConnection::connect(io_, remote, std::move(params));
  }

  asio::io_context io_;
};

TEST_F(QuicRetryTest, GtlsclientFollowsTheRetryAndIsServed) {
  TestServer server(retry_options(QuicRetry::kAlways));
  ClientRun run = run_client(server.port(), {"/hello"});
  ASSERT_EQ(run.exit_code, 0) << run.log;
  ASSERT_EQ(run.responses.size(), 1u) << run.log;
  EXPECT_EQ(run.responses[0].status, 200);
  EXPECT_EQ(server.listener().retries_sent(), 1u);
}

TEST_F(QuicRetryTest, OurClientFollowsTheRetryAndIsServed) {
  TestServer server(retry_options(QuicRetry::kAlways));
  auto c = connect(server.port(), client_params());
  Reply reply = run(io_, fetch(c, request("GET", "/hello")));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(server.listener().retries_sent(), 1u);
  c->close();
}

TEST_F(QuicRetryTest, UnderLoadRetriesOnlyPastTheThreshold) {
  {
    TestServer quiet(retry_options(QuicRetry::kUnderLoad));
    ClientRun run = run_client(quiet.port(), {"/hello"});
    ASSERT_EQ(run.exit_code, 0) << run.log;
    EXPECT_EQ(quiet.listener().retries_sent(), 0u);
  }
  // A threshold of 0: every worker counts as loaded.
  TestServer loaded(retry_options(QuicRetry::kUnderLoad, 0));
  ClientRun run = run_client(loaded.port(), {"/hello"});
  ASSERT_EQ(run.exit_code, 0) << run.log;
  ASSERT_EQ(run.responses.size(), 1u) << run.log;
  EXPECT_EQ(run.responses[0].status, 200);
  EXPECT_EQ(loaded.listener().retries_sent(), 1u);
}

TEST_F(QuicRetryTest, NeverSendsNoRetry) {
  TestServer server(retry_options(QuicRetry::kNever, 0));
  ClientRun run = run_client(server.port(), {"/hello"});
  ASSERT_EQ(run.exit_code, 0) << run.log;
  EXPECT_EQ(server.listener().retries_sent(), 0u);
}

TEST_F(QuicRetryTest, ForgedRetryTokensAreRefusedAtOnce) {
  TestServer server(retry_options(QuicRetry::kAlways));
  for (std::size_t size : {1u, 20u, 90u}) {
    auto params = client_params();
    // The Retry token's magic byte, then bytes that do not decrypt.
    params.initial_token.assign(1, static_cast<char>(0xb6));
    params.initial_token.append(size, 'x');
    auto started = std::chrono::steady_clock::now();
    auto c = connect(server.port(), std::move(params));
    auto exchange = c->open(request("GET", "/hello"), true);
    EXPECT_FALSE(run(io_, c->wait_connected())) << "token of " << size + 1 << " bytes";
    // CONNECTION_CLOSE(INVALID_TOKEN) ends it, not the 10 s handshake timeout.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    EXPECT_THROW(run(io_, exchange->read_head()), ExchangeReset);
  }
  EXPECT_EQ(server.listener().retries_sent(), 0u);
  EXPECT_EQ(server.listener().open_connections(), 0u);
  EXPECT_TRUE(server.probe().events().empty());
  // Honest clients are still served.
  ClientRun run = run_client(server.port(), {"/hello"});
  ASSERT_EQ(run.exit_code, 0) << run.log;
  EXPECT_EQ(run.responses.size(), 1u);
}

}  // namespace
}  // namespace triplex::http::testing
