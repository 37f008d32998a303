#include "src/http/client_connector.h"

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <map>
#include <mutex>

#include "src/http/alt_svc.h"
#include "src/http/h1/http1_client_connection.h"
#include "src/http/h2/http2_client_connection.h"
#include "src/http/h3/http3_client_connection.h"
#include "src/net/client_tls_context.h"
#include "src/net/deadline.h"
#include "src/net/quic/quic_connection.h"
#include "src/net/quic/quic_tls.h"
#include "src/net/tcp_connector.h"

namespace triplex::http {
namespace {

// An HTTP/3 alternative that failed is not tried again for this long.
constexpr auto kAltSvcRetryAfter = std::chrono::minutes(5);
// Quick to give up on an offered HTTP/3: TCP is there to fall back on.
constexpr auto kAltSvcHandshakeTimeout = std::chrono::milliseconds(2000);

// TLS contexts are immutable once built and safe to share across threads:
// connectors with the same settings (a gateway's per-worker channels to one
// upstream) share one, so certificates and the trust store load once.
template <class Context, class Options>
std::shared_ptr<const Context> shared_context(const std::string& key, const Options& options) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const Context>> cache;
  std::lock_guard lock(mutex);
  std::erase_if(cache, [](const auto& entry) { return entry.second.expired(); });
  if (auto found = cache[key].lock()) return found;
  auto made = std::make_shared<const Context>(options);
  cache[key] = made;
  return made;
}

std::string tls_key(const ConnectorOptions& o, std::string_view alpn) {
  // Unit separators keep fields from running into each other.
  return o.ca_file + '\x1f' + (o.insecure ? "1" : "0") + '\x1f' + o.cert_file + '\x1f' +
         o.key_file + '\x1f' + std::string(alpn);
}

}  // namespace

ClientConnector::ClientConnector(asio::io_context& io, ConnectorOptions options)
    : io_(io),
      options_(std::move(options)),
      resumption_(std::make_shared<net::quic::QuicResumption>()),
      keepalive_time_(options_.keepalive_time) {}

ClientConnector::~ClientConnector() = default;

asio::awaitable<std::shared_ptr<ClientConnection>> ClientConnector::connect() {
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<ClientConnection> connection;
  if (options_.version == HttpVersion::kHttp3) {
    connection = co_await connect_http3(options_.port, options_.connect_timeout);
  } else if (http3_offered()) {
    connection = co_await connect_http3(
        *alt_h3_port_,
        std::min(options_.connect_timeout, std::chrono::milliseconds(kAltSvcHandshakeTimeout)));
  } else {
    connection = co_await connect_tcp();
  }
  connection->timeline.started = started;
  co_return connection;
}

bool ClientConnector::wants_response_heads() const {
  return options_.version == HttpVersion::kAuto && options_.follow_alt_svc && options_.tls;
}

void ClientConnector::on_response_head(const ResponseHead& head) {
  const std::string* field = head.headers.find("alt-svc");
  if (field == nullptr) return;
  auto offer = parse_alt_svc_h3(*field, options_.host);
  if (!offer) return;
  if (offer->clear) {
    alt_h3_port_.reset();
    return;
  }
  alt_h3_port_ = offer->port;
  alt_h3_expires_ = net::deadline_after(std::chrono::steady_clock::now(), offer->max_age);
}

void ClientConnector::offer_http3(std::uint16_t port) {
  alt_h3_port_ = port;
  alt_h3_expires_ = std::chrono::steady_clock::now() + std::chrono::hours(24);
}

bool ClientConnector::http3_offered() const {
  auto now = std::chrono::steady_clock::now();
  return wants_response_heads() && alt_h3_port_ && now < alt_h3_expires_ &&
         now >= alt_h3_broken_until_;
}

void ClientConnector::http3_failed() {
  alt_h3_broken_until_ = std::chrono::steady_clock::now() + kAltSvcRetryAfter;
}

void ClientConnector::on_connection_ended(const ClientConnection& connection) {
  if (connection.told_too_many_pings() && keepalive_time_.count() > 0) keepalive_time_ *= 2;
}

const net::ClientTlsContext& ClientConnector::tcp_tls() {
  if (!tcp_tls_) {
    net::ClientTlsOptions tls;
    tls.ca_file = options_.ca_file;
    tls.insecure = options_.insecure;
    tls.cert_file = options_.cert_file;
    tls.key_file = options_.key_file;
    if (options_.version == HttpVersion::kHttp2) tls.alpn = {"h2"};
    if (options_.version == HttpVersion::kHttp1) tls.alpn = {"http/1.1"};
    std::string alpn;
    for (const auto& a : tls.alpn) alpn += a + ",";
    try {
      tcp_tls_ = shared_context<net::ClientTlsContext>(tls_key(options_, alpn), tls);
    } catch (const std::exception& e) {
      throw ConnectFailure(ConnectFailure::Kind::kConfig, e.what());
    }
  }
  return *tcp_tls_;
}

