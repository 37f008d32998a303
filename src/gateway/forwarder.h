#pragma once
// The heart of `triplex proxy`: a fallback handler that routes every call it
// gets, whatever its protocol and HTTP version downstream, to an upstream
// cluster and forwards it as gRPC, piping the raw messages both ways and
// carrying metadata, the deadline (less the time already spent, capped by the
// route and cluster), and the upstream's headers, trailers and status back in
// the downstream protocol's own form. Each finished call goes to the stats
// and the access log.
//
// Concurrency: handlers run on the listeners' workers; clusters hand each
// worker its own upstream Channel; stats and the log are thread-safe.
#include <memory>
#include <string>
#include <vector>

#include "src/gateway/access_log.h"
#include "src/gateway/cluster.h"
#include "src/gateway/config.h"
#include "src/gateway/schemas.h"
#include "src/gateway/stats.h"
#include "triplex/proxy_context.h"
#include "triplex/service.h"

namespace triplex::gateway {

// What passed through one call, for stats and the access log.
struct Traffic {
  std::uint64_t request_messages = 0;
  std::uint64_t response_messages = 0;
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
};

struct Route {
  RouteConfig config;
  std::shared_ptr<Cluster> cluster;
};

class Forwarder : public std::enable_shared_from_this<Forwarder> {
 public:
  Forwarder(const GatewayConfig& config, std::shared_ptr<GatewayStats> stats,
            std::shared_ptr<AccessLog> access_log);
  // For Server::set_fallback_handler on the listener named `listener`.
  ProxyHandler handler(std::string listener);
  const std::vector<std::shared_ptr<Cluster>>& clusters() const { return clusters_; }
  // The first route whose prefix the method path starts with, or null.
  const Route* route_for(std::string_view method) const;

 private:
  // `listener` by value: a coroutine must not hold a reference to its caller's capture.
  asio::awaitable<Status> forward(ProxyContext& context, std::string listener);
  asio::awaitable<Status> forward_call(ProxyContext& context, const Route& route, Traffic& traffic);
  // The method's descriptor for a JSON call: from the descriptor sets, else
  // (if the cluster allows) the upstream's reflection. Null with `why` set.
  asio::awaitable<const google::protobuf::MethodDescriptor*> schema_for(std::string_view method,
                                                                        const Route& route,
                                                                        Channel& channel,
                                                                        std::string& why);

  std::vector<std::shared_ptr<Cluster>> clusters_;
  std::vector<Route> routes_;
  std::shared_ptr<GatewayStats> stats_;
  std::shared_ptr<AccessLog> access_log_;
  Schemas schemas_;
};

}  // namespace triplex::gateway
