#pragma once
// A triplex server: listeners on one or more addresses, worker threads, the
// services it routes to, and interceptors around every call.
//
//   triplex::Server server(options);
//   server.add_service(std::make_shared<MyElizaService>());
//   server.start();   // binds; listening_port() is known from here on
//   server.wait();    // until SIGTERM/SIGINT or shutdown(), then drains
#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "triplex/connection_options.h"
#include "triplex/service.h"
#include "triplex/tls_options.h"

namespace triplex {

// Runs around every call, in the order added. before() may end the call
// early with a non-OK status (authentication, quotas); after() sees the outcome.
class Interceptor {
 public:
  virtual ~Interceptor() = default;
  virtual asio::awaitable<Status> before(ServerContext& context);
  virtual void after(ServerContext& context, const Status& status);
};

struct ServerOptions {
  std::vector<std::string> listen = {"127.0.0.1:0"};  // "host:port"; port 0 picks one
  bool tls = false;                                   // false: plaintext (h2c)
  TlsOptions tls_options;
  // With TLS, also serve HTTP/3 on the UDP port of the same number (and say so
  // in Alt-Svc on TCP responses).
  bool http3 = true;
  std::size_t workers = 0;  // 0: one per core
  std::size_t max_receive_message_size = 4 * 1024 * 1024;
  std::size_t max_send_message_size = 4 * 1024 * 1024;
  ConnectionOptions connection;
  // Origins browsers may call from (gRPC-Web, Connect); "*" for any; empty: no CORS.
  std::vector<std::string> cors_allowed_origins;
  bool handle_signals = true;  // drain on SIGTERM/SIGINT
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void add_service(std::shared_ptr<Service> service);
  void add_interceptor(std::shared_ptr<Interceptor> interceptor);
  // Serves every path no service claims (a proxy): the handler sees each
  // call as a stream of raw messages (ServerContext::read_raw/write_raw).
  void set_fallback_handler(MethodHandler handler);
  // Names of the services added so far ("package.Service"), in the order added.
  // Services are added before start(), so handlers may call this on any worker.
  std::vector<std::string> service_names() const;

  // Binds every listener; throws std::runtime_error with the reason on failure.
  void start();
  // The port bound for listen address `index` (useful with port 0).
  std::uint16_t listening_port(std::size_t index = 0) const;
  // Runs the workers until shutdown; returns when every connection has closed.
  void wait();
  // Graceful: stop accepting, GOAWAY, finish in-flight calls, then return from wait().
  // Safe from any thread.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triplex
