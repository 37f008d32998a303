// The server API seen from a gRPC C++ client: interceptors, deadlines,
// cancellation reaching the handler, streaming, and mTLS identity.
#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "test_server.h"
#include "tests/support/test_pki.h"
#include "triplex/test/v1/probe.grpc.pb.h"
#include "triplex/test/v1/probe.triplex.h"

namespace triplex::testing {
namespace {

using namespace std::chrono_literals;
using triplex::test::v1::ProbeRequest;
using triplex::test::v1::ProbeResponse;
using triplex::test::v1::ProbeService;

struct Observations {
  std::atomic<bool> sleep_started{false};
  std::atomic<bool> sleep_cancelled{false};
  std::atomic<bool> saw_is_cancelled{false};
};

class Probe final : public triplex::test::v1::triplex_rpc::ProbeService::Service {
 public:
  explicit Probe(Observations& seen) : seen_(seen) {}

  asio::awaitable<Status> Echo(ServerContext& context, const ProbeRequest& request,
                               ProbeResponse& response) override {
    response.set_text(request.text());
    response.set_peer_subject(context.peer().certificate_subject);
    co_return Status();
  }

  asio::awaitable<Status> Sleep(ServerContext& context, const ProbeRequest& request,
                                ProbeResponse&) override {
    seen_.sleep_started = true;
    asio::steady_timer timer(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(request.sleep_ms()));
    try {
      co_await timer.async_wait(asio::use_awaitable);
    } catch (const asio::system_error&) {
      seen_.sleep_cancelled = true;
      seen_.saw_is_cancelled = context.is_cancelled();
      throw;
    }
    co_return Status();
  }

  asio::awaitable<Status> Count(ServerContext&, const ProbeRequest& request,
                                ServerWriter<ProbeResponse>& writer) override {
    ProbeResponse response;
    for (int i = 0; i < request.count(); ++i) {
      response.set_text(std::to_string(i));
      co_await writer.write(response);
    }
    co_return Status();
  }

 private:
  Observations& seen_;
};

// Rejects calls without the right token; records every outcome.
class AuthInterceptor final : public Interceptor {
 public:
  asio::awaitable<Status> before(ServerContext& context) override {
    const std::string* token = context.request_metadata().find("authorization");
    if (token == nullptr || *token != "Bearer let-me-in") {
      co_return Status(Code::kUnauthenticated, "missing or bad token");
    }
    co_return Status();
  }
  void after(ServerContext& context, const Status& status) override {
    std::lock_guard lock(mutex_);
    log_.push_back(std::string(context.method()) + " " + std::string(code_name(status.code)));
  }
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> log_;
};

bool wait_for(const std::atomic<bool>& flag, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!flag && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  return flag;
}

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(ServerOptions{});
    server_->server().add_service(std::make_shared<Probe>(seen_));
    server_->start();
    stub_ = ProbeService::NewStub(server_->insecure_channel());
  }

  Observations seen_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<ProbeService::Stub> stub_;
};

TEST_F(ServerApiTest, UnaryEcho) {
  grpc::ClientContext ctx;
  ProbeRequest req;
  req.set_text("hello");
  ProbeResponse resp;
  grpc::Status s = stub_->Echo(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.text(), "hello");
  EXPECT_EQ(resp.peer_subject(), "");  // plaintext: no certificate
}

TEST_F(ServerApiTest, ServerStreamingDeliversEveryMessageInOrder) {
  grpc::ClientContext ctx;
  ProbeRequest req;
  req.set_count(500);
  auto reader = stub_->Count(&ctx, req);
  ProbeResponse resp;
  int n = 0;
  while (reader->Read(&resp)) EXPECT_EQ(resp.text(), std::to_string(n++));
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(n, 500);
}

TEST_F(ServerApiTest, DeadlineCancelsTheHandlerAndReportsDeadlineExceeded) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 200ms);
  ProbeRequest req;
  req.set_sleep_ms(10000);
  ProbeResponse resp;
  auto started = std::chrono::steady_clock::now();
  grpc::Status s = stub_->Sleep(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(wait_for(seen_.sleep_cancelled, 2s));
  EXPECT_TRUE(seen_.saw_is_cancelled);
}

TEST_F(ServerApiTest, ClientCancellationReachesTheHandler) {
  grpc::ClientContext ctx;
  ProbeRequest req;
  req.set_sleep_ms(10000);
  ProbeResponse resp;
  std::thread canceller([&] {
    wait_for(seen_.sleep_started, 5s);
    std::this_thread::sleep_for(50ms);
    ctx.TryCancel();
  });
  grpc::Status s = stub_->Sleep(&ctx, req, &resp);
  canceller.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(wait_for(seen_.sleep_cancelled, 2s));
}

