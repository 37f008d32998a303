#include "src/gateway/cluster.h"

#include <limits>

namespace triplex::gateway {

Endpoint::Endpoint(const EndpointConfig& endpoint, const ClusterConfig& cluster) {
  bool tls = endpoint.scheme != UpstreamScheme::kH2c;
  url_ = (tls ? "https://" : "http://") + endpoint.authority;
  options_.protocol = RpcProtocol::kGrpc;
  options_.http_version =
      endpoint.scheme == UpstreamScheme::kH3 ? HttpVersion::kHttp3 : HttpVersion::kHttp2;
  options_.follow_alt_svc = false;
  options_.tls.insecure = cluster.insecure;
  options_.tls.ca_file = cluster.ca_file;
  options_.connect_timeout = cluster.connect_timeout;
  // Downstream limits apply per route; the upstream side only guards memory.
  options_.max_receive_message_size = 64 * 1024 * 1024;
  options_.early_data = false;
  options_.user_agent = std::string("triplex-proxy/") + kVersion;
}

std::shared_ptr<Channel> Endpoint::channel_for(asio::io_context& io, RpcProtocol protocol,
                                               bool json, std::string_view compression) {
  std::lock_guard lock(mutex_);
  auto& channel = channels_[ChannelKey{&io, protocol, json, std::string(compression)}];
  if (!channel) {
    ChannelOptions options = options_;
    options.protocol = protocol;
    options.json = json;
    options.compression = compression;
    channel = Channel::create(io, url_, options);
  }
  return channel;
}

void Endpoint::release_channels() {
  std::lock_guard lock(mutex_);
  channels_.clear();
}

Cluster::Cluster(ClusterConfig config) : config_(std::move(config)) {
  for (const auto& e : config_.endpoints) {
    endpoints_.push_back(std::make_unique<Endpoint>(e, config_));
  }
}

void Cluster::release_channels() {
  for (auto& e : endpoints_) e->release_channels();
}

std::size_t Cluster::healthy_count() const {
  std::size_t n = 0;
  for (const auto& e : endpoints_) n += e->healthy() ? 1 : 0;
  return n;
}

Endpoint& Cluster::pick() {
  bool any_healthy = healthy_count() > 0;
  std::size_t size = endpoints_.size();
  // Each pick starts one further along, so ties spread round robin.
  std::size_t start = next_.fetch_add(1, std::memory_order_relaxed);
  Endpoint* best = nullptr;
  for (std::size_t i = 0; i < size; ++i) {
    Endpoint& e = *endpoints_[(start + i) % size];
    if (any_healthy && !e.healthy()) continue;
    if (config_.balance == Balance::kRoundRobin) return e;
    if (best == nullptr || e.in_flight() < best->in_flight()) best = &e;
  }
  return *best;
}

}  // namespace triplex::gateway
