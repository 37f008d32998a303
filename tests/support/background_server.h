#pragma once
// Test scaffolding for client tests: a triplex Server with the given
// services over TLS (self-signed) on TCP and UDP of one free loopback port,
// running on a background thread (and, from io_driver.h, run()).
//
// Concurrency: the server runs on its own threads; construct, stop and
// destroy it from the test thread.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/io_driver.h"
#include "triplex/server.h"

namespace triplex::testing {

class BackgroundServer {
 public:
  explicit BackgroundServer(std::vector<std::shared_ptr<Service>> services,
                            std::chrono::milliseconds drain_timeout = std::chrono::seconds(2))
      : server_(options(drain_timeout)) {
    for (auto& service : services) server_.add_service(std::move(service));
    server_.start();
    thread_ = std::thread([this] { server_.wait(); });
  }
  ~BackgroundServer() { stop(); }
  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;

  std::string url() const {
    return "https://localhost:" + std::to_string(server_.listening_port());
  }
  // By address, for clients that must not depend on how localhost resolves.
  std::string ip_url() const {
    return "https://127.0.0.1:" + std::to_string(server_.listening_port());
  }
  // Shuts down gracefully: in-flight calls get the drain timeout to end.
  void stop() {
    if (!thread_.joinable()) return;
    server_.shutdown();
    thread_.join();
  }

 private:
  static ServerOptions options(std::chrono::milliseconds drain_timeout) {
    ServerOptions o;
    o.listen = {"127.0.0.1:0"};
    o.tls = true;
    o.tls_options.self_signed = true;
    o.handle_signals = false;
    o.workers = 1;
    o.connection.drain_timeout = drain_timeout;
    return o;
  }
  Server server_;
  std::thread thread_;
};

}  // namespace triplex::testing