std::shared_ptr<const net::quic::QuicClientTlsContext> ClientConnector::quic_tls() {
  if (!quic_tls_) {
    net::quic::QuicClientTlsOptions tls;
    tls.ca_file = options_.ca_file;
    tls.insecure = options_.insecure;
    tls.cert_file = options_.cert_file;
    tls.key_file = options_.key_file;
    try {
      quic_tls_ = shared_context<net::quic::QuicClientTlsContext>(tls_key(options_, "h3"), tls);
    } catch (const std::exception& e) {
      throw ConnectFailure(ConnectFailure::Kind::kConfig, e.what());
    }
  }
  return quic_tls_;
}

asio::awaitable<std::shared_ptr<ClientConnection>> ClientConnector::connect_tcp() {
  const net::ClientTlsContext* tls = options_.tls ? &tcp_tls() : nullptr;
  std::unique_ptr<net::ByteStream> stream;
  net::ConnectTimes times;
  try {
    // connect_tcp tries each resolved address in turn.
    stream = co_await net::connect_tcp(io_.get_executor(), options_.host, options_.port, tls,
                                       options_.server_name, options_.connect_timeout, &times);
  } catch (const std::exception& e) {
    throw ConnectFailure(ConnectFailure::Kind::kUnavailable, e.what());
  }
  // TLS: ALPN decides. Plaintext: HTTP/1.1 unless told HTTP/2 (h2c, prior knowledge).
  bool http2 = options_.tls ? stream->peer().alpn == "h2" : options_.version == HttpVersion::kHttp2;
  if (options_.version == HttpVersion::kHttp2 && !http2) {
    throw ConnectFailure(ConnectFailure::Kind::kUnavailable,
                         options_.authority + " did not agree to HTTP/2");
  }
  std::shared_ptr<ClientConnection> connection;
  if (http2) {
    Http2ClientOptions h2;
    h2.keepalive_time = keepalive_time_;
    // connect_tcp's timeout ends with TCP and TLS: the server's SETTINGS get as long.
    h2.handshake_timeout = options_.connect_timeout;
    try {
      connection = Http2ClientConnection::start(std::move(stream), h2);
    } catch (const std::exception& e) {
      throw ConnectFailure(ConnectFailure::Kind::kUnavailable, e.what());
    }
  } else {
    connection = Http1ClientConnection::start(std::move(stream));
  }
  connection->timeline.connected = times.connected;
  if (tls != nullptr) connection->timeline.secured = times.secured;
  co_return connection;
}

asio::awaitable<std::shared_ptr<ClientConnection>> ClientConnector::connect_http3(
    std::uint16_t port, std::chrono::milliseconds handshake_timeout) {
  if (!options_.tls) {
    throw ConnectFailure(ConnectFailure::Kind::kConfig, "HTTP/3 needs an https:// target");
  }
  net::quic::QuicClientParams params;
  params.tls = quic_tls();
  params.server_name = options_.server_name.empty() ? options_.host : options_.server_name;
  params.resumption = resumption_;
  params.early_data = options_.early_data;
  Http3ClientOptions h3;
  h3.quic.keepalive = keepalive_time_;
  if (handshake_timeout.count() > 0) h3.quic.handshake_timeout = handshake_timeout;
  auto open = [&](const asio::ip::udp::endpoint& remote) -> std::shared_ptr<ClientConnection> {
    try {
      return Http3ClientConnection::connect(io_, remote, params, h3);
    } catch (const std::exception& e) {
      throw ConnectFailure(ConnectFailure::Kind::kUnavailable, std::string("HTTP/3: ") + e.what());
    }
  };
  // A resumed session goes where the last one went: its 0-RTT requests
  // leave with the first flight, before any handshake could say whether an
  // address works.
  if (last_udp_ && last_udp_->port() == port && resumption_->usable()) co_return open(*last_udp_);

  asio::ip::udp::resolver resolver(io_);
  auto [ec, results] = co_await resolver.async_resolve(
      options_.host, std::to_string(port), asio::experimental::as_tuple(asio::use_awaitable));
  if (ec || results.empty()) {
    throw ConnectFailure(
        ConnectFailure::Kind::kUnavailable,
        "resolve " + options_.host + ": " + (ec ? ec.message() : std::string("no addresses")));
  }
  // Addresses in the resolver's order; each but the last must complete its
  // handshake before we settle on it.
  std::vector<asio::ip::udp::endpoint> addresses;
  for (const auto& entry : results) addresses.push_back(entry.endpoint());
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    auto connection = open(addresses[i]);
    bool last = i + 1 == addresses.size();
    if (last || co_await connection->wait_connected()) {
      last_udp_ = addresses[i];
      co_return connection;
    }
    connection->close();
  }
  throw ConnectFailure(ConnectFailure::Kind::kUnavailable, "HTTP/3: no address answered");
}

}  // namespace triplex::http
