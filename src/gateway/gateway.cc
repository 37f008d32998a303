#include "src/gateway/gateway.h"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>

namespace triplex::gateway {

Gateway::Gateway(GatewayConfig config)
    : config_(std::move(config)), stats_(std::make_shared<GatewayStats>()) {
  validate(config_);
  std::shared_ptr<AccessLog> log;
  if (!config_.access_log.empty()) log = AccessLog::open(config_.access_log);
  forwarder_ = std::make_shared<Forwarder>(config_, stats_, std::move(log));
}

Gateway::~Gateway() {
  control_.stop();
  if (control_thread_.joinable()) control_thread_.join();
  // Upstream channels live on the listeners' workers: gone before those are.
  for (auto& cluster : forwarder_->clusters()) cluster->release_channels();
}

ServerOptions Gateway::listener_options(const ListenerConfig& listener) const {
  ServerOptions options;
  options.listen = {listener.address};
  options.tls = listener.tls;
  options.tls_options = listener.tls_options;
  options.http3 = listener.http3;
  options.workers = config_.workers;
  options.max_receive_message_size = config_.max_message_bytes;
  options.max_send_message_size = config_.max_message_bytes;
  options.connection = config_.connection;
  options.cors_allowed_origins = config_.cors_allowed_origins;
  options.http1_bridge = config_.bridge;
  // The gateway drains every server together on one signal.
  options.handle_signals = false;
  return options;
}

HttpReply Gateway::readiness() const {
  if (draining_) return HttpReply{503, "text/plain; charset=utf-8", "draining\n"};
  for (const auto& cluster : forwarder_->clusters()) {
    if (cluster->healthy_count() == 0) {
      return HttpReply{503, "text/plain; charset=utf-8",
                       "cluster " + cluster->name() + " has no healthy endpoint\n"};
    }
  }
  return HttpReply{200, "text/plain; charset=utf-8", "ready\n"};
}

void Gateway::start() {
  for (const auto& listener : config_.listeners) {
    auto server = std::make_unique<Server>(listener_options(listener));
    server->set_fallback_handler(forwarder_->handler(listener.name));
    server->start();
    listeners_.push_back(std::move(server));
  }
  if (config_.admin) {
    ServerOptions options;
    options.listen = {config_.admin->address};
    options.workers = 1;
    options.handle_signals = false;
    admin_ = std::make_unique<Server>(options);
    admin_->add_http_route("/metrics", [stats = stats_] {
      return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", stats->prometheus()};
    });
    admin_->add_http_route("/healthz", [] { return HttpReply{200, "text/plain", "ok\n"}; });
    admin_->add_http_route("/ready", [this] { return readiness(); });
    admin_->start();
  }
  health_checker_ = std::make_unique<HealthChecker>(control_, forwarder_->clusters());
  health_checker_->start();
  auto signals = std::make_shared<asio::signal_set>(control_, SIGINT, SIGTERM);
  signals->async_wait([this, signals](const asio::error_code& ec, int) {
    if (!ec) shutdown();
  });
  control_thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(control_);
    control_.run();
  });
}

std::uint16_t Gateway::listener_port(std::size_t index) const {
  return listeners_.at(index)->listening_port();
}

std::uint16_t Gateway::admin_port() const { return admin_ ? admin_->listening_port() : 0; }

void Gateway::wait() {
  for (auto& server : listeners_) server->wait();
  // Every listener has drained; the admin port goes last so the drain can be watched.
  if (admin_) {
    admin_->shutdown();
    admin_->wait();
  }
  control_.stop();
  if (control_thread_.joinable()) control_thread_.join();
}

void Gateway::shutdown() {
  if (draining_.exchange(true)) return;
  for (auto& server : listeners_) server->shutdown();
}

}  // namespace triplex::gateway
