// The HTTP/3 client (Http3ClientConnection over a client QuicConnection)
// against the HTTP/3 server in the same process: requests and bodies,
// trailers, many streams, resets both ways, certificate checks, session
// resumption, 0-RTT accepted and refused, and 0-RTT RPCs through the call
// dispatcher (a side-effect-free Connect GET served from early data, a POST
// that runs exactly once).
//
// The client runs on an io_context driven by the test thread; the server on
// its own worker thread.
#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <optional>

#include "src/http/h3/http3_client_connection.h"
#include "src/net/quic/quic_connection.h"
#include "src/rpc/call_dispatcher.h"
#include "src/rpc/protocol_connect.h"
#include "tests/support/test_pki.h"
#include "tests/unit/h3/h3_client_support.h"
#include "tests/unit/h3/h3_test_support.h"

namespace triplex::http::testing {
namespace {

using net::quic::QuicClientParams;
using net::quic::QuicClientTlsContext;
using net::quic::QuicClientTlsOptions;
using net::quic::QuicResumption;

class Http3ClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<Http3ClientConnection> connect(std::uint16_t port,
                                                 QuicClientParams params = client_params()) {
    asio::ip::udp::endpoint remote(asio::ip::make_address("127.0.0.1"), port);
    return Http3ClientConnection::connect(io_, remote, std::move(params));
  }
  Reply get(const std::shared_ptr<Http3ClientConnection>& c, std::string path) {
    return run(io_, fetch(c, request("GET", std::move(path))));
  }
  // Connects, fetches `path`, and waits for the server's session ticket.
  void take_ticket(std::uint16_t port, const std::shared_ptr<QuicResumption>& resumption,
                   const std::string& path) {
    auto c = connect(port, client_params(resumption));
    EXPECT_EQ(get(c, path).status, 200);
    EXPECT_TRUE(run_until(io_, [&] { return resumption->usable(); }));
    c->close();
  }

  asio::io_context io_;  // first: outlives the connections
};

TEST_F(Http3ClientTest, GetsAResponse) {
  TestServer server;
  auto c = connect(server.port());
  Reply reply = get(c, "/hello");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "hello h3");
  EXPECT_EQ(*reply.headers.find("content-type"), "text/plain");
  EXPECT_FALSE(reply.early);
  EXPECT_TRUE(c->handshake_completed());
  EXPECT_TRUE(server.probe().wait_for("done /hello"));
}

TEST_F(Http3ClientTest, SendsBodiesAndReceivesTrailers) {
  TestServer server;
  auto c = connect(server.port());
  std::string body(300 * 1024, 'x');
  for (std::size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  Reply reply = run(io_, fetch(c, request("POST", "/echo-trailer"), body));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, body);
  ASSERT_NE(reply.trailers.find("x-echo-bytes"), nullptr);
  EXPECT_EQ(*reply.trailers.find("x-echo-bytes"), std::to_string(body.size()));
}

TEST_F(Http3ClientTest, StreamsLargeResponsesWithFlowControl) {
  TestServer server;
  auto c = connect(server.port());
  Reply reply = get(c, "/stream?n=64&size=65536");
  EXPECT_EQ(reply.status, 200);
  ASSERT_EQ(reply.body.size(), 64u * 65536);
  EXPECT_EQ(reply.body[65536 * 3], 'd');
  EXPECT_EQ(*reply.trailers.find("x-chunks"), "64");
}

TEST_F(Http3ClientTest, QueuesRequestsBeyondTheServersStreamLimit) {
  TestServer server;  // 100 concurrent streams
  auto c = connect(server.port());
  constexpr int kRequests = 250;
  int ok = 0, failed = 0;
  for (int i = 0; i < kRequests; ++i) {
    asio::co_spawn(io_, fetch(c, request("GET", "/hello")), [&](std::exception_ptr e, Reply reply) {
      (!e && reply.body == "hello h3" ? ok : failed)++;
    });
  }
  EXPECT_TRUE(run_until(io_, [&] { return ok + failed == kRequests; }));
  EXPECT_EQ(ok, kRequests);
}

TEST_F(Http3ClientTest, ServerResetsFailTheExchange) {
  TestServer server;
  auto c = connect(server.port());
  try {
    get(c, "/reset");
    FAIL() << "no reset";
  } catch (const ExchangeReset& e) {
    EXPECT_EQ(e.reason, ResetReason::kCancel);
  }
  EXPECT_EQ(get(c, "/hello").body, "hello h3");  // the connection goes on
}

