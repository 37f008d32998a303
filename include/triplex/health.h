#pragma once
/// @file
/// grpc.health.v1.Health: Check and Watch, with statuses set by the
/// application. "" is the whole server's status. Thread-safe.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "triplex/service.h"

namespace triplex {

class HealthService final : public Service {
 public:
  /// Values of grpc.health.v1.HealthCheckResponse.ServingStatus.
  enum ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

  HealthService();
  ~HealthService() override;

  /// Any thread; wakes every Watch on that service.
  void set_status(const std::string& service, ServingStatus status);
  /// Marks every service NOT_SERVING (for a draining server).
  void shutdown();

  std::string_view service_name() const override { return "grpc.health.v1.Health"; }
  std::vector<MethodDefinition> methods() override;

  struct Watchers;

 private:
  asio::awaitable<Status> check(ServerContext& context);
  asio::awaitable<Status> watch(ServerContext& context);
  ServingStatus status_of(const std::string& service) const;

  mutable std::mutex mutex_;
  std::map<std::string, ServingStatus> statuses_;
  std::unique_ptr<Watchers> watchers_;
};

}  // namespace triplex
