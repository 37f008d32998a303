#pragma once
// The client side of HttpServer: it opens connections to one target and
// decides how. It owns the TLS contexts (shared by every connector with the
// same settings, so the trust store is read once per process), QUIC session
// resumption, address fallback for TCP and UDP, the Alt-Svc offer of HTTP/3
// and the version choice, and hands back a ClientConnection. Channels pool
// what it returns; nothing above src/http knows which version it got except
// through ClientConnection::version().
//
// Concurrency: lives on one io_context; use it only from there.
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "src/http/client_connection.h"
#include "src/http/headers.h"
#include "triplex/rpc_types.h"

namespace triplex::net {
class ClientTlsContext;
}
namespace triplex::net::quic {
class QuicClientTlsContext;
struct QuicResumption;
}  // namespace triplex::net::quic

namespace triplex::http {

struct ConnectorOptions {
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string authority;  // host:port as requests name it, for messages
  bool tls = false;
  // kAuto: ALPN over TLS (h2, then http/1.1), HTTP/1.1 on plaintext; then
  // HTTP/3 once a response offers it, if follow_alt_svc (TLS only).
  HttpVersion version = HttpVersion::kAuto;
  bool follow_alt_svc = true;
  std::string ca_file;  // empty: the system's trust store
  bool insecure = false;
  std::string cert_file;  // client certificate (mTLS), with key_file
  std::string key_file;
  std::string server_name;  // SNI and the name to verify; empty: host
  bool early_data = true;   // HTTP/3: resume sessions and allow 0-RTT
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds keepalive_time{0};
};

// Why connect() failed. kConfig: the options themselves are wrong (a file
// that does not load, HTTP/3 without TLS); kUnavailable: the target could
// not be reached or did not agree.
struct ConnectFailure : std::runtime_error {
  enum class Kind { kConfig, kUnavailable };
  ConnectFailure(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
  Kind kind;
};

class ClientConnector {
 public:
  ClientConnector(asio::io_context& io, ConnectorOptions options);
  ~ClientConnector();

  // A new connection, of the version the options and Alt-Svc choose. It may
  // still be handshaking: requests opened on it go out when it is ready (as
  // 0-RTT when resuming). Throws ConnectFailure.
  asio::awaitable<std::shared_ptr<ClientConnection>> connect();

  // Over TLS with kAuto: a response's Alt-Svc offered HTTP/3, the offer has
  // not expired and HTTP/3 has not failed lately. New connections are then
  // HTTP/3, and older ones should idle out.
  bool http3_offered() const;
  // An offered HTTP/3 connection did not get through: stay on TCP a while.
  void http3_failed();
  // Whether response heads should reach on_response_head().
  bool wants_response_heads() const;
  void on_response_head(const ResponseHead& head);
  // As if a response had offered HTTP/3 on `port` (for tests).
  void offer_http3(std::uint16_t port);
  // A pooled connection ended: learn from it (a server that found our
  // keepalive pings too many gets them half as often from now on).
  void on_connection_ended(const ClientConnection& connection);

 private:
  asio::awaitable<std::shared_ptr<ClientConnection>> connect_tcp();
  asio::awaitable<std::shared_ptr<ClientConnection>> connect_http3(
      std::uint16_t port, std::chrono::milliseconds handshake_timeout);
  const net::ClientTlsContext& tcp_tls();
  std::shared_ptr<const net::quic::QuicClientTlsContext> quic_tls();

  asio::io_context& io_;
  ConnectorOptions options_;
  std::shared_ptr<const net::ClientTlsContext> tcp_tls_;
  std::shared_ptr<const net::quic::QuicClientTlsContext> quic_tls_;
  std::shared_ptr<net::quic::QuicResumption> resumption_;
  // The UDP address the last HTTP/3 connection used: a resumed session goes
  // straight there (0-RTT cannot wait to try addresses one by one).
  std::optional<asio::ip::udp::endpoint> last_udp_;
  std::chrono::milliseconds keepalive_time_;  // doubled when a server says too_many_pings
  std::optional<std::uint16_t> alt_h3_port_;
  std::chrono::steady_clock::time_point alt_h3_expires_;
  std::chrono::steady_clock::time_point alt_h3_broken_until_;
};

}  // namespace triplex::http
