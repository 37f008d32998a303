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

// A request line this long is HTTP/1.x (a long URL), whatever follows.
constexpr std::size_t kLongFirstLine = 64;

enum class Sniffed { kNeedMore, kHttp1, kHttp2 };

// What the first bytes of a plaintext connection are. The HTTP/2 preface
// means HTTP/2; a first line ending in HTTP/1.0 or HTTP/1.1 means HTTP/1.x.
// Anything else is an HTTP/2 client with a bad preface ("PRI * HTTP/2.0"
// followed by the wrong bytes, or garbage): HTTP/2 answers it with GOAWAY
// PROTOCOL_ERROR, where HTTP/1.1 would send text an HTTP/2 client cannot read.
Sniffed sniff(std::string_view seen) {
  std::size_t k = std::min(seen.size(), kHttp2Preface.size());
  if (seen.substr(0, k) == kHttp2Preface.substr(0, k)) {
    return k == kHttp2Preface.size() ? Sniffed::kHttp2 : Sniffed::kNeedMore;
  }
  // RFC 9112 section 2.2: empty lines before the request line are ignored.
  std::size_t start = seen.find_first_not_of("\r\n");
  if (start == std::string_view::npos) return Sniffed::kNeedMore;
  std::string_view rest = seen.substr(start);
  std::size_t end = rest.find('\n');
  if (end == std::string_view::npos) {
    return rest.size() >= kLongFirstLine ? Sniffed::kHttp1 : Sniffed::kNeedMore;
  }
  std::string_view line = rest.substr(0, end);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line.ends_with(" HTTP/1.1") || line.ends_with(" HTTP/1.0") ? Sniffed::kHttp1
                                                                    : Sniffed::kHttp2;
}

// Reads until sniff() can tell; nullopt if the peer closed first.
asio::awaitable<std::optional<std::pair<Sniffed, std::string>>> read_first_bytes(
    net::ByteStream& stream) {
  std::string seen;
  char buf[512];
  for (;;) {
    std::size_t n = co_await stream.read_some(asio::buffer(buf));
    if (n == 0) co_return std::nullopt;
    seen.append(buf, n);
    Sniffed what = sniff(seen);
    if (what != Sniffed::kNeedMore) co_return std::pair{what, std::move(seen)};
  }
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
        auto result = co_await (read_first_bytes(*stream) || timer.async_wait(asio::use_awaitable));
        if (result.index() != 0 || !std::get<0>(result)) {
          stream->close();
          co_return;
        }
        auto [what, seen] = std::move(*std::get<0>(result));
        if (what == Sniffed::kHttp2) {
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
