#include "src/net/tcp_listener.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "src/log/log.h"
#include "src/net/port_claim.h"
#include "src/net/spawn.h"

namespace triplex::net {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

struct TcpListener::Shared {
  std::shared_ptr<TlsContext> tls;
  StreamHandler handler;
  std::chrono::milliseconds handshake_timeout{10000};
};

namespace {

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
         std::to_string(endpoint.port());
}

std::string peer_text(asio::ssl::stream<asio::ip::tcp::socket>& stream) {
  asio::error_code ec;
  auto remote = stream.lowest_layer().remote_endpoint(ec);
  return ec ? std::string("unknown") : endpoint_text(remote);
}

// Plain HTTP on the TLS port gets an answer its sender can read, as nginx
// gives, instead of a failed handshake. A TLS connection starts with a
// handshake record (0x16); an HTTP/1.x request with a method in capitals.
bool starts_like_http(asio::ip::tcp::socket& socket) {
  char first = 0;
  asio::error_code ec;
  std::size_t n = socket.receive(asio::buffer(&first, 1), asio::socket_base::message_peek, ec);
  return !ec && n == 1 && first >= 'A' && first <= 'Z';
}

const std::string& plain_http_answer() {
  static const std::string kAnswer = [] {
    std::string body = "plain HTTP request was sent to an HTTPS port\n";
    return "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n"
           "content-type: text/plain; charset=utf-8\r\ncontent-length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return kAnswer;
}

asio::awaitable<void> tls_handshake(std::shared_ptr<TcpListener::Shared> state,
                                    asio::ip::tcp::socket socket) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(socket.get_executor(), state->handshake_timeout);
  auto first = co_await (socket.async_wait(asio::socket_base::wait_read, kNoThrow) ||
                         timer.async_wait(kNoThrow));
  if (first.index() != 0) co_return;  // nothing sent within the handshake timeout
  if (starts_like_http(socket)) {
    co_await asio::async_write(socket, asio::buffer(plain_http_answer()), kNoThrow);
    asio::error_code ignored;
    socket.shutdown(asio::socket_base::shutdown_send, ignored);
    co_return;
  }
  auto stream = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(socket),
                                                                           state->tls->native());
  auto result = co_await (stream->async_handshake(asio::ssl::stream_base::server, kNoThrow) ||
                          timer.async_wait(kNoThrow));
  if (result.index() != 0) {
    TRIPLEX_LOG(LogLevel::kDebug, "TLS handshake timed out", {{"peer", peer_text(*stream)}});
    co_return;
  }
  if (auto ec = std::get<0>(std::get<0>(result))) {
    // Scanners and clients that distrust our certificate: the peer's doing, so debug.
    TRIPLEX_LOG(LogLevel::kDebug, "TLS handshake failed",
                {{"peer", peer_text(*stream)}, {"error", ec.message()}});
    co_return;
  }
  state->handler(std::make_unique<TlsStream>(std::move(*stream)));
}

asio::awaitable<void> accept_loop(std::shared_ptr<TcpListener::Shared> state,
                                  std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
  while (acceptor->is_open()) {
    auto [ec, socket] = co_await acceptor->async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      // Out of descriptors and the like: back off briefly instead of spinning.
      TRIPLEX_LOG(
          LogLevel::kError, "accept failed",
          {{"address", endpoint_text(acceptor->local_endpoint())}, {"error", ec.message()}});
      asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    if (state->tls) {
      asio::co_spawn(acceptor->get_executor(), tls_handshake(state, std::move(socket)),
                     log_on_exception("TLS handshake"));
    } else {
      state->handler(std::make_unique<PlainStream>(std::move(socket)));
    }
  }
}

}  // namespace

TcpListener::TcpListener(WorkerPool& pool, const asio::ip::tcp::endpoint& endpoint,
                         std::shared_ptr<TlsContext> tls, StreamHandler handler)
    : shared_(std::make_shared<Shared>()) {
  shared_->tls = std::move(tls);
  shared_->handler = std::move(handler);
  auto bind_to = endpoint;
  bind_to.port(check_port_free<asio::ip::tcp>(pool.context(0), endpoint));
  for (std::size_t i = 0; i < pool.size(); ++i) {
    auto acceptor = std::make_shared<asio::ip::tcp::acceptor>(pool.context(i));
    acceptor->open(bind_to.protocol());
    acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor->set_option(ReusePort(true));
    acceptor->bind(bind_to);
    acceptor->listen(asio::socket_base::max_listen_connections);
    if (i == 0) {
      local_ = acceptor->local_endpoint();
      bind_to.port(local_.port());  // the other workers share the chosen port
    }
    asio::co_spawn(pool.context(i), accept_loop(shared_, acceptor), log_on_exception("accept"));
    acceptors_.push_back(std::move(acceptor));
  }
}

TcpListener::~TcpListener() { stop(); }

void TcpListener::stop() {
  for (auto& acceptor : acceptors_) {
    asio::post(acceptor->get_executor(), [a = acceptor] {
      asio::error_code ec;
      a->close(ec);
    });
  }
}

}  // namespace triplex::net
