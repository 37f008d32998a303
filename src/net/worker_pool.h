#pragma once
// Shared-nothing worker threads: each owns an io_context, and a connection
// lives on exactly one of them for its whole life, so connection state needs
// no locks.
#include <asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace triplex::net {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& context(std::size_t index) { return *contexts_[index]; }

  // Runs worker 0 on the calling thread and the others on new threads; returns
  // when every io_context has run out of work or stop() was called.
  void run();
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
};

}  // namespace triplex::net
