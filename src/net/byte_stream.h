#pragma once
// A connected byte stream (plain TCP or TLS over TCP) as the HTTP codecs see
// it. The codecs never learn which one they run on.
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <span>
#include <string>

namespace triplex::net {

// What the application may learn about the other end of a connection.
struct PeerInfo {
  asio::ip::tcp::endpoint remote;
  asio::ip::tcp::endpoint local;
  bool tls = false;
  std::string alpn;  // negotiated protocol, empty for plaintext
  // Verified client certificate (mTLS): subject and subject alternative names.
  std::string client_subject;
  std::vector<std::string> client_sans;
};

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Returns 0 at end of stream or on error (the connection is then finished).
  virtual asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer) = 0;
  // Writes everything or returns false.
  virtual asio::awaitable<bool> write(std::span<const asio::const_buffer> buffers) = 0;
  // Closes at once; pending operations complete with an error.
  virtual void close() = 0;
  // Half-close: the peer reads EOF while we can still read what it sends.
  virtual void shutdown_send() = 0;
  virtual const PeerInfo& peer() const = 0;
  virtual asio::any_io_executor executor() = 0;
};

class PlainStream final : public ByteStream {
 public:
  explicit PlainStream(asio::ip::tcp::socket socket);
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer) override;
  asio::awaitable<bool> write(std::span<const asio::const_buffer> buffers) override;
  void close() override;
  void shutdown_send() override;
  const PeerInfo& peer() const override { return peer_; }
  asio::any_io_executor executor() override { return socket_.get_executor(); }
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  asio::ip::tcp::socket socket_;
  PeerInfo peer_;
};

class TlsStream final : public ByteStream {
 public:
  // `stream` has completed its handshake (either side: TcpListener for
  // servers, connect_tcp for clients).
  explicit TlsStream(asio::ssl::stream<asio::ip::tcp::socket> stream);
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer) override;
  asio::awaitable<bool> write(std::span<const asio::const_buffer> buffers) override;
  void close() override;
  void shutdown_send() override;
  const PeerInfo& peer() const override { return peer_; }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  PeerInfo peer_;
};

}  // namespace triplex::net
