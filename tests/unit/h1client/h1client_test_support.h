#pragma once
// Test scaffolding for the HTTP/1.1 client: connecting an
// Http1ClientConnection, complete() (a whole response, with a reset as a
// value), and a canned peer that answers whatever it is asked with fixed
// bytes (for responses our own server would never send). Reply, request()
// and the io_context drivers are client_test_kit.h's.
//
// Concurrency: everything here runs on the test thread's io_context.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/http/h1/http1_client_connection.h"
#include "tests/support/client_test_kit.h"

namespace triplex::http::testing {

using namespace std::chrono_literals;

// Writes the request body in `pieces` (then, with `finish`, ends it) and
// reads the whole response. Unlike fetch(), a reset does not throw: it comes
// back in Reply::reset, with whatever arrived before it, because these tests
// check resets as values.
asio::awaitable<Reply> complete(std::shared_ptr<ClientExchange> exchange,
                                std::vector<std::string> pieces = {}, bool finish = true);

// A connection to 127.0.0.1:`port` on `io` (a blocking connect).
std::shared_ptr<Http1ClientConnection> connect(asio::io_context& io, std::uint16_t port,
                                               const Http1ClientOptions& options = {});

// Accepts connections on 127.0.0.1 and answers every request head it reads
// with the next of `responses` (raw bytes); `close_after` closes the socket
// after the last one. Runs on the client's io_context.
class CannedServer {
 public:
  CannedServer(asio::io_context& io, std::vector<std::string> responses, bool close_after = true);
  ~CannedServer();
  std::uint16_t port() const { return port_; }
  // The raw requests received, in order.
  const std::vector<std::string>& requests() const { return *requests_; }

 private:
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::shared_ptr<std::vector<std::string>> requests_ =
      std::make_shared<std::vector<std::string>>();
};

}  // namespace triplex::http::testing
