#pragma once
// Pieces the HTTP/1.1, HTTP/2 and HTTP/3 client tests share: a whole
// response as a value (Reply), reading one off any ClientExchange, fetching
// one from any ClientConnection, and (from io_driver.h) running the
// client's io_context from the test thread.
//
// Concurrency: the coroutines run on the client connection's io_context,
// driven by the test thread through run().
#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "src/http/client_connection.h"
#include "src/http/client_exchange.h"
#include "tests/support/io_driver.h"

namespace triplex::http::testing {

using triplex::testing::run;
using triplex::testing::run_for;
using triplex::testing::run_until;

// A whole response, or (for helpers that catch it) how the exchange failed.
struct Reply {
  int status = 0;
  Headers headers;
  std::string body;
  Headers trailers;
  bool early = false;                // went out as 0-RTT and the server took it so
  std::optional<ResetReason> reset;  // set by helpers that return a reset instead of throwing

  // The field's value, or "" when there is none.
  std::string header(std::string_view name) const {
    const std::string* v = headers.find(name);
    return v ? *v : std::string();
  }
  std::string trailer(std::string_view name) const {
    const std::string* v = trailers.find(name);
    return v ? *v : std::string();
  }
};

// A request for `path` on `authority`. The scheme is left to the connection
// (HTTP/2: from its TLS, HTTP/3: https; HTTP/1.1 sends none).
inline RequestHead request(std::string method, std::string path,
                           std::string authority = "localhost") {
  RequestHead head;
  head.method = std::move(method);
  head.authority = std::move(authority);
  head.path = std::move(path);
  return head;
}

// The rest of the response body.
inline asio::awaitable<std::string> read_body(std::shared_ptr<ClientExchange> exchange) {
  std::string body;
  while (co_await exchange->read(body)) {
  }
  co_return body;
}

// Reads the whole response into `reply` as it comes (head, body, trailers),
// so a caller that catches ExchangeReset keeps what arrived before it.
inline asio::awaitable<void> read_reply_into(std::shared_ptr<ClientExchange> exchange,
                                             Reply& reply) {
  ResponseHead head = co_await exchange->read_head();
  reply.status = head.status;
  reply.headers = std::move(head.headers);
  while (co_await exchange->read(reply.body)) {
  }
  reply.trailers = exchange->trailers();
  reply.early = exchange->sent_as_early_data();
}

// The whole response. Throws ExchangeReset.
inline asio::awaitable<Reply> read_reply(std::shared_ptr<ClientExchange> exchange) {
  Reply reply;
  co_await read_reply_into(std::move(exchange), reply);
  co_return reply;
}

// Writes `body` and finish() unless it is empty, then reads the whole
// response. Throws ExchangeReset.
inline asio::awaitable<Reply> send_and_read(std::shared_ptr<ClientExchange> exchange,
                                            std::string body) {
  if (!body.empty()) {
    co_await exchange->write(std::move(body));
    exchange->finish();
  }
  co_return co_await read_reply(std::move(exchange));
}

// Opens the request at once (not when the task first runs), so that right
// after connect() it joins the first flight, as 0-RTT when resuming. An empty
// `body` ends the request at open. Throws ExchangeReset.
inline asio::awaitable<Reply> fetch(const std::shared_ptr<ClientConnection>& connection,
                                    RequestHead head, std::string body = {}) {
  bool end_stream = body.empty();
  return send_and_read(connection->open(std::move(head), end_stream), std::move(body));
}

}  // namespace triplex::http::testing
