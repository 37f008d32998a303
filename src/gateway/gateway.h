#pragma once
// A running gateway: a Server per listener (each serving every path through
// the Forwarder), an admin Server for /metrics, /healthz and /ready, and a
// control thread for health checks and signals. SIGTERM or SIGINT drains:
// listeners stop accepting and finish the calls in flight, then the admin
// port closes.
//
// Concurrency: start() and wait() from one thread; shutdown() from any.
#include <asio/io_context.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "src/gateway/config.h"
#include "src/gateway/forwarder.h"
#include "src/gateway/health_checker.h"
#include "triplex/server.h"

namespace triplex::gateway {

class Gateway {
 public:
  explicit Gateway(GatewayConfig config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds every listener and the admin port; throws std::runtime_error.
  void start();
  std::uint16_t listener_port(std::size_t index) const;
  std::uint16_t admin_port() const;
  const GatewayConfig& config() const { return config_; }
  GatewayStats& stats() { return *stats_; }
  // Until shutdown() or a signal, then until the drain has finished.
  void wait();
  void shutdown();

 private:
  ServerOptions listener_options(const ListenerConfig& listener) const;
  HttpReply readiness() const;

  GatewayConfig config_;
  std::shared_ptr<GatewayStats> stats_;
  std::shared_ptr<Forwarder> forwarder_;
  std::vector<std::unique_ptr<Server>> listeners_;
  std::unique_ptr<Server> admin_;
  asio::io_context control_;
  std::unique_ptr<HealthChecker> health_checker_;
  std::thread control_thread_;
  std::atomic<bool> draining_{false};
};

}  // namespace triplex::gateway
