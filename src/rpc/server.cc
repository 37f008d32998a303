#include "triplex/server.h"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <stdexcept>
#include <thread>

#include "src/http/http_server.h"
#include "src/log/log.h"
#include "src/net/deadline.h"
#include "src/net/tls_context.h"
#include "src/net/worker_pool.h"
#include "src/rpc/call_dispatcher.h"
#include "src/rpc/protocol_connect.h"
#include "src/rpc/protocol_grpc.h"
#include "src/rpc/router.h"
#include "src/wire/envelope.h"

namespace triplex {

asio::awaitable<Status> Interceptor::before(ServerContext&) { co_return Status(); }
void Interceptor::after(ServerContext&, const Status&) {}

namespace {

asio::ip::tcp::endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("listen address needs a port: " + text);
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  asio::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("bad listen address: " + text);
  unsigned long port = 0;
  try {
    port = std::stoul(text.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::runtime_error("bad port in listen address: " + text);
  }
  if (port > 65535) throw std::runtime_error("bad port in listen address: " + text);
  return {address, static_cast<unsigned short>(port)};
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  rpc::Router router;
  std::vector<std::shared_ptr<Service>> services;
  std::vector<std::shared_ptr<Interceptor>> interceptors;
  rpc::HttpRoutes http_routes;
  std::unique_ptr<net::WorkerPool> pool;
  std::shared_ptr<net::TlsContext> tls;
  std::unique_ptr<rpc::CallDispatcher> dispatcher;
  std::unique_ptr<http::HttpServer> http;
  std::unique_ptr<asio::signal_set> signals;
  std::unique_ptr<asio::steady_timer> stop_timer;
  std::atomic<bool> shutting_down{false};

  // Runs on worker 0.
  void begin_shutdown() {
    if (shutting_down.exchange(true)) return;
    if (signals) signals->cancel();
    TRIPLEX_LOG(LogLevel::kInfo, "draining",
                {{"open_connections", http->open_connections()},
                 {"timeout_ms", options.connection.drain_timeout.count()}});
    http->drain();
    // Handlers that never finish must not hold the process forever.
    stop_timer = std::make_unique<asio::steady_timer>(pool->context(0));
    stop_timer->expires_at(
        net::deadline_after(asio::steady_timer::clock_type::now(),
                            net::saturating_add(options.connection.drain_timeout, Millis(1000))));
    stop_timer->async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      TRIPLEX_LOG(LogLevel::kWarn, "drain timed out; closing what is still open",
                  {{"open_connections", http->open_connections()}});
      pool->stop();
    });
    // From the worker of the last connection to close: back to worker 0,
    // where the stop timer lives.
    http->when_drained([this] {
      asio::post(pool->context(0), [this] {
        stop_timer->cancel();
        TRIPLEX_LOG(LogLevel::kInfo, "drained; stopped");
        pool->stop();
      });
    });
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

// Without shutdown() and wait(), the workers stop where they are: they must
// be gone before the listeners and connections they run are destroyed.
Server::~Server() {
  if (impl_->pool) {
    impl_->pool->stop();
    impl_->pool->join();
  }
}

void Server::add_service(std::shared_ptr<Service> service) {
  for (auto& m : service->methods()) impl_->router.add(std::move(m));
  impl_->services.push_back(std::move(service));
}

std::vector<std::string> Server::service_names() const {
  std::vector<std::string> names;
  names.reserve(impl_->services.size());
  for (const auto& service : impl_->services) names.emplace_back(service->service_name());
  return names;
}

void Server::add_interceptor(std::shared_ptr<Interceptor> interceptor) {
  impl_->interceptors.push_back(std::move(interceptor));
}

void Server::set_fallback_handler(ProxyHandler handler) {
  // Every context the dispatcher makes is a ServerCall, which is a ProxyContext.
  impl_->router.set_fallback([handler = std::move(handler)](ServerContext& context) {
    return handler(static_cast<ProxyContext&>(context));
  });
}

void Server::add_http_route(std::string path, HttpRoute route) {
  impl_->http_routes[std::move(path)] = std::move(route);
}

void Server::start() {
  auto& impl = *impl_;
  std::size_t workers = impl.options.workers;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  impl.pool = std::make_unique<net::WorkerPool>(workers);
  if (impl.options.tls) impl.tls = std::make_shared<net::TlsContext>(impl.options.tls_options);

  std::vector<std::unique_ptr<rpc::ServerProtocol>> protocols;
  protocols.push_back(std::make_unique<rpc::GrpcProtocol>(false, impl.options.http1_bridge));
  protocols.push_back(std::make_unique<rpc::GrpcProtocol>(true));
  protocols.push_back(std::make_unique<rpc::ConnectProtocol>());
  // No message can be longer than an envelope's 32-bit length says.
  rpc::CallLimits limits{std::min(impl.options.max_receive_message_size, wire::kMaxEnvelopePayload),
                         std::min(impl.options.max_send_message_size, wire::kMaxEnvelopePayload)};
  impl.dispatcher = std::make_unique<rpc::CallDispatcher>(
      impl.router, std::move(protocols), impl.interceptors, limits,
      rpc::CorsPolicy(impl.options.cors_allowed_origins), &impl.http_routes);
  impl.http = std::make_unique<http::HttpServer>(
      *impl.pool, impl.options.connection,
      [d = impl.dispatcher.get()](const std::shared_ptr<http::Exchange>& ex) { d->dispatch(ex); });

  bool http3 = impl.options.tls && impl.options.http3;
  for (const auto& address : impl.options.listen) {
    try {
      impl.http->listen(parse_endpoint(address), impl.tls, http3);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot listen on " + address + ": " + e.what());
    }
  }
  const auto& bound = impl.http->local_endpoints();
  // Alt-Svc names one port, so it is only right with a single listener.
  if (http3 && bound.size() == 1) impl.http->advertise_http3(bound[0].port());
  if (impl.options.handle_signals) {
    impl.signals = std::make_unique<asio::signal_set>(impl.pool->context(0), SIGINT, SIGTERM);
    impl.signals->async_wait([this](const asio::error_code& ec, int) {
      if (!ec) impl_->begin_shutdown();
    });
  }
  if (log::enabled(LogLevel::kInfo)) {
    for (const auto& local : bound) {
      std::string address = local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                                    : local.address().to_string();
      TRIPLEX_LOG(LogLevel::kInfo, "listening",
                  {{"address", address + ":" + std::to_string(local.port())},
                   {"http", !impl.options.tls ? "HTTP/1.1, h2c"
                            : http3           ? "HTTP/1.1, HTTP/2, HTTP/3"
                                              : "HTTP/1.1, HTTP/2"},
                   {"tls", !impl.options.tls                                  ? "off"
                           : impl.options.tls_options.self_signed             ? "self-signed"
                           : !impl.options.tls_options.client_ca_file.empty() ? "mTLS"
                                                                              : "on"},
                   {"workers", workers}});
    }
  }
  impl.pool->start();
}

std::uint16_t Server::listening_port(std::size_t index) const {
  return impl_->http->local_endpoints().at(index).port();
}

void Server::wait() {
  if (impl_->pool) impl_->pool->join();
}

void Server::shutdown() {
  if (!impl_->pool) return;
  asio::post(impl_->pool->context(0), [this] { impl_->begin_shutdown(); });
}

}  // namespace triplex
