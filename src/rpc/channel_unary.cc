// Channel::unary: one request, one response, retried by the channel's
// RetryPolicy the way gRPC's service config describes (exponential backoff
// with full jitter; the call's timeout covers every attempt).
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <random>

#include "src/net/deadline.h"
#include "triplex/client.h"

namespace triplex {
namespace {

using Clock = std::chrono::steady_clock;

bool retryable(const RetryPolicy& policy, Code code) {
  for (Code c : policy.retryable_codes) {
    if (c == code) return true;
  }
  return false;
}

std::chrono::milliseconds jitter(std::chrono::milliseconds ceiling) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling.count(), 0));
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace

asio::awaitable<Status> Channel::unary(std::string path, const google::protobuf::Message& request,
                                       google::protobuf::Message& response, CallOptions options) {
  ClientMethod method;
  method.path = std::move(path);
  co_return co_await unary(std::move(method), request, response, std::move(options));
}

asio::awaitable<Status> Channel::unary(ClientMethod method,
                                       const google::protobuf::Message& request,
                                       google::protobuf::Message& response, CallOptions options) {
  std::optional<Clock::time_point> deadline;
  if (options.timeout) deadline = net::deadline_after(Clock::now(), *options.timeout);
  auto policy = retry_policy();
  int attempts = policy ? std::max(policy->max_attempts, 1) : 1;
  auto backoff = policy ? policy->initial_backoff : std::chrono::milliseconds(0);
  for (int attempt = 1;; ++attempt) {
    CallOptions this_try = options;
    if (deadline) {
      // Rounded up: the attempt must not end before the caller's deadline.
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      this_try.timeout = std::max(left, std::chrono::milliseconds(1));
    }
    auto call = this->call(method, std::move(this_try));
    co_await call->write(request);
    co_await call->writes_done();
    bool received = co_await call->read(response);
    Status status = co_await call->finish();
    if (status.ok() && !received) {
      status = Status(Code::kInternal, "the server sent no response message");
    }
    if (status.ok() || received || attempt >= attempts || !retryable(*policy, status.code)) {
      co_return status;
    }
    auto pause = jitter(backoff);
    if (deadline && Clock::now() + pause >= *deadline) co_return status;
    asio::steady_timer timer(co_await asio::this_coro::executor, pause);
    co_await timer.async_wait(asio::use_awaitable);
    backoff = std::min(
        std::chrono::duration_cast<std::chrono::milliseconds>(backoff * policy->backoff_multiplier),
        policy->max_backoff);
  }
}

}  // namespace triplex
