#include "src/rpc/channel_impl.h"

#include <algorithm>

#include <asio/ip/udp.hpp>
#include <asio/use_awaitable.hpp>
#include <stdexcept>

#include "src/http/h1/http1_client_connection.h"
#include "src/http/h2/http2_client_connection.h"
#include "src/http/h3/http3_client_connection.h"
#include "src/net/tcp_connector.h"
#include "src/rpc/alt_svc.h"
#include "src/rpc/client_call_impl.h"

namespace triplex {

std::shared_ptr<Channel> Channel::create(asio::io_context& io, const std::string& target,
                                         ChannelOptions options) {
  if (!options.compression.empty() && options.compression != "identity" &&
      wire::find_compressor(options.compression) == nullptr) {
    throw std::invalid_argument("unknown compression \"" + options.compression + "\"");
  }
  return std::make_shared<rpc::ChannelImpl>(io, rpc::parse_channel_target(target),
                                            std::move(options));
}

namespace rpc {
namespace {

// HTTP/1.1 carries one call at a time: calls beyond this many queue.
constexpr std::size_t kMaxHttp1Connections = 8;
// An HTTP/3 alternative that failed is not tried again for this long.
constexpr auto kAltSvcRetryAfter = std::chrono::minutes(5);
constexpr auto kAltSvcHandshakeTimeout = std::chrono::milliseconds(2000);

}  // namespace

ChannelImpl::ChannelImpl(asio::io_context& io, ChannelTarget target, ChannelOptions options)
    : io_(io),
      target_(std::move(target)),
      options_(std::move(options)),
      connect_ended_(io.get_executor()),
      resumption_(std::make_shared<net::quic::QuicResumption>()),
      keepalive_time_(options_.keepalive_time) {}

ChannelImpl::~ChannelImpl() { close(); }

std::unique_ptr<ClientCall> ChannelImpl::call(ClientMethod method, CallOptions options) {
  return std::make_unique<ClientCallImpl>(shared_from_this(), std::move(method),
                                          std::move(options));
}

void ChannelImpl::close() {
  for (auto& c : pool_) c->close();
  pool_.clear();
}

ClientProtocol ChannelImpl::protocol() const {
  switch (options_.protocol) {
    case RpcProtocol::kGrpc:
      return ClientProtocol::kGrpc;
    case RpcProtocol::kGrpcWeb:
      return ClientProtocol::kGrpcWeb;
    case RpcProtocol::kConnect:
      break;
  }
  return ClientProtocol::kConnect;
}

ClientCallSpec ChannelImpl::spec_for(const ClientMethod& method, const CallOptions& options) {
  ClientCallSpec spec;
  spec.path = method.path;
  spec.authority = target_.authority;
  spec.scheme = target_.scheme();
  spec.kind = method.kind;
  spec.use_get = options_.protocol == RpcProtocol::kConnect && options_.connect_get &&
                 method.no_side_effects && method.kind == RpcKind::kUnary;
  spec.codec = options_.json ? Codec::kJson : Codec::kProto;
  spec.compressor = wire::find_compressor(options_.compression);
  spec.metadata = options.metadata;
  spec.max_receive_message_size = options_.max_receive_message_size;
  spec.user_agent = options_.user_agent;
  if (options_.http_version == HttpVersion::kAuto && options_.follow_alt_svc && target_.tls) {
    spec.on_response_head = [weak = weak_from_this()](const http::ResponseHead& head) {
      if (auto self = weak.lock()) self->on_response_head(head);
    };
  }
  return spec;
}

void ChannelImpl::on_response_head(const http::ResponseHead& head) {
  const std::string* field = head.headers.find("alt-svc");
  if (field == nullptr) return;
  auto offer = parse_alt_svc_h3(*field, target_.host);
  if (!offer) return;
  if (offer->clear) {
    alt_h3_port_.reset();
    return;
  }
  alt_h3_port_ = offer->port;
  alt_h3_expires_ = std::chrono::steady_clock::now() + offer->max_age;
}

void ChannelImpl::offer_http3(std::uint16_t port) {
  alt_h3_port_ = port;
  alt_h3_expires_ = std::chrono::steady_clock::now() + std::chrono::hours(24);
}

bool ChannelImpl::http3_offered() const {
  auto now = std::chrono::steady_clock::now();
  return options_.http_version == HttpVersion::kAuto && target_.tls && alt_h3_port_ &&
         now < alt_h3_expires_ && now >= alt_h3_broken_until_;
}

std::shared_ptr<http::ClientConnection> ChannelImpl::pick() {
  std::erase_if(pool_, [this](const auto& c) {
    if (c->is_open()) return false;
    // A server that found our pings too many: ping half as often from now on.
    auto* h2 = dynamic_cast<http::Http2ClientConnection*>(c.get());
    if (h2 != nullptr && h2->told_too_many_pings() && keepalive_time_.count() > 0) {
      keepalive_time_ *= 2;
    }
    return true;
  });
  if (http3_offered()) {
    // Calls move to HTTP/3; the TCP connections idle out.
    for (const auto& c : pool_) {
      if (std::string_view(c->version()) == "HTTP/3") return c;
    }
    return nullptr;
  }
  std::shared_ptr<http::ClientConnection> least;
  for (const auto& c : pool_) {
    bool multiplexed = std::string_view(c->version()) != "HTTP/1.1";
    if (multiplexed || c->active_requests() == 0) return c;
    if (!least || c->active_requests() < least->active_requests()) least = c;
  }
  // Every HTTP/1.1 connection is busy: queue on the least busy at the limit.
  if (least && pool_.size() >= kMaxHttp1Connections) return least;
  return nullptr;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::acquire(
    const ClientMethod& method) {
  if (http3_offered()) {
    // An Alt-Svc offer is only a hint: when HTTP/3 does not get through,
    // stay on TCP for a while and carry on there.
    std::shared_ptr<http::ClientConnection> connection;
    try {
      connection = pick();
      if (!connection) connection = co_await open_connection();
      if (co_await connection->wait_connected()) co_return connection;
      std::erase(pool_, connection);
    } catch (const Error&) {
    } catch (const std::system_error& e) {
      if (e.code() == asio::error::operation_aborted) throw;  // the call ended
    }
    alt_h3_broken_until_ = std::chrono::steady_clock::now() + kAltSvcRetryAfter;
  }
  auto connection = pick();
  if (!connection) connection = co_await open_connection();
  if (!method.no_side_effects || !options_.early_data) {
    // Not safe to replay: never sent as 0-RTT, so wait for the handshake.
    bool connected = co_await connection->wait_connected();
    if (!connected) {
      std::erase(pool_, connection);
      std::string why = connection->failure();
      if (why.empty()) why = "the handshake did not complete";
      throw Error(Code::kUnavailable, "cannot connect to " + target_.authority + " over " +
                                          connection->version() + ": " + why);
    }
  }
  co_return connection;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::open_connection() {
  // HTTP/1.1 takes one request per connection: those open side by side.
  auto is_http1 = [](const auto& c) { return std::string_view(c->version()) == "HTTP/1.1"; };
  auto must_wait = [&] {
    if (connects_in_flight_ == 0) return false;
    bool may_share = options_.http_version != HttpVersion::kHttp1 &&
                     std::none_of(pool_.begin(), pool_.end(), is_http1);
    return may_share || pool_.size() + connects_in_flight_ >= kMaxHttp1Connections;
  };
  // Wait for the connection being opened, or for a place under the limit.
  while (must_wait()) {
    std::uint64_t attempt = connect_attempts_;
    co_await connect_ended_.wait();
    if (auto connection = pick()) co_return connection;
    // The attempt we waited for failed: so do we, the same way.
    if (failed_attempt_ == attempt) std::rethrow_exception(connect_failure_);
  }
  ++connects_in_flight_;
  std::uint64_t attempt = ++connect_attempts_;
  std::shared_ptr<http::ClientConnection> connection;
  try {
    connection = co_await connect();
  } catch (...) {
    --connects_in_flight_;
    failed_attempt_ = attempt;
    connect_failure_ = std::current_exception();
    connect_ended_.notify();
    throw;
  }
  pool_.push_back(connection);
  --connects_in_flight_;
  connect_ended_.notify();
  co_return connection;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::connect() {
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<http::ClientConnection> connection;
  if (options_.http_version == HttpVersion::kHttp3) {
    connection = co_await connect_http3(target_.port, options_.connect_timeout);
  } else if (http3_offered()) {
    // Quick to give up: TCP is there to fall back on.
    connection = co_await connect_http3(
        *alt_h3_port_, std::min(options_.connect_timeout, kAltSvcHandshakeTimeout));
  } else {
    connection = co_await connect_tcp();
  }
  connection->timeline.started = started;
  co_return connection;
}

const net::ClientTlsContext& ChannelImpl::tcp_tls() {
  if (!tcp_tls_) {
    net::ClientTlsOptions tls;
    tls.ca_file = options_.tls.ca_file;
    tls.insecure = options_.tls.insecure;
    tls.cert_file = options_.tls.cert_file;
    tls.key_file = options_.tls.key_file;
    if (options_.http_version == HttpVersion::kHttp2) tls.alpn = {"h2"};
    if (options_.http_version == HttpVersion::kHttp1) tls.alpn = {"http/1.1"};
    try {
      tcp_tls_ = std::make_shared<const net::ClientTlsContext>(tls);
    } catch (const std::exception& e) {
      throw Error(Code::kInvalidArgument, e.what());
    }
  }
  return *tcp_tls_;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::connect_tcp() {
  const net::ClientTlsContext* tls = target_.tls ? &tcp_tls() : nullptr;
  std::unique_ptr<net::ByteStream> stream;
  net::ConnectTimes times;
  try {
    stream = co_await net::connect_tcp(io_.get_executor(), target_.host, target_.port, tls,
                                       options_.tls.server_name, options_.connect_timeout, &times);
  } catch (const std::exception& e) {
    throw Error(Code::kUnavailable, e.what());
  }
  // TLS: ALPN decides. Plaintext: HTTP/1.1 unless told HTTP/2 (h2c, prior knowledge).
  bool http2 =
      target_.tls ? stream->peer().alpn == "h2" : options_.http_version == HttpVersion::kHttp2;
  if (options_.http_version == HttpVersion::kHttp2 && !http2) {
    throw Error(Code::kUnavailable, target_.authority + " did not agree to HTTP/2");
  }
  std::shared_ptr<http::ClientConnection> connection;
  if (http2) {
    http::Http2ClientOptions h2;
    h2.keepalive_time = keepalive_time_;
    // connect_tcp's timeout ends with TCP and TLS: the server's SETTINGS get as long.
    h2.handshake_timeout = options_.connect_timeout;
    connection = http::Http2ClientConnection::start(std::move(stream), h2);
  } else {
    connection = http::Http1ClientConnection::start(std::move(stream));
  }
  connection->timeline.connected = times.connected;
  if (tls != nullptr) connection->timeline.secured = times.secured;
  co_return connection;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::connect_http3(
    std::uint16_t port, std::chrono::milliseconds handshake_timeout) {
  if (!target_.tls) throw Error(Code::kInvalidArgument, "HTTP/3 needs an https:// target");
  if (!quic_tls_) {
    net::quic::QuicClientTlsOptions tls;
    tls.ca_file = options_.tls.ca_file;
    tls.insecure = options_.tls.insecure;
    tls.cert_file = options_.tls.cert_file;
    tls.key_file = options_.tls.key_file;
    try {
      quic_tls_ = std::make_shared<const net::quic::QuicClientTlsContext>(tls);
    } catch (const std::exception& e) {
      throw Error(Code::kInvalidArgument, e.what());
    }
  }
  asio::ip::udp::resolver resolver(io_);
  auto service = std::to_string(port);
  auto results = co_await resolver.async_resolve(target_.host, service, asio::use_awaitable);
  if (results.empty()) throw Error(Code::kUnavailable, "cannot resolve " + target_.host);
  net::quic::QuicClientParams params;
  params.tls = quic_tls_;
  params.server_name = options_.tls.server_name.empty() ? target_.host : options_.tls.server_name;
  params.resumption = resumption_;
  params.early_data = options_.early_data;
  http::Http3ClientOptions h3;
  h3.quic.keepalive = options_.keepalive_time;
  if (handshake_timeout.count() > 0) h3.quic.handshake_timeout = handshake_timeout;
  try {
    co_return http::Http3ClientConnection::connect(io_, results.begin()->endpoint(), params, h3);
  } catch (const std::exception& e) {
    throw Error(Code::kUnavailable, std::string("HTTP/3: ") + e.what());
  }
}

}  // namespace rpc
}  // namespace triplex
