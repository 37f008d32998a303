#pragma once
// Helpers for tests that drive the HTTP/3 client from the test thread:
// running an io_context until something happens, fetching a whole response
// through an Http3ClientConnection, and client parameters for the
// self-signed test server.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "src/http/h3/http3_client_connection.h"
#include "src/net/quic/quic_connection.h"
#include "tests/support/io_driver.h"

namespace triplex::http::testing {

using namespace std::chrono_literals;

using triplex::testing::run;
using triplex::testing::run_for;
using triplex::testing::run_until;

struct Reply {
  int status = 0;
  Headers headers;
  std::string body;
  Headers trailers;
  bool early = false;  // went out as 0-RTT and the server took it so
};

inline RequestHead request(std::string method, std::string path) {
  RequestHead head;
  head.method = std::move(method);
  head.scheme = "https";
  head.authority = "localhost";
  head.path = std::move(path);
  return head;
}

// Sends `body` on an opened exchange and reads the whole response.
inline asio::awaitable<Reply> complete(std::shared_ptr<ClientExchange> exchange, std::string body) {
  if (!body.empty()) {
    co_await exchange->write(std::move(body));
    exchange->finish();
  }
  Reply reply;
  ResponseHead response = co_await exchange->read_head();
  reply.status = response.status;
  reply.headers = std::move(response.headers);
  while (co_await exchange->read(reply.body)) {
  }
  reply.trailers = exchange->trailers();
  reply.early = exchange->sent_as_early_data();
  co_return reply;
}

// Opens the request at once (not when the task first runs), so that right
// after connect() it joins the first flight, as 0-RTT when resuming.
inline asio::awaitable<Reply> fetch(const std::shared_ptr<Http3ClientConnection>& connection,
                                    RequestHead head, std::string body = {}) {
  bool end_stream = body.empty();
  return complete(connection->open(std::move(head), end_stream), std::move(body));
}

inline net::quic::QuicClientParams client_params(
    std::shared_ptr<net::quic::QuicResumption> resumption = nullptr, bool insecure = true) {
  net::quic::QuicClientTlsOptions tls;
  tls.insecure = insecure;
  net::quic::QuicClientParams params;
  params.tls = std::make_shared<const net::quic::QuicClientTlsContext>(tls);
  params.server_name = "localhost";
  params.resumption = std::move(resumption);
  return params;
}

}  // namespace triplex::http::testing
