#pragma once
// A client's connection to one server on any HTTP version: it opens
// requests as ClientExchanges (many at once on HTTP/2 and HTTP/3, one at a
// time on HTTP/1.1). Channels pool these per target and pick by version.
//
// Concurrency: lives on the io_context it was connected on; call it only
// from that executor. Exchanges outlive it (failing as if reset).
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "src/http/client_exchange.h"
#include "triplex/rpc_types.h"

namespace triplex::http {

class ClientConnection {
 public:
  virtual ~ClientConnection() = default;

  // Sends a request. `end_stream`: no body follows the head. It goes out at
  // once, or as soon as the handshake or the server's stream limit allows.
  virtual std::shared_ptr<ClientExchange> open(RequestHead head, bool end_stream) = 0;
  // Completes once the connection is usable; false if it failed first.
  virtual asio::awaitable<bool> wait_connected() = 0;
  // Takes new requests: not closed, and the server has not said GOAWAY.
  virtual bool is_open() const = 0;
  // Requests in flight (opened and not yet finished), for least-loaded picks.
  virtual std::size_t active_requests() const = 0;
  // Closes gracefully; open exchanges fail.
  virtual void close() = 0;
  virtual HttpVersion version() const = 0;  // kHttp1, kHttp2 or kHttp3
  // HTTP/1.1 carries one request at a time; the others multiplex.
  bool multiplexed() const { return version() != HttpVersion::kHttp1; }
  // The server ended the connection for our keepalive pings (HTTP/2's
  // ENHANCE_YOUR_CALM "too_many_pings").
  virtual bool told_too_many_pings() const { return false; }
  virtual asio::any_io_executor executor() const = 0;
  // Why the connection failed before it could carry requests, when it knows
  // more than that it closed (empty otherwise).
  virtual std::string failure() const { return {}; }

  // When the connection was asked for, and when its transport connected and
  // was secured (TLS or the QUIC handshake): for timing breakdowns.
  struct Timeline {
    std::chrono::steady_clock::time_point started;
    std::optional<std::chrono::steady_clock::time_point> connected;
    std::optional<std::chrono::steady_clock::time_point> secured;
  };
  Timeline timeline;
};

}  // namespace triplex::http
