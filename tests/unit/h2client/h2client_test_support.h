#pragma once
// Test scaffolding for the HTTP/2 client: the triplex HTTP server (TcpListener
// + HttpServer, plaintext or TLS) on a background worker with the test
// application (tests/support/route_table.h: routes by path, a Probe through
// which handlers report what they saw), a ScriptedPeer (a raw HTTP/2 server
// that sends exactly the frames a test scripts), and (client_test_kit.h)
// whole replies and the drivers that run the client's io_context from the
// test thread.
//
// Concurrency: the server's connections and handlers run on its worker
// thread, a ScriptedPeer on its own thread; the Probe is the only state
// shared with the test thread (mutex-guarded, atomics).
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "src/http/exchange.h"
#include "src/http/http_server.h"
#include "src/net/tcp_listener.h"
#include "src/net/tls_context.h"
#include "src/net/worker_pool.h"
#include "tests/support/client_test_kit.h"
#include "tests/support/route_table.h"

namespace triplex::http::testing {

using namespace std::chrono_literals;

// The test application: behaviour by path (see the .cc for the table).
ExchangeHandler make_handler(std::shared_ptr<Probe> probe);

// The triplex HTTP server on 127.0.0.1 (a free port), one background worker.
// With `tls`, a TLS listener offering ALPN h2 and http/1.1 (self-signed
// when the options name no certificate).
class TestServer {
 public:
  explicit TestServer(ConnectionOptions options = {}, std::optional<TlsOptions> tls = {});
  ~TestServer();

  std::uint16_t port() const { return listener_->local_endpoint().port(); }
  Probe& probe() { return *probe_; }
  // Graceful GOAWAY on every connection (thread-safe).
  void drain() { http_->drain(); }
  std::size_t open_connections() const { return http_->open_connections(); }
  bool wait_idle(std::chrono::milliseconds timeout = 5000ms);

 private:
  std::shared_ptr<Probe> probe_ = std::make_shared<Probe>();
  net::WorkerPool pool_{1};
  std::shared_ptr<net::TlsContext> tls_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<net::TcpListener> listener_;
};

// One accepted connection of a ScriptedPeer: blocking frame I/O for scripts.
// The peer closes the socket when it is destroyed, not when the script ends.
class PeerSocket {
 public:
  explicit PeerSocket(int fd);
  ~PeerSocket();
  PeerSocket(const PeerSocket&) = delete;
  PeerSocket& operator=(const PeerSocket&) = delete;

  // Reads frames until one of `type` arrives; false at EOF or after 5 s.
  bool wait_for_frame(std::uint8_t type);
  // HEADERS (HPACK-encoded here, END_HEADERS set) and DATA frames.
  void send_headers(std::int32_t stream, const std::vector<std::pair<std::string, std::string>>& f,
                    bool end_stream);
  void send_data(std::int32_t stream, const std::string& data, bool end_stream);
  void send_frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream,
                  const std::string& payload);
  // Reads and drops everything until the client closes (or 10 s pass).
  void drain_until_eof();

 private:
  bool fill();
  int fd_;
  std::string buffer_;
  bool preface_seen_ = false;
  void* deflater_ = nullptr;  // nghttp2_hd_deflater, one per connection
};

// A raw HTTP/2 server on 127.0.0.1 that accepts one connection, reads the
// client preface, sends an empty SETTINGS frame and runs `script`.
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::function<void(PeerSocket&)> script);
  ~ScriptedPeer();
  std::uint16_t port() const { return port_; }

 private:
  int listen_fd_ = -1;
  std::atomic<int> connection_fd_{-1};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace triplex::http::testing
