#pragma once
/// @file
/// A triplex server: listeners on one or more addresses, worker threads, the
/// services it routes to, and interceptors around every call.
///
///    triplex::Server server(options);
///    server.add_service(std::make_shared<MyElizaService>());
///    server.start();   // binds and serves on the worker threads; returns at once
///    server.wait();    // until SIGTERM/SIGINT or shutdown() has drained it
#include <asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "triplex/connection_options.h"
#include "triplex/proxy_context.h"
#include "triplex/service.h"
#include "triplex/tls_options.h"

namespace triplex {

/// Runs around every call, in the order added. before() may end the call
/// early with a non-OK status (authentication, quotas); after() sees the outcome.
class Interceptor {
 public:
  virtual ~Interceptor() = default;
  virtual asio::awaitable<Status> before(ServerContext& context);
  virtual void after(ServerContext& context, const Status& status);
};

/// Envoy's grpc_http1_bridge, which answers gRPC requests that cannot carry
/// trailers (HTTP/1.1 without `TE: trailers`): unary only, the response
/// buffered, HTTP 200 or 503 with grpc-status and grpc-message in the headers.
struct Http1BridgeOptions {
  /// Also take application/x-protobuf requests: the body is one message with
  /// no gRPC envelope, and so is the answer (status still in the headers).
  bool upgrade_protobuf_to_grpc = false;
  /// The largest response the bridge holds; beyond it the call fails with
  /// RESOURCE_EXHAUSTED.
  std::size_t max_buffer_size = 4 * 1024 * 1024;
};

/// A plain HTTP answer, for paths served outside RPC (metrics, health probes).
struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
/// Called on any worker thread: must be thread-safe.
using HttpRoute = std::function<HttpReply()>;

struct ServerOptions {
  std::vector<std::string> listen = {"127.0.0.1:0"};  ///< "host:port"; port 0 picks one
  bool tls = false;                                   ///< false: plaintext (h2c)
  TlsOptions tls_options;
  /// With TLS, also serve HTTP/3 on the UDP port of the same number (and say so
  /// in Alt-Svc on TCP responses).
  bool http3 = true;
  std::size_t workers = 0;  ///< 0: one per core
  std::size_t max_receive_message_size = 4 * 1024 * 1024;
  std::size_t max_send_message_size = 4 * 1024 * 1024;
  ConnectionOptions connection;
  /// Origins browsers may call from (gRPC-Web, Connect); "*" for any; empty: no CORS.
  std::vector<std::string> cors_allowed_origins;
  Http1BridgeOptions http1_bridge;
  bool handle_signals = true;  ///< drain on SIGTERM/SIGINT
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void add_service(std::shared_ptr<Service> service);
  void add_interceptor(std::shared_ptr<Interceptor> interceptor);
  /// Serves every path no service claims (a proxy): the handler sees each
  /// call as a stream of raw messages (ProxyContext::read_raw/write_raw).
  void set_fallback_handler(ProxyHandler handler);
  /// Answers GET of exactly `path` (e.g. "/metrics") outside RPC.
  void add_http_route(std::string path, HttpRoute route);
  /// Names of the services added so far ("package.Service"), in the order added.
  /// Services are added before start(), so handlers may call this on any worker.
  std::vector<std::string> service_names() const;

  /// Binds every listener and starts serving on the worker threads, then
  /// returns (like gRPC's BuildAndStart()): the same thread may go on to call
  /// the server. Throws std::runtime_error with the reason when a bind fails.
  void start();
  /// The port bound for listen address `index` (useful with port 0).
  std::uint16_t listening_port(std::size_t index = 0) const;
  /// Blocks until shutdown (a signal, or shutdown()) has drained the server:
  /// every connection closed, or the drain timeout passed.
  void wait();
  /// Graceful: stop accepting, GOAWAY, finish in-flight calls, then return from wait().
  /// Safe from any thread. Destroying a started Server without it stops the
  /// workers where they are.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triplex
