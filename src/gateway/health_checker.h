#pragma once
// Active health checks for the clusters that ask for them: every interval,
// grpc.health.v1.Health/Check on each endpoint; an endpoint leaves the
// rotation after `unhealthy_threshold` failures in a row (not SERVING, an
// error, no answer within the timeout) and returns after `healthy_threshold`
// successes. Endpoints start healthy, so traffic flows before the first round.
//
// Concurrency: runs on the io_context given (the gateway's control thread);
// it only writes the endpoints' atomic health flags.
#include <asio/io_context.hpp>
#include <memory>
#include <vector>

#include "src/gateway/cluster.h"

namespace triplex::gateway {

class HealthChecker {
 public:
  HealthChecker(asio::io_context& io, const std::vector<std::shared_ptr<Cluster>>& clusters);
  // Spawns a checking loop per endpoint; they stop with the io_context.
  void start();

 private:
  asio::io_context& io_;
  std::vector<std::shared_ptr<Cluster>> clusters_;
};

}  // namespace triplex::gateway
