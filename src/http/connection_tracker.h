#pragma once
// The open connections of a server, TCP and QUIC alike: each is kept alive
// until it reports its close, drained on its own worker when the server
// drains (and at once if it arrives later), and counted, so the server
// learns the moment the last one has gone instead of polling.
//
// Concurrency: thread-safe. Connections report their close on their own
// workers; the drained callback runs on the worker of the last to close (or
// on the thread that asked, when nothing is open).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "src/http/server_connection.h"

namespace triplex::http {

class ConnectionTracker : public std::enable_shared_from_this<ConnectionTracker> {
 public:
  void track(const std::shared_ptr<ServerConnection>& connection);
  // Every open connection drains (GOAWAY, then closes once its streams end).
  void drain();
  bool draining() const { return draining_.load(); }
  std::size_t open() const { return open_.load(); }
  // Called once, when draining has begun and no connection is open.
  void when_drained(std::function<void()> callback);

 private:
  void closed(ServerConnection* connection);
  void maybe_drained();

  std::atomic<std::size_t> open_{0};
  std::atomic<bool> draining_{false};
  std::mutex mutex_;  // guards connections_ and on_drained_
  std::unordered_set<std::shared_ptr<ServerConnection>> connections_;
  std::function<void()> on_drained_;
};

}  // namespace triplex::http
