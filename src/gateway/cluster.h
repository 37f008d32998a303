#pragma once
// An upstream cluster at run time: its endpoints, each with a Channel per
// worker (a Channel lives on one io_context and pools its connections), a
// health flag the health checker sets, and the calls in flight that
// least-request balancing counts.
//
// Concurrency: pick() and channel_for() are called from every worker;
// counters are atomics, the channel map takes a mutex once per call.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/gateway/config.h"
#include "triplex/client.h"

namespace triplex::gateway {

class Endpoint {
 public:
  Endpoint(const EndpointConfig& endpoint, const ClusterConfig& cluster);
  const std::string& url() const { return url_; }
  const ChannelOptions& options() const { return options_; }
  // The worker's Channel for calls in `protocol`, with JSON or binary
  // messages, compressed with `compression` ("" for none).
  std::shared_ptr<Channel> channel_for(asio::io_context& io, RpcProtocol protocol, bool json,
                                       std::string_view compression);
  // Drops the channels, while the io_contexts they live on still exist.
  void release_channels();

  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  void set_healthy(bool healthy) { healthy_.store(healthy, std::memory_order_relaxed); }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  // Counts a call for least-request balancing while it lives.
  class CallScope {
   public:
    explicit CallScope(Endpoint& e) : endpoint_(e) { endpoint_.in_flight_.fetch_add(1); }
    ~CallScope() { endpoint_.in_flight_.fetch_sub(1); }
    CallScope(const CallScope&) = delete;
    CallScope& operator=(const CallScope&) = delete;

   private:
    Endpoint& endpoint_;
  };

 private:
  std::string url_;
  ChannelOptions options_;
  std::atomic<bool> healthy_{true};
  std::atomic<int> in_flight_{0};
  std::mutex mutex_;
  struct ChannelKey {
    asio::io_context* io;
    RpcProtocol protocol;
    bool json;
    std::string compression;
    bool operator==(const ChannelKey&) const = default;
  };
  struct ChannelKeyHash {
    std::size_t operator()(const ChannelKey& k) const {
      return std::hash<void*>()(k.io) ^ (static_cast<std::size_t>(k.protocol) << 1) ^ k.json ^
             (std::hash<std::string>()(k.compression) << 3);
    }
  };
  std::unordered_map<ChannelKey, std::shared_ptr<Channel>, ChannelKeyHash> channels_;
};

class Cluster {
 public:
  explicit Cluster(ClusterConfig config);
  const std::string& name() const { return config_.name; }
  const ClusterConfig& config() const { return config_; }
  const std::vector<std::unique_ptr<Endpoint>>& endpoints() const { return endpoints_; }
  // The endpoint for the next call: among healthy endpoints, or among all
  // when none is healthy (as Envoy's panic mode: a wrong health check should
  // not take the whole cluster down).
  Endpoint& pick();
  std::size_t healthy_count() const;
  void release_channels();

 private:
  ClusterConfig config_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace triplex::gateway
