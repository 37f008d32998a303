#include "src/http/http_server.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <string_view>

#include "src/http/h1/http1_server_connection.h"
#include "src/http/h2/http2_server_connection.h"
#include "src/net/spawn.h"

namespace triplex::http {
namespace {

constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Reads until the bytes seen either are or cannot be the HTTP/2 preface.
asio::awaitable<std::optional<std::string>> read_preface(net::ByteStream& stream) {
  std::string seen;
  char buf[64];
  while (seen.size() < kHttp2Preface.size()) {
    std::size_t n = co_await stream.read_some(asio::buffer(buf));
    if (n == 0) co_return std::nullopt;
    seen.append(buf, n);
    std::size_t k = std::min(seen.size(), kHttp2Preface.size());
    if (seen.compare(0, k, kHttp2Preface.substr(0, k)) != 0) break;
  }
  co_return seen;
}

}  // namespace

HttpServer::HttpServer(net::WorkerPool& pool, ConnectionOptions options, ExchangeHandler handler)
    : pool_(pool), options_(options), handler_(std::move(handler)) {}

void HttpServer::advertise_http3(std::uint16_t port) {
  std::string value = "h3=\":" + std::to_string(port) + "\"; ma=86400";
  handler_ = [inner = std::move(handler_), value](std::shared_ptr<Exchange> exchange) {
    exchange->extra_response_headers.add("alt-svc", value);
    inner(std::move(exchange));
  };
}

void HttpServer::accept(std::unique_ptr<net::ByteStream> stream) {
  if (draining_) {
    stream->close();
    return;
  }
  if (stream->peer().tls && stream->peer().alpn == "h2") {
    start_http2(std::move(stream), {});
    return;
  }
  if (stream->peer().tls && stream->peer().alpn == "http/1.1") {
    start_http1(std::move(stream), {});
    return;
  }
  // Plaintext (or TLS without ALPN): tell the h2 preface from anything else.
  auto ex = stream->executor();
  asio::co_spawn(
      ex,
      [this, stream = std::move(stream)]() mutable -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer timer(stream->executor(), std::chrono::seconds(10));
        auto result = co_await (read_preface(*stream) || timer.async_wait(asio::use_awaitable));
        if (result.index() != 0 || !std::get<0>(result)) {
          stream->close();
          co_return;
        }
        std::string seen = std::move(*std::get<0>(result));
        if (seen.starts_with(kHttp2Preface)) {
          start_http2(std::move(stream), std::move(seen));
        } else {
          start_http1(std::move(stream), std::move(seen));
        }
      },
      net::log_on_exception("HTTP version sniffing"));
}

void HttpServer::start_http2(std::unique_ptr<net::ByteStream> stream, std::string preread) {
  track(Http2ServerConnection::start(std::move(stream), std::move(preread), options_, handler_));
}

void HttpServer::start_http1(std::unique_ptr<net::ByteStream> stream, std::string preread) {
  Http1Timeouts timeouts{options_.header_read_timeout, options_.body_idle_timeout};
  track(Http1ServerConnection::start(std::move(stream), std::move(preread), options_, handler_,
                                     timeouts));
}

void HttpServer::track(std::shared_ptr<ServerConnection> conn) {
  if (!conn) return;
  ++open_;
  conn->on_closed = [this](ServerConnection* closed) {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end(); ++it) {
      if (it->get() == closed) {
        // Destroy after the callback returns: the connection is still on the stack.
        asio::post(closed->executor(), [c = *it] {});
        connections_.erase(it);
        break;
      }
    }
    --open_;
  };
  std::lock_guard lock(mutex_);
  connections_.insert(conn);
  if (draining_) conn->drain();
}

void HttpServer::drain() {
  draining_ = true;
  std::lock_guard lock(mutex_);
  for (const auto& conn : connections_) {
    // Each connection is drained on its own worker.
    asio::post(conn->executor(), [c = conn] { c->drain(); });
  }
}

}  // namespace triplex::http