TEST(ServerInterceptorTest, BeforeRejectsAndAfterSeesEveryOutcome) {
  Observations seen;
  TestServer server{ServerOptions{}};
  auto auth = std::make_shared<AuthInterceptor>();
  server.server().add_service(std::make_shared<Probe>(seen));
  server.server().add_interceptor(auth);
  server.start();
  auto stub = ProbeService::NewStub(server.insecure_channel());
  ProbeRequest req;
  req.set_text("x");
  ProbeResponse resp;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub->Echo(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(s.error_message(), "missing or bad token");
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer let-me-in");
    grpc::Status s = stub->Echo(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.text(), "x");
  }
  server.stop();
  EXPECT_EQ(auth->log(),
            (std::vector<std::string>{"/triplex.test.v1.ProbeService/Echo UNAUTHENTICATED",
                                      "/triplex.test.v1.ProbeService/Echo OK"}));
}

TEST(ServerTlsTest, MutualTlsIdentityIsVisibleToHandlers) {
  Pki pki;
  ASSERT_TRUE(pki.ok());
  ServerOptions options;
  options.tls = true;
  options.tls_options.cert_file = pki.path("server.pem");
  options.tls_options.key_file = pki.path("server.key");
  options.tls_options.client_ca_file = pki.path("ca.pem");
  options.tls_options.require_client_cert = true;
  Observations seen;
  TestServer server(options);
  server.server().add_service(std::make_shared<Probe>(seen));
  server.start();

  ProbeRequest req;
  req.set_text("secure");
  ProbeResponse resp;
  {
    grpc::SslCredentialsOptions creds;
    creds.pem_root_certs = pki.read("ca.pem");
    creds.pem_private_key = pki.read("client.key");
    creds.pem_cert_chain = pki.read("client.pem");
    auto stub = ProbeService::NewStub(
        grpc::CreateChannel("localhost:" + std::to_string(server.server().listening_port()),
                            grpc::SslCredentials(creds)));
    grpc::ClientContext ctx;
    grpc::Status s = stub->Echo(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.text(), "secure");
    EXPECT_NE(resp.peer_subject().find("CN=client"), std::string::npos) << resp.peer_subject();
  }
  {
    // Without a client certificate the handshake is refused.
    grpc::SslCredentialsOptions creds;
    creds.pem_root_certs = pki.read("ca.pem");
    auto stub = ProbeService::NewStub(
        grpc::CreateChannel("localhost:" + std::to_string(server.server().listening_port()),
                            grpc::SslCredentials(creds)));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 3s);
    grpc::Status s = stub->Echo(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  }
}

// The workers share their ports through SO_REUSEPORT, which would also let a
// second process bind them and take part of the connections. A server on a
// port someone holds fails to start instead, for TCP and for HTTP/3's UDP.
ServerOptions port_test_options(const std::string& listen, bool tls) {
  ServerOptions options;
  options.listen = {listen};
  options.handle_signals = false;
  options.workers = 2;
  options.tls = tls;
  options.tls_options.self_signed = tls;
  return options;
}

void expect_address_in_use(Server& server) {
  try {
    server.start();
    ADD_FAILURE() << "started on a port that was taken";
    server.shutdown();
    server.wait();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
}

TEST(ServerPortTest, ASecondServerOnATakenPortFailsToStart) {
  for (bool tls : {false, true}) {
    SCOPED_TRACE(tls ? "TLS with HTTP/3" : "plaintext");
    Server first(port_test_options("127.0.0.1:0", tls));
    first.start();
    Server second(port_test_options("127.0.0.1:" + std::to_string(first.listening_port()), tls));
    expect_address_in_use(second);
    first.shutdown();
    first.wait();
  }
}

TEST(ServerPortTest, AUdpPortSharedByAnotherProgramFailsToStart) {
  // Another QUIC server that shares its port (SO_REUSEPORT), on a port whose
  // TCP side is free.
  asio::io_context io;
  asio::ip::udp::socket other(io);
  other.open(asio::ip::udp::v4());
  other.set_option(asio::socket_base::reuse_address(true));
  other.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
  other.bind({asio::ip::make_address("127.0.0.1"), 0});
  auto port = other.local_endpoint().port();
  Server server(port_test_options("127.0.0.1:" + std::to_string(port), true));
  expect_address_in_use(server);
}

// Plain HTTP sent to the TLS port gets an answer its sender can read.
TEST(ServerTlsTest, PlainHttpOnTheTlsPortGetsA400ItCanRead) {
  Server server(port_test_options("127.0.0.1:0", true));
  server.start();
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server.listening_port()});
  std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string answer;
  asio::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);  // until the server closes
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer;
  EXPECT_NE(answer.find("\r\n\r\nplain HTTP request was sent to an HTTPS port\n"),
            std::string::npos)
      << answer;
  server.shutdown();
  server.wait();
}

}  // namespace
}  // namespace triplex::testing
