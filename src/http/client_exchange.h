#pragma once
// One HTTP request/response from the client's side, on any HTTP version: the
// request head goes out when the exchange is opened, then a streamed request
// body; the response head, a streamed response body and trailers come back.
// The RPC client protocols sit on this, as the server protocols sit on
// Exchange.
//
// Concurrency: lives on its connection's worker; call it only from
// coroutines on that executor. It stays valid after the connection is gone;
// operations then fail with ExchangeReset(kConnectionLost).
#include <asio/awaitable.hpp>
#include <string>

#include "src/http/exchange.h"

namespace triplex::http {

class ClientExchange {
 public:
  virtual ~ClientExchange() = default;

  // Queues request-body bytes; suspends while too much is unacknowledged.
  // Throws ExchangeReset if the stream was reset.
  virtual asio::awaitable<void> write(std::string data) = 0;
  // Ends the request body.
  virtual void finish() = 0;

  // The final response head (informational 1xx heads are skipped). Throws
  // ExchangeReset if the stream ends first.
  virtual asio::awaitable<ResponseHead> read_head() = 0;
  // Appends the next response-body bytes to `out`; false at the end of the
  // body. Reading is what grants the server flow-control credit. Throws
  // ExchangeReset if the stream was reset.
  virtual asio::awaitable<bool> read(std::string& out) = 0;
  // The trailers, once read() has returned false (empty if none came).
  virtual const Headers& trailers() const = 0;

  // Abandons the exchange (RST_STREAM / RESET_STREAM + STOP_SENDING).
  virtual void reset(ResetReason reason) = 0;
  virtual bool is_reset() const = 0;
  virtual ExchangeCapabilities capabilities() const = 0;
  // The request went out as TLS 1.3 / QUIC 0-RTT early data and the server
  // took it as such (only HTTP/3 says true).
  virtual bool sent_as_early_data() const { return false; }
};

}  // namespace triplex::http
