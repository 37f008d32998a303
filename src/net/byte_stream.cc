#include "src/net/byte_stream.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "src/net/tls_context.h"

namespace triplex::net {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

PeerInfo endpoints_of(const asio::ip::tcp::socket& socket) {
  PeerInfo info;
  asio::error_code ec;
  info.remote = socket.remote_endpoint(ec);
  info.local = socket.local_endpoint(ec);
  return info;
}

}  // namespace

PlainStream::PlainStream(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), peer_(endpoints_of(socket_)) {}

asio::awaitable<std::size_t> PlainStream::read_some(asio::mutable_buffer buffer) {
  auto [ec, n] = co_await socket_.async_read_some(buffer, kNoThrow);
  co_return ec ? 0 : n;
}

asio::awaitable<bool> PlainStream::write(std::span<const asio::const_buffer> buffers) {
  auto [ec, n] = co_await asio::async_write(socket_, buffers, kNoThrow);
  co_return !ec;
}

void PlainStream::close() {
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void PlainStream::shutdown_send() {
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

TlsStream::TlsStream(asio::ssl::stream<asio::ip::tcp::socket> stream)
    : stream_(std::move(stream)), peer_(endpoints_of(stream_.next_layer())) {
  peer_.tls = true;
  peer_.alpn = negotiated_alpn(stream_.native_handle());
  // A client's peer is the server: its certificate is not a client identity.
  if (SSL_is_server(stream_.native_handle()) == 1) {
    describe_peer_certificate(stream_.native_handle(), peer_.client_subject, peer_.client_sans);
  }
}

asio::awaitable<std::size_t> TlsStream::read_some(asio::mutable_buffer buffer) {
  auto [ec, n] = co_await stream_.async_read_some(buffer, kNoThrow);
  co_return ec ? 0 : n;
}

asio::awaitable<bool> TlsStream::write(std::span<const asio::const_buffer> buffers) {
  auto [ec, n] = co_await asio::async_write(stream_, buffers, kNoThrow);
  co_return !ec;
}

void TlsStream::close() {
  asio::error_code ec;
  stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.next_layer().close(ec);
}

// TCP-level: the response framing already tells the peer where it ends, and a
// close_notify would need a round trip we do not wait for.
void TlsStream::shutdown_send() {
  asio::error_code ec;
  stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace triplex::net
