#pragma once
// The HTTP front end: takes connected byte streams from the TCP listeners,
// picks the HTTP version (ALPN on TLS, the client preface on plaintext), runs
// the matching connection, and drains them all on shutdown.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "src/http/connection_options.h"
#include "src/http/exchange.h"
#include "src/http/server_connection.h"
#include "src/net/byte_stream.h"
#include "src/net/worker_pool.h"

namespace triplex::http {

class HttpServer {
 public:
  HttpServer(net::WorkerPool& pool, ConnectionOptions options, ExchangeHandler handler);

  // Responses on TCP then say `alt-svc: h3=":PORT"`, so clients can move to
  // HTTP/3. Call before the first connection arrives.
  void advertise_http3(std::uint16_t port);

  // Entry point for a listener (called on the stream's worker).
  void accept(std::unique_ptr<net::ByteStream> stream);
  // Graceful: every open connection gets a GOAWAY and closes once its streams end.
  void drain();
  std::size_t open_connections() const { return open_.load(); }

 private:
  struct Tracked;
  void start_http2(std::unique_ptr<net::ByteStream> stream, std::string preread);
  void start_http1(std::unique_ptr<net::ByteStream> stream, std::string preread);
  void track(std::shared_ptr<ServerConnection> conn);

  net::WorkerPool& pool_;
  ConnectionOptions options_;
  ExchangeHandler handler_;  // the application's, wrapped with Alt-Svc when set
  std::atomic<std::size_t> open_{0};
  std::atomic<bool> draining_{false};
  std::mutex mutex_;  // guards connections_ (touched once per connection open/close)
  std::unordered_set<std::shared_ptr<ServerConnection>> connections_;
};

}  // namespace triplex::http
