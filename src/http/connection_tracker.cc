#include "src/http/connection_tracker.h"

#include <asio/post.hpp>

namespace triplex::http {

void ConnectionTracker::track(const std::shared_ptr<ServerConnection>& connection) {
  if (!connection) return;
  ++open_;
  connection->on_closed = [self = shared_from_this()](ServerConnection* closed) {
    self->closed(closed);
  };
  bool drain_now = false;
  {
    std::lock_guard lock(mutex_);
    connections_.insert(connection);
    drain_now = draining_;
  }
  if (drain_now) connection->drain();
}

void ConnectionTracker::closed(ServerConnection* connection) {
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end(); ++it) {
      if (it->get() == connection) {
        // Destroy after the callback returns: the connection is still on the stack.
        asio::post(connection->executor(), [c = *it] {});
        connections_.erase(it);
        break;
      }
    }
  }
  --open_;
  maybe_drained();
}

void ConnectionTracker::drain() {
  draining_ = true;
  {
    std::lock_guard lock(mutex_);
    for (const auto& connection : connections_) {
      // Each connection is drained on its own worker.
      asio::post(connection->executor(), [c = connection] { c->drain(); });
    }
  }
  maybe_drained();
}

void ConnectionTracker::when_drained(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    on_drained_ = std::move(callback);
  }
  maybe_drained();
}

void ConnectionTracker::maybe_drained() {
  std::function<void()> callback;
  {
    std::lock_guard lock(mutex_);
    if (!draining_ || open_.load() != 0 || !on_drained_) return;
    callback = std::move(on_drained_);
    on_drained_ = nullptr;
  }
  callback();
}

}  // namespace triplex::http