TEST_F(Http3ClientTest, ClientResetsCancelTheServersHandler) {
  TestServer server;
  auto c = connect(server.port());
  auto exchange = c->open(request("GET", "/sleep?ms=5000"), true);
  ASSERT_TRUE(run(io_, c->wait_connected()));
  ASSERT_TRUE(run_until(io_, [&] { return server.listener().open_connections() == 1; }));
  run_until(
      io_, [] { return false; }, 100ms);  // the handler is asleep
  exchange->reset(ResetReason::kCancel);
  EXPECT_TRUE(exchange->is_reset());
  run_until(
      io_, [&] { return server.probe().contains("on_reset /sleep 1"); }, 3000ms);
  EXPECT_TRUE(server.probe().contains("on_reset /sleep 1"));
}

TEST_F(Http3ClientTest, GoawayLetsRequestsInFlightFinishAndRefusesNewOnes) {
  TestServer server;
  auto c = connect(server.port());
  ASSERT_EQ(get(c, "/hello").status, 200);
  auto slow = c->open(request("GET", "/slow"), true);
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().contains("slow-started"); }));
  server.listener().drain();
  ASSERT_TRUE(run_until(io_, [&] { return !c->is_open(); }));
  Reply reply = run(io_, read_reply(slow));
  EXPECT_EQ(reply.body, "slow");
  try {
    get(c, "/hello");
    FAIL() << "served after GOAWAY";
  } catch (const ExchangeReset& e) {
    EXPECT_EQ(e.reason, ResetReason::kRefused);  // safe to send elsewhere
  }
}

TEST_F(Http3ClientTest, UntrustedCertificatesFailTheHandshake) {
  TestServer server;  // self-signed
  auto c = connect(server.port(), client_params(nullptr, false));
  auto exchange = c->open(request("GET", "/hello"), true);
  EXPECT_FALSE(run(io_, c->wait_connected()));
  EXPECT_THROW(run(io_, exchange->read_head()), ExchangeReset);
  EXPECT_TRUE(server.probe().events().empty());
}

TEST_F(Http3ClientTest, ResumedSessionsSendRequestsAsZeroRtt) {
  TestServer server;
  auto resumption = std::make_shared<QuicResumption>();
  take_ticket(server.port(), resumption, "/hello");

  auto c = connect(server.port(), client_params(resumption));
  Reply reply = get(c, "/after-handshake");
  EXPECT_EQ(reply.body, "early=1 confirmed=1");
  EXPECT_TRUE(reply.early);
  EXPECT_TRUE(c->early_data_accepted());
}

TEST_F(Http3ClientTest, RefusedEarlyDataIsSentAgainAfterTheHandshake) {
  auto resumption = std::make_shared<QuicResumption>();
  {
    TestServer first;
    take_ticket(first.port(), resumption, "/hello");
  }
  TestServer second;  // other ticket keys: resumption and 0-RTT fail
  auto c = connect(second.port(), client_params(resumption));
  Reply reply = run(io_, fetch(c, request("POST", "/echo-trailer"), "once"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "once");
  EXPECT_FALSE(reply.early);
  EXPECT_FALSE(c->early_data_accepted());
  EXPECT_EQ(get(c, "/info").body.find("early=1"), std::string::npos);
}

// mTLS over QUIC, configured as for TCP: the handler sees the verified
// client certificate; a client without one, or with one no CA signed, fails
// the handshake.
class Http3MutualTlsTest : public Http3ClientTest {
 protected:
  Http3MutualTlsTest() {
    TlsOptions tls;
    tls.cert_file = pki_.path("server.pem");
    tls.key_file = pki_.path("server.key");
    tls.client_ca_file = pki_.path("ca.pem");
    tls.require_client_cert = true;
    server_.emplace(
        [](std::shared_ptr<Exchange> ex) {
          std::string who = ex->peer().client_subject;
          for (const auto& san : ex->peer().client_sans) who += " " + san;
          ResponseHead head;
          head.status = 200;
          ex->send_head(std::move(head));
          ex->queue(std::move(who));
          ex->finish({});
        },
        ConnectionOptions{}, tls);
  }
  QuicClientParams params(const std::string& name) {
    QuicClientTlsOptions tls;
    tls.ca_file = pki_.path("ca.pem");  // verifies the server for real
    if (!name.empty()) {
      tls.cert_file = pki_.path(name + ".pem");
      tls.key_file = pki_.path(name + ".key");
    }
    QuicClientParams p;
    p.tls = std::make_shared<const QuicClientTlsContext>(tls);
    p.server_name = "localhost";
    return p;
  }

  triplex::testing::Pki pki_;
  std::optional<TestServer> server_;
};

TEST_F(Http3MutualTlsTest, HandlersSeeTheVerifiedClientCertificate) {
  ASSERT_TRUE(pki_.ok());
  auto c = connect(server_->port(), params("client"));
  Reply reply = get(c, "/whoami");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "/CN=client probe-client");  // as the TCP listener says it
}

