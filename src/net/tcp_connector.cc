#include "src/net/tcp_connector.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <stdexcept>
#include <system_error>

namespace triplex::net {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
using Socket = asio::ip::tcp::socket;
using SslStream = asio::ssl::stream<Socket>;

// The I/O objects of one connection attempt. The deadline's handler shares
// them, so it can close whatever is in progress; closing makes the pending
// operation complete at once, and the coroutine then reports the timeout.
struct Attempt {
  explicit Attempt(const asio::any_io_executor& executor)
      : resolver(executor), socket(executor), timer(executor) {}

  void expire() {
    if (done) return;
    timed_out = true;
    // A getaddrinfo() already running cannot be interrupted; one not yet
    // started is skipped.
    resolver.cancel();
    asio::error_code ec;
    socket.close(ec);
    if (tls) tls->lowest_layer().close(ec);
  }

  asio::ip::tcp::resolver resolver;
  Socket socket;
  std::unique_ptr<SslStream> tls;
  asio::steady_timer timer;
  bool timed_out = false;
  bool done = false;
  std::string phase;  // what is running, for the timeout's message
};

// Stops the deadline on every way out of connect_tcp.
struct Disarm {
  Attempt& attempt;
  ~Disarm() {
    attempt.done = true;
    attempt.timer.cancel();
  }
};

std::string target_of(const std::string& host, std::uint16_t port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

[[noreturn]] void throw_timeout(const Attempt& attempt, std::chrono::milliseconds timeout) {
  throw std::system_error(std::make_error_code(std::errc::timed_out),
                          attempt.phase + " (after " + std::to_string(timeout.count()) + " ms)");
}

bool is_ip_literal(const std::string& name) {
  asio::error_code ec;
  asio::ip::make_address(name, ec);
  return !ec;
}

// SNI (never for an address: RFC 6066 forbids it) and the name the server's
// certificate must carry.
bool prepare_session(SSL* ssl, const std::string& name, bool verify) {
  bool ip = is_ip_literal(name);
  if (!ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
  if (!verify) return true;
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, name.c_str()) == 1;
}

std::runtime_error handshake_error(SSL* ssl, bool verified, const asio::error_code& ec,
                                   const std::string& target) {
  long result = SSL_get_verify_result(ssl);
  if (verified && result != X509_V_OK) {
    return std::runtime_error(std::string("TLS: certificate verify failed: ") +
                              X509_verify_cert_error_string(result) + " (" + target + ")");
  }
  return std::runtime_error("TLS: handshake with " + target + " failed: " + ec.message());
}

}  // namespace

asio::awaitable<std::unique_ptr<ByteStream>> connect_tcp(asio::any_io_executor executor,
                                                         std::string host, std::uint16_t port,
                                                         const ClientTlsContext* tls,
                                                         std::string server_name,
                                                         std::chrono::milliseconds timeout,
                                                         ConnectTimes* times) {
  auto attempt = std::make_shared<Attempt>(executor);
  Disarm disarm{*attempt};
  if (timeout.count() > 0) {
    attempt->timer.expires_after(timeout);
    attempt->timer.async_wait([attempt](const asio::error_code& ec) {
      if (!ec) attempt->expire();
    });
  }
  const std::string target = target_of(host, port);

  attempt->phase = "resolve " + host;
  const std::string service = std::to_string(port);
  auto [resolve_ec, endpoints] = co_await attempt->resolver.async_resolve(host, service, kNoThrow);
  if (attempt->timed_out) throw_timeout(*attempt, timeout);
  if (resolve_ec) throw std::system_error(resolve_ec, attempt->phase);

  // Addresses in the resolver's order; the last failure is the one reported.
  attempt->phase = "connect to " + target;
  asio::error_code failure = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    asio::ip::tcp::endpoint endpoint = entry.endpoint();
    asio::error_code ec;
    attempt->socket.close(ec);
    attempt->socket.open(endpoint.protocol(), ec);
    if (ec) {
      failure = ec;
      continue;
    }
    auto [connect_ec] = co_await attempt->socket.async_connect(endpoint, kNoThrow);
    if (attempt->timed_out) throw_timeout(*attempt, timeout);
    failure = connect_ec;
    if (!connect_ec) break;
  }
  if (failure) throw std::system_error(failure, attempt->phase);
  if (times != nullptr) times->connected = std::chrono::steady_clock::now();
  asio::error_code ignored;
  attempt->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls == nullptr) co_return std::make_unique<PlainStream>(std::move(attempt->socket));

  attempt->phase = "TLS handshake with " + target;
  attempt->tls = std::make_unique<SslStream>(std::move(attempt->socket), tls->native());
  SSL* ssl = attempt->tls->native_handle();
  const std::string& name = server_name.empty() ? host : server_name;
  bool verify = !tls->insecure();
  if (!prepare_session(ssl, name, verify)) {
    throw std::runtime_error("TLS: cannot use server name \"" + name + "\"");
  }
  auto [handshake_ec] =
      co_await attempt->tls->async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (attempt->timed_out) throw_timeout(*attempt, timeout);
  if (handshake_ec) throw handshake_error(ssl, verify, handshake_ec, target);
  if (times != nullptr) times->secured = std::chrono::steady_clock::now();
  co_return std::make_unique<TlsStream>(std::move(*attempt->tls));
}

}  // namespace triplex::net
