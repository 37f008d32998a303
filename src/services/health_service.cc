#include "triplex/health.h"

#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <list>

#include "grpc/health/v1/health.pb.h"
#include "src/net/event.h"

namespace triplex {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// A Watch call parked on its own worker; woken by posting to that worker.
struct HealthService::Watchers {
  struct Entry {
    asio::any_io_executor executor;
    std::shared_ptr<net::Event> event;
  };
  std::list<Entry> entries;
};

HealthService::HealthService() : watchers_(std::make_unique<Watchers>()) {
  statuses_[""] = kServing;
}

HealthService::~HealthService() = default;

void HealthService::set_status(const std::string& service, ServingStatus status) {
  std::lock_guard lock(mutex_);
  statuses_[service] = status;
  for (const auto& w : watchers_->entries) {
    asio::post(w.executor, [event = w.event] { event->notify(); });
  }
}

void HealthService::shutdown() {
  std::lock_guard lock(mutex_);
  for (auto& [name, status] : statuses_) status = kNotServing;
  for (const auto& w : watchers_->entries) {
    asio::post(w.executor, [event = w.event] { event->notify(); });
  }
}

HealthService::ServingStatus HealthService::status_of(const std::string& service) const {
  std::lock_guard lock(mutex_);
  auto it = statuses_.find(service);
  return it == statuses_.end() ? kServiceUnknown : it->second;
}

asio::awaitable<Status> HealthService::check(ServerContext& context) {
  HealthCheckRequest request;
  if (!co_await context.read_message(request)) {
    co_return Status(Code::kInvalidArgument, "missing request");
  }
  ServingStatus status = status_of(request.service());
  if (status == kServiceUnknown) co_return Status(Code::kNotFound, "unknown service");
  HealthCheckResponse response;
  response.set_status(static_cast<HealthCheckResponse::ServingStatus>(status));
  co_await context.write_message(response);
  co_return Status();
}

asio::awaitable<Status> HealthService::watch(ServerContext& context) {
  HealthCheckRequest request;
  if (!co_await context.read_message(request)) {
    co_return Status(Code::kInvalidArgument, "missing request");
  }
  auto executor = co_await asio::this_coro::executor;
  auto changed = std::make_shared<net::Event>(executor);
  std::list<Watchers::Entry>::iterator self;
  {
    std::lock_guard lock(mutex_);
    self = watchers_->entries.insert(watchers_->entries.end(), {executor, changed});
  }
  struct Unregister {
    HealthService* service;
    std::list<Watchers::Entry>::iterator it;
    ~Unregister() {
      std::lock_guard lock(service->mutex_);
      service->watchers_->entries.erase(it);
    }
  } unregister{this, self};

  // Watch sends the current status, then one message per change.
  std::optional<ServingStatus> last;
  for (;;) {
    ServingStatus now = status_of(request.service());
    if (!last || *last != now) {
      HealthCheckResponse response;
      response.set_status(static_cast<HealthCheckResponse::ServingStatus>(now));
      co_await context.write_message(response);
      last = now;
    }
    co_await changed->wait();
  }
}

std::vector<MethodDefinition> HealthService::methods() {
  return {
      {"/grpc.health.v1.Health/Check", RpcKind::kUnary, true,
       [this](ServerContext& c) { return check(c); }},
      {"/grpc.health.v1.Health/Watch", RpcKind::kServerStreaming, false,
       [this](ServerContext& c) { return watch(c); }},
  };
}

}  // namespace triplex
