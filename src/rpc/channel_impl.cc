#include "src/rpc/channel_impl.h"

#include <asio/ip/udp.hpp>
#include <asio/use_awaitable.hpp>
#include <stdexcept>

#include "src/http/h3/http3_client_connection.h"
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

ChannelImpl::ChannelImpl(asio::io_context& io, ChannelTarget target, ChannelOptions options)
    : io_(io),
      target_(std::move(target)),
      options_(std::move(options)),
      resumption_(std::make_shared<net::quic::QuicResumption>()) {}

ChannelImpl::~ChannelImpl() { close(); }

std::unique_ptr<ClientCall> ChannelImpl::call(ClientMethod method, CallOptions options) {
  return std::make_unique<ClientCallImpl>(shared_from_this(), std::move(method),
                                          std::move(options));
}

void ChannelImpl::close() {
  if (connection_) connection_->close();
  connection_.reset();
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

ClientCallSpec ChannelImpl::spec_for(const ClientMethod& method, const CallOptions& options) const {
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
  return spec;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::acquire(
    const ClientMethod& method) {
  if (!connection_ || !connection_->is_open()) {
    connection_.reset();
    auto fresh = co_await connect();
    // Another call may have connected meanwhile: keep the first.
    if (!connection_ || !connection_->is_open()) connection_ = fresh;
  }
  auto connection = connection_;
  if (!method.no_side_effects || !options_.early_data) {
    bool connected = co_await connection->wait_connected();
    if (!connected) {
      if (connection_ == connection) connection_.reset();
      throw Error(Code::kUnavailable,
                  "cannot connect to " + target_.authority + " over " + connection->version());
    }
  }
  co_return connection;
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::connect() {
  switch (options_.http_version) {
    case HttpVersion::kHttp3:
      co_return co_await connect_http3();
    case HttpVersion::kAuto:
    case HttpVersion::kHttp1:
    case HttpVersion::kHttp2:
      break;
  }
  throw Error(Code::kUnimplemented, "this client speaks only HTTP/3 so far");
}

asio::awaitable<std::shared_ptr<http::ClientConnection>> ChannelImpl::connect_http3() {
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
  auto service = std::to_string(target_.port);
  auto results = co_await resolver.async_resolve(target_.host, service, asio::use_awaitable);
  if (results.empty()) throw Error(Code::kUnavailable, "cannot resolve " + target_.host);
  net::quic::QuicClientParams params;
  params.tls = quic_tls_;
  params.server_name = options_.tls.server_name.empty() ? target_.host : options_.tls.server_name;
  params.resumption = resumption_;
  params.early_data = options_.early_data;
  http::Http3ClientOptions h3;
  h3.quic.keepalive = options_.keepalive_time;
  try {
    co_return http::Http3ClientConnection::connect(io_, results.begin()->endpoint(), params, h3);
  } catch (const std::exception& e) {
    throw Error(Code::kUnavailable, std::string("HTTP/3: ") + e.what());
  }
}

}  // namespace rpc
}  // namespace triplex
