#include "src/gateway/health_checker.h"

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "grpc/health/v1/health.pb.h"
#include "triplex/log.h"

namespace triplex::gateway {
namespace {

asio::awaitable<bool> check_once(Channel& channel, const HealthCheckConfig& check) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(check.service);
  grpc::health::v1::HealthCheckResponse response;
  CallOptions options;
  options.timeout = check.timeout;
  // Kept out of the co_await expression: GCC 12 mishandles temporaries there.
  ClientMethod method{"/grpc.health.v1.Health/Check", RpcKind::kUnary, true};
  try {
    Status status = co_await channel.unary(std::move(method), request, response, options);
    co_return status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  } catch (const std::exception&) {
    co_return false;
  }
}

asio::awaitable<void> check_loop(std::shared_ptr<Cluster> cluster, Endpoint& endpoint,
                                 std::shared_ptr<Channel> channel) {
  const HealthCheckConfig& check = *cluster->config().health_check;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  int good = 0;
  int bad = 0;
  for (;;) {
    bool ok = co_await check_once(*channel, check);
    good = ok ? good + 1 : 0;
    bad = ok ? 0 : bad + 1;
    if (endpoint.healthy() && bad >= check.unhealthy_threshold) {
      endpoint.set_healthy(false);
      log_message(LogLevel::kWarn, "upstream failed its health check",
                  {{"cluster", cluster->name()}, {"endpoint", endpoint.url()}});
    } else if (!endpoint.healthy() && good >= check.healthy_threshold) {
      endpoint.set_healthy(true);
      log_message(LogLevel::kInfo, "upstream is healthy again",
                  {{"cluster", cluster->name()}, {"endpoint", endpoint.url()}});
    }
    timer.expires_after(check.interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

// A check loop only ends by throwing: say so, unless the gateway is stopping.
void report_stopped(const std::string& url, const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::system_error& e) {
    if (e.code() == asio::error::operation_aborted) return;
    log_message(LogLevel::kError, "health checks stopped", {{"endpoint", url}, {"what", e.what()}});
  } catch (const std::exception& e) {
    log_message(LogLevel::kError, "health checks stopped", {{"endpoint", url}, {"what", e.what()}});
  }
}

}  // namespace

HealthChecker::HealthChecker(asio::io_context& io,
                             const std::vector<std::shared_ptr<Cluster>>& clusters)
    : io_(io), clusters_(clusters) {}

void HealthChecker::start() {
  for (const auto& cluster : clusters_) {
    if (!cluster->config().health_check) continue;
    for (const auto& endpoint : cluster->endpoints()) {
      // Its own Channel: checks must not queue behind (or count as) traffic.
      auto channel = Channel::create(io_, endpoint->url(), endpoint->options());
      asio::co_spawn(io_, check_loop(cluster, *endpoint, std::move(channel)),
                     [url = endpoint->url()](const std::exception_ptr& failure) {
                       if (failure) report_stopped(url, failure);
                     });
    }
  }
}

}  // namespace triplex::gateway
