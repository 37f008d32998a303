#pragma once
// Accepts TCP connections on every worker: one SO_REUSEPORT acceptor per
// worker on the same port, so the kernel spreads connections and each one
// stays on the worker that accepted it. TLS handshakes happen here, so the
// HTTP layer receives a ready ByteStream.
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "src/net/byte_stream.h"
#include "src/net/tls_context.h"
#include "src/net/worker_pool.h"

namespace triplex::net {

using StreamHandler = std::function<void(std::unique_ptr<ByteStream>)>;

class TcpListener {
 public:
  // Binds (port 0 picks a free port, shared by all workers). `tls` may be null
  // for plaintext. Throws std::system_error when the address cannot be bound.
  TcpListener(WorkerPool& pool, const asio::ip::tcp::endpoint& endpoint,
              std::shared_ptr<TlsContext> tls, StreamHandler handler);
  ~TcpListener();

  asio::ip::tcp::endpoint local_endpoint() const { return local_; }
  // Stops accepting on every worker (thread-safe); open connections go on.
  void stop();

  struct Shared;  // what every accept loop needs; holds no I/O objects

 private:
  std::shared_ptr<Shared> shared_;
  // One per worker. Each is owned only by the listener and its own worker's
  // accept loop, so it never outlives its io_context.
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
  asio::ip::tcp::endpoint local_;
};

}  // namespace triplex::net
