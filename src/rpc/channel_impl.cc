#include "src/rpc/channel_impl.h"

#include <algorithm>
#include <stdexcept>

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

http::ConnectorOptions connector_options(const ChannelTarget& target,
                                         const ChannelOptions& options) {
  http::ConnectorOptions o;
  o.host = target.host;
  o.port = target.port;
  o.authority = target.authority;
  o.tls = target.tls;
  o.version = options.http_version;
  o.follow_alt_svc = options.follow_alt_svc;
  o.ca_file = options.tls.ca_file;
  o.insecure = options.tls.insecure;
  o.cert_file = options.tls.cert_file;
  o.key_file = options.tls.key_file;
  o.server_name = options.tls.server_name;
  o.early_data = options.early_data;
  o.connect_timeout = options.connect_timeout;
  o.keepalive_time = options.keepalive_time;
  return o;
}

// The one place a connection failure becomes a status.
Error connect_error(const http::ConnectFailure& failure) {
  return Error(failure.kind == http::ConnectFailure::Kind::kConfig ? Code::kInvalidArgument
                                                                   : Code::kUnavailable,
               failure.what());
}

}  // namespace

ChannelImpl::ChannelImpl(asio::io_context& io, ChannelTarget target, ChannelOptions options)
    : io_(io),
      target_(std::move(target)),
      options_(std::move(options)),
      connect_ended_(io.get_executor()),
      connector_(io, connector_options(target_, options_)) {}

ChannelImpl::~ChannelImpl() { close(); }

std::unique_ptr<ClientCall> ChannelImpl::call(ClientMethod method, CallOptions options) {
  return std::make_unique<ClientCallImpl>(shared_from_this(), std::move(method),
                                          std::move(options));
}

void ChannelImpl::close() {
  for (auto& c : pool_) c->close();
  pool_.clear();
}

ClientCallSpec ChannelImpl::spec_for(const ClientMethod& method, const CallOptions& options) {
  ClientCallSpec spec;
  spec.path = method.path;
  spec.authority = target_.authority;
  spec.scheme = target_.scheme();
  spec.kind = method.kind;
  spec.get_allowed = options_.connect_get && method.no_side_effects;
  spec.codec = options_.json ? Codec::kJson : Codec::kProto;
  spec.compressor = wire::find_compressor(options_.compression);
  spec.metadata = options.metadata;
  spec.max_receive_message_size = options_.max_receive_message_size;
  spec.user_agent = options_.user_agent;
  if (connector_.wants_response_heads()) {
    spec.on_response_head = [weak = weak_from_this()](const http::ResponseHead& head) {
      if (auto self = weak.lock()) self->connector_.on_response_head(head);
    };
  }
  return spec;
}

void ChannelImpl::offer_http3(std::uint16_t port) { connector_.offer_http3(port); }

std::shared_ptr<http::ClientConnection> ChannelImpl::pick() {
  std::erase_if(pool_, [this](const auto& c) {
    if (c->is_open()) return false;
    connector_.on_connection_ended(*c);
    return true;
  });
  if (connector_.http3_offered()) {
    // Calls move to HTTP/3; the TCP connections idle out.
    for (const auto& c : pool_) {
      if (c->version() == HttpVersion::kHttp3) return c;
    }
    return nullptr;
  }
  std::shared_ptr<http::ClientConnection> least;
  for (const auto& c : pool_) {
    if (c->multiplexed() || c->active_requests() == 0) return c;
    if (!least || c->active_requests() < least->active_requests()) least = c;
  }
  // Every HTTP/1.1 connection is busy: queue on the least busy at the limit.
  if (least && pool_.size() >= kMaxHttp1Connections) return least;
  return nullptr;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::acquire(
    const ClientMethod& method) {
  if (connector_.http3_offered()) {
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
    connector_.http3_failed();
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
                                          std::string(http_version_name(connection->version())) +
                                          ": " + why);
    }
  }
  co_return connection;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::open_connection() {
  // HTTP/1.1 takes one request per connection: those open side by side.
  auto is_http1 = [](const auto& c) { return !c->multiplexed(); };
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
  try {
    co_return co_await connector_.connect();
  } catch (const http::ConnectFailure& failure) {
    throw connect_error(failure);
  }
}

}  // namespace rpc
}  // namespace triplex