TEST_F(Http3MutualTlsTest, ClientsWithoutAVerifiedCertificateAreRefused) {
  ASSERT_TRUE(pki_.ok());
  for (const char* name : {"", "rogue"}) {
    // TLS 1.3: the client finishes its side first; the server's refusal
    // then closes the connection before any request is served.
    auto c = connect(server_->port(), params(name));
    EXPECT_THROW(get(c, "/whoami"), ExchangeReset) << name;
    EXPECT_TRUE(run_until(io_, [&] { return !c->is_open(); })) << name;
  }
}

// RPCs through the dispatcher, as 0-RTT: /t.S/Read is NO_SIDE_EFFECTS (runs
// from early data), /t.S/Write is not (waits for the handshake).
class Http3EarlyRpcTest : public Http3ClientTest {
 protected:
  Http3EarlyRpcTest() {
    for (bool safe : {true, false}) {
      MethodDefinition m;
      m.path = safe ? "/t.S/Read" : "/t.S/Write";
      m.no_side_effects = safe;
      auto& runs = safe ? reads_ : writes_;
      m.handler = [&runs, this](ServerContext& ctx) -> asio::awaitable<Status> {
        google::protobuf::Empty in, out;
        co_await ctx.read_message(in);
        if (ctx.peer().early_data) ++early_runs_;
        ++runs;
        co_await ctx.write_message(out);
        co_return Status();
      };
      router_.add(std::move(m));
    }
    std::vector<std::unique_ptr<rpc::ServerProtocol>> protocols;
    protocols.push_back(std::make_unique<rpc::ConnectProtocol>());
    dispatcher_ = std::make_unique<rpc::CallDispatcher>(router_, std::move(protocols),
                                                        std::vector<std::shared_ptr<Interceptor>>{},
                                                        rpc::CallLimits{}, rpc::CorsPolicy({}));
    server_.emplace([this](std::shared_ptr<Exchange> ex) { dispatcher_->dispatch(std::move(ex)); });
  }
  ~Http3EarlyRpcTest() override { server_.reset(); }

  static RequestHead unary_post(std::string path) {
    RequestHead head = request("POST", std::move(path));
    head.headers.add("content-type", "application/json");
    return head;
  }

  rpc::Router router_;
  std::unique_ptr<rpc::CallDispatcher> dispatcher_;
  std::atomic<int> reads_{0}, writes_{0}, early_runs_{0};
  std::optional<TestServer> server_;
};

TEST_F(Http3EarlyRpcTest, SideEffectFreeGetIsServedFromEarlyData) {
  auto resumption = std::make_shared<QuicResumption>();
  const std::string get_read = "/t.S/Read?connect=v1&encoding=json&message=%7B%7D";
  take_ticket(server_->port(), resumption, get_read);
  ASSERT_EQ(reads_, 1);
  EXPECT_EQ(early_runs_, 0);

  auto c = connect(server_->port(), client_params(resumption));
  Reply reply = get(c, get_read);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "{}");
  EXPECT_TRUE(reply.early);
  EXPECT_EQ(reads_, 2);
  EXPECT_EQ(early_runs_, 1);
}

TEST_F(Http3EarlyRpcTest, NonIdempotentEarlyCallRunsOnceAfterTheHandshake) {
  auto resumption = std::make_shared<QuicResumption>();
  take_ticket(server_->port(), resumption, "/t.S/Read?connect=v1&encoding=json&message=%7B%7D");

  auto c = connect(server_->port(), client_params(resumption));
  Reply reply = run(io_, fetch(c, unary_post("/t.S/Write"), "{}"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "{}");
  EXPECT_TRUE(reply.early);  // sent as 0-RTT, and the server took it
  EXPECT_TRUE(c->early_data_accepted());
  // Give a replay (had there been one) time to run too.
  run_until(
      io_, [] { return false; }, 200ms);
  EXPECT_EQ(writes_, 1);
  EXPECT_EQ(early_runs_, 1);  // it was early data, yet it ran once
}

}  // namespace
}  // namespace triplex::http::testing
