#pragma once
// The HTTP front end of a server: it listens (TCP, and with HTTP/3 the UDP
// port of the same number), picks the HTTP version of each TCP connection
// (ALPN on TLS, the client preface on plaintext), runs the matching
// connection, and tracks every connection of every version in one place so
// that a drain knows when the last one has gone.
//
// Concurrency: listen() and advertise_http3() before serving; accept() on
// the stream's worker; drain(), open_connections() and when_drained() from
// any thread.
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "src/http/connection_options.h"
#include "src/http/connection_tracker.h"
#include "src/http/exchange.h"
#include "src/net/byte_stream.h"
#include "src/net/tls_context.h"
#include "src/net/worker_pool.h"

namespace triplex::net {
class TcpListener;
}

namespace triplex::http {

class Http3Listener;

class HttpServer {
 public:
  HttpServer(net::WorkerPool& pool, ConnectionOptions options, ExchangeHandler handler);
  ~HttpServer();

  // Binds `endpoint` on every worker, with TLS when `tls` is set, and with
  // `http3` (TLS only) the UDP port of the same number too. Port 0 picks a
  // port free for both. Returns the bound address; throws std::system_error
  // when it cannot be bound and std::runtime_error for a TLS setup failure.
  asio::ip::tcp::endpoint listen(const asio::ip::tcp::endpoint& endpoint,
                                 const std::shared_ptr<net::TlsContext>& tls, bool http3);
  // The addresses bound so far, in the order listen() bound them.
  const std::vector<asio::ip::tcp::endpoint>& local_endpoints() const { return bound_; }

  // Responses on TCP then say `alt-svc: h3=":PORT"`, so clients can move to
  // HTTP/3. Call before the first connection arrives.
  void advertise_http3(std::uint16_t port);

  // Entry point for a TCP listener (called on the stream's worker).
  void accept(std::unique_ptr<net::ByteStream> stream);
  // Graceful: listeners stop, every open connection gets a GOAWAY and closes
  // once its streams end.
  void drain();
  std::size_t open_connections() const { return tracker_->open(); }
  // Called once, after drain(), when no connection is open any more.
  void when_drained(std::function<void()> callback) { tracker_->when_drained(std::move(callback)); }

 private:
  void start_http2(std::unique_ptr<net::ByteStream> stream, std::string preread);
  void start_http1(std::unique_ptr<net::ByteStream> stream, std::string preread);

  net::WorkerPool& pool_;
  ConnectionOptions options_;
  ExchangeHandler handler_;      // the application's
  ExchangeHandler tcp_handler_;  // the same, with Alt-Svc when HTTP/3 is advertised
  std::shared_ptr<ConnectionTracker> tracker_ = std::make_shared<ConnectionTracker>();
  std::vector<asio::ip::tcp::endpoint> bound_;
  // Last: listeners stop before the tracker and handlers they use go.
  std::vector<std::unique_ptr<net::TcpListener>> tcp_listeners_;
  std::vector<std::unique_ptr<Http3Listener>> http3_listeners_;
};

}  // namespace triplex::http
