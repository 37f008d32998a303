#include "tests/unit/gateway/gateway_test_kit.h"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "src/wire/status_details.h"
#include "tests/support/io_driver.h"

namespace triplex::testing {
namespace {

ServerOptions upstream_options(bool tls) {
  ServerOptions o;
  o.listen = {"127.0.0.1:0"};
  o.tls = tls;
  o.tls_options.self_signed = tls;
  o.handle_signals = false;
  o.workers = 1;
  o.connection.drain_timeout = std::chrono::seconds(1);
  return o;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

TestUpstream::TestUpstream(std::string name, bool tls)
    : name_(std::move(name)),
      health_(std::make_shared<HealthService>()),
      server_(upstream_options(tls)) {
  server_.add_service(health_);
  server_.set_fallback_handler([this](ProxyContext& context) { return handle(context); });
  server_.start();
  thread_ = std::thread([this] { server_.wait(); });
}

TestUpstream::~TestUpstream() {
  server_.shutdown();
  thread_.join();
}

asio::awaitable<Status> TestUpstream::handle(ProxyContext& context) {
  ++calls;
  ++in_flight;
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { --n; }
  } leave{in_flight};
  context.response_headers().add("x-upstream", name_);
  // How the call arrived here, for pass-through tests.
  context.response_headers().add("x-protocol", std::string(protocol_name(context.protocol())));
  context.response_headers().add("x-codec", std::string(codec_name(context.codec())));
  context.response_headers().add("x-encoding", std::string(context.request_encoding()));
  auto framing = context.framing_kind();
  context.response_headers().add(
      "x-framing", !framing ? "any" : (*framing == RpcKind::kUnary ? "unary" : "stream"));
  std::string_view method = context.method();
  if (method == "/test.Gateway/Sleep") {
    auto deadline = context.deadline();
    last_timeout_ms =
        deadline
            ? std::chrono::ceil<std::chrono::milliseconds>(*deadline - ServerContext::Clock::now())
                  .count()
            : -2;
    co_await sleep_for(std::chrono::seconds(30));
    co_return Status();
  }
  if (method == "/test.Gateway/Fail") {
    context.send_headers();
    context.response_trailers().add("x-trailer", "t");
    wire::RpcStatus details{9, "no", {{"google.protobuf.StringValue", "\x0a\x03why"}}};
    co_return Status(Code::kFailedPrecondition, "no", wire::serialize_rpc_status(details));
  }
  if (method == "/test.Gateway/Slow") co_await sleep_for(std::chrono::milliseconds(300));
  if (method == "/test.Gateway/Hold") co_await sleep_for(std::chrono::seconds(1));
  while (auto message = co_await context.read_raw()) co_await context.write_raw(*message);
  co_return Status();
}

RunningGateway::RunningGateway(gateway::GatewayConfig config) : gateway_(std::move(config)) {
  gateway_.start();
  thread_ = std::thread([this] {
    gateway_.wait();
    finished_ = true;
  });
}

RunningGateway::~RunningGateway() { stop(); }

std::string RunningGateway::url(std::size_t listener) const {
  return "http://127.0.0.1:" + std::to_string(gateway_.listener_port(listener));
}

void RunningGateway::stop() {
  if (!thread_.joinable()) return;
  gateway_.shutdown();
  thread_.join();
}

bool RunningGateway::join() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!finished_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!finished_) return false;
  thread_.join();
  return true;
}

gateway::GatewayConfig simple_config(const std::vector<std::string>& endpoints) {
  gateway::GatewayConfig config;
  gateway::ListenerConfig listener;
  listener.name = "test";
  listener.address = "127.0.0.1:0";
  config.listeners.push_back(listener);
  gateway::ClusterConfig cluster;
  cluster.name = "backend";
  for (const auto& e : endpoints) cluster.endpoints.push_back(gateway::parse_endpoint(e));
  cluster.connect_timeout = std::chrono::milliseconds(2000);
  config.clusters.push_back(cluster);
  config.routes.push_back(gateway::RouteConfig{"/", "backend", std::nullopt, std::nullopt});
  config.admin = gateway::AdminConfig{"127.0.0.1:0"};
  config.workers = 2;
  config.connection.drain_timeout = std::chrono::seconds(5);
  return config;
}

ChannelOptions client_options(RpcProtocol protocol, HttpVersion version) {
  ChannelOptions options;
  options.protocol = protocol;
  options.http_version = version;
  options.follow_alt_svc = false;
  options.connect_timeout = std::chrono::seconds(5);
  return options;
}

namespace {

asio::awaitable<RawOutcome> run_call(Channel& channel, std::string path, RpcKind kind,
                                     std::vector<std::string> requests, CallOptions options) {
  ClientMethod method{std::move(path), kind, false};
  auto call = channel.call(std::move(method), std::move(options));
  RawOutcome out;
  bool open = true;
  for (auto& request : requests) {
    if (open) open = co_await call->write_raw(std::move(request));
  }
  co_await call->writes_done();
  while (auto message = co_await call->read_raw()) out.messages.push_back(std::move(*message));
  out.status = co_await call->finish();
  out.headers = call->response_headers();
  out.trailers = call->response_trailers();
  co_return out;
}

}  // namespace

RawOutcome call_raw(asio::io_context& io, Channel& channel, const std::string& path, RpcKind kind,
                    std::vector<std::string> requests, CallOptions options) {
  return run(io, run_call(channel, path, kind, std::move(requests), std::move(options)));
}

namespace {

HttpResult http_exchange(std::uint16_t port, const std::string& request) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(request));
  std::string response;
  asio::error_code ec;
  asio::read(socket, asio::dynamic_buffer(response), ec);
  HttpResult result;
  if (response.size() > 12) result.status = std::stoi(response.substr(9, 3));
  auto end = response.find("\r\n\r\n");
  if (end != std::string::npos) {
    result.head = response.substr(0, end + 2);
    for (auto& c : result.head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.body = response.substr(end + 4);
  }
  return result;
}

}  // namespace

HttpResult http_get(std::uint16_t port, const std::string& path) {
  return http_exchange(port,
                       "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

HttpResult http_post(std::uint16_t port, const std::string& path, const std::string& headers,
                     const std::string& body) {
  return http_exchange(
      port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers +
                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace triplex::testing
