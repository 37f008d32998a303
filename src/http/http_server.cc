#include "src/http/http_server.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <string_view>

#include "src/http/h1/http1_server_connection.h"
#include "src/http/h2/http2_server_connection.h"
#include "src/http/h3/http3_listener.h"
#include "src/net/spawn.h"
#include "src/net/tcp_listener.h"

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
    : pool_(pool), options_(options), handler_(std::move(handler)), tcp_handler_(handler_) {}

// Connections may outlive the server by a moment (they hold the tracker):
// the drained callback must not reach whoever owned the server.
HttpServer::~HttpServer() { tracker_->when_drained(nullptr); }

asio::ip::tcp::endpoint HttpServer::listen(const asio::ip::tcp::endpoint& endpoint,
                                           const std::shared_ptr<net::TlsContext>& tls,
                                           bool http3) {
  http3 = http3 && tls != nullptr;
  // With port 0 the kernel picks a free TCP port; the same UDP port may be
  // taken, so try a few picks before giving up.
  for (int attempt = 0;; ++attempt) {
    try {
      auto tcp = std::make_unique<net::TcpListener>(
          pool_, endpoint, tls,
          [this](std::unique_ptr<net::ByteStream> stream) { accept(std::move(stream)); });
      auto local = tcp->local_endpoint();
      if (http3) {
        asio::ip::udp::endpoint udp(endpoint.address(), local.port());
        http3_listeners_.push_back(
            std::make_unique<Http3Listener>(pool_, udp, tls, options_, handler_, tracker_));
      }
      tcp_listeners_.push_back(std::move(tcp));
      bound_.push_back(local);
      return local;
    } catch (const std::system_error&) {
      if (endpoint.port() != 0 || attempt >= 5) throw;
    }
  }
}

void HttpServer::advertise_http3(std::uint16_t port) {
  std::string value = "h3=\":" + std::to_string(port) + "\"; ma=86400";
  tcp_handler_ = [inner = handler_, value](std::shared_ptr<Exchange> exchange) {
    exchange->extra_response_headers.add("alt-svc", value);
    inner(std::move(exchange));
  };
}

void HttpServer::accept(std::unique_ptr<net::ByteStream> stream) {
  if (tracker_->draining()) {
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
  tracker_->track(
      Http2ServerConnection::start(std::move(stream), std::move(preread), options_, tcp_handler_));
}

void HttpServer::start_http1(std::unique_ptr<net::ByteStream> stream, std::string preread) {
  Http1Timeouts timeouts{options_.header_read_timeout, options_.body_idle_timeout};
  tracker_->track(Http1ServerConnection::start(std::move(stream), std::move(preread), options_,
                                               tcp_handler_, timeouts));
}

void HttpServer::drain() {
  for (auto& listener : tcp_listeners_) listener->stop();
  for (auto& listener : http3_listeners_) listener->stop();
  tracker_->drain();
}

}  // namespace triplex::http
