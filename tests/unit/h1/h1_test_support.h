#pragma once
// Test scaffolding for the HTTP/1.1 server: a server that runs
// Http1ServerConnections on a background io_context with the test
// application (tests/support/route_table.h: routes by path, a Probe through
// which handlers report what they saw), and a blocking raw-socket client
// that speaks just enough HTTP/1.1 to check responses byte by byte.
//
// Concurrency: the server's connections and handlers run on its thread; the
// Probe is the only state shared with the test thread (mutex-guarded).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "src/http/h1/http1_server_connection.h"
#include "tests/support/route_table.h"

namespace triplex::http::testing {

using namespace std::chrono_literals;

// The test application: behaviour by path (see the .cc for the table).
ExchangeHandler make_handler(std::shared_ptr<Probe> probe);

// Accepts on 127.0.0.1 (a free port) and starts an Http1ServerConnection per
// socket, all on one background thread. Construct and destroy on the test
// thread; drain_all() and the counters are thread-safe.
class TestServer {
 public:
  explicit TestServer(ConnectionOptions options = {}, Http1Timeouts timeouts = {},
                      int receive_buffer = 0);
  ~TestServer();

  std::uint16_t port() const { return port_; }
  Probe& probe() { return *probe_; }
  std::size_t open_connections() const { return open_.load(); }
  // drain() on every live connection, on the server's thread.
  void drain_all();
  // Bytes read off each new socket before the connection starts, handed to
  // it as `preread` (as protocol sniffing does).
  std::atomic<std::size_t> sniff_bytes{0};

 private:
  asio::awaitable<void> accept_loop();

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  ConnectionOptions options_;
  Http1Timeouts timeouts_;
  std::shared_ptr<Probe> probe_ = std::make_shared<Probe>();
  std::vector<std::weak_ptr<Http1ServerConnection>> connections_;  // server thread only
  std::atomic<std::size_t> open_{0};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A response as the client parsed it. A plain value.
struct Response {
  int status = 0;  // 0: the connection ended before a response head
  std::vector<Header> headers;
  std::string body;
  std::vector<Header> trailers;
  bool complete = false;  // the body ended as its framing said

  const std::string* header(std::string_view name) const;
  const std::string* trailer(std::string_view name) const;
};

// A blocking client socket; every receive gives up after a few seconds so a
// broken server fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port, int receive_buffer = 0);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send(std::string_view bytes);
  // One response (an interim 1xx one is returned on its own).
  Response read_response(bool head_request = false);
  // Reads until EOF; true if it came within `timeout` (the server closed).
  bool closed_within(std::chrono::milliseconds timeout);
  // True if some bytes arrive within `timeout` (they stay buffered).
  bool data_within(std::chrono::milliseconds timeout);
  // Sends a RST instead of a FIN when closing.
  void abort();
  void close();
  int fd() const { return fd_; }

 private:
  // One receive into the buffer; false on EOF, error or timeout.
  bool fill(std::chrono::milliseconds timeout = 5000ms);
  bool read_line(std::string& line);
  bool read_exact(std::size_t n, std::string& out);

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace triplex::http::testing
