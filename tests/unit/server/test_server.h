#pragma once
// Runs a triplex::Server on a background thread for one test and stops it
// gracefully at the end.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "triplex/server.h"

namespace triplex::testing {

class TestServer {
 public:
  explicit TestServer(ServerOptions options) : server_(adjust(std::move(options))) {}
  ~TestServer() { stop(); }

  Server& server() { return server_; }
  void start() {
    server_.start();
    thread_ = std::thread([this] { server_.wait(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    server_.shutdown();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.listening_port()); }
  std::shared_ptr<grpc::Channel> insecure_channel() const {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }

 private:
  static ServerOptions adjust(ServerOptions options) {
    options.listen = {"127.0.0.1:0"};
    options.handle_signals = false;
    options.workers = 2;
    options.connection.drain_timeout = std::chrono::milliseconds(2000);
    return options;
  }

  Server server_;
  std::thread thread_;
};

}  // namespace triplex::testing
