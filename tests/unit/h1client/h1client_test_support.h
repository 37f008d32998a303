#pragma once
// Test scaffolding for the HTTP/1.1 client: driving an io_context from the
// test thread, connecting an Http1ClientConnection, fetching whole
// responses, and a canned peer that answers whatever it is asked with fixed
// bytes (for responses our own server would never send).
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
#include "tests/support/io_driver.h"

namespace triplex::http::testing {

using namespace std::chrono_literals;

using triplex::testing::run;
using triplex::testing::run_for;
using triplex::testing::run_until;

// A whole response, or how the exchange failed.
struct Reply {
  int status = 0;
  Headers headers;
  std::string body;
  Headers trailers;
  std::optional<ResetReason> reset;  // set if the exchange failed

  std::string header(std::string_view name) const;
  std::string trailer(std::string_view name) const;
};

RequestHead request(std::string method, std::string path, std::string authority = "localhost");

// Sends `body` in `pieces` writes (then finish()) unless the exchange was
// opened with end_stream, and reads the whole response.
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
