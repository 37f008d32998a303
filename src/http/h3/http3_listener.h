#pragma once
// HTTP/3 for a server: a QUIC endpoint on every worker, bound with
// SO_REUSEPORT to the UDP port of the same number as the TCP listener's, and
// an Http3ServerConnection for each QUIC connection, tracked with the
// server's TCP connections (HttpServer::listen makes one) or on its own.
//
// Concurrency: construct and destroy on one thread; stop(), drain() and
// open_connections() are thread-safe. Each connection lives on the worker
// whose endpoint accepted it.
#include <memory>
#include <vector>

#include <asio/ip/udp.hpp>

#include "src/http/connection_options.h"
#include "src/http/connection_tracker.h"
#include "src/http/exchange.h"
#include "src/net/tls_context.h"
#include "src/net/worker_pool.h"

namespace triplex::net::quic {
class QuicEndpoint;
}

namespace triplex::http {

class Http3Listener {
 public:
  // Binds `endpoint` on every worker (port 0 picks a free port, then shared).
  // QUIC always uses TLS: `tls` gives the certificate and key. Throws
  // std::system_error when the port cannot be bound and std::runtime_error
  // when GnuTLS cannot load the certificate. Connections join `tracker`
  // (a tracker of their own when null).
  Http3Listener(net::WorkerPool& pool, const asio::ip::udp::endpoint& endpoint,
                const std::shared_ptr<net::TlsContext>& tls, const ConnectionOptions& options,
                ExchangeHandler handler, std::shared_ptr<ConnectionTracker> tracker = nullptr);
  ~Http3Listener();
  Http3Listener(const Http3Listener&) = delete;
  Http3Listener& operator=(const Http3Listener&) = delete;

  asio::ip::udp::endpoint local_endpoint() const { return local_; }
  // New connections are refused (CONNECTION_REFUSED); open ones go on.
  void stop();
  // stop(), then GOAWAY on every connection of its tracker; each closes
  // once its streams end.
  void drain();
  std::size_t open_connections() const;
  // Retry packets sent so far (address validation), over all workers.
  std::uint64_t retries_sent() const;

  struct Shared;  // what the accept handlers on the workers need

 private:
  net::WorkerPool& pool_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<net::quic::QuicEndpoint>> endpoints_;  // one per worker
  asio::ip::udp::endpoint local_;
};

}  // namespace triplex::http
