#pragma once
// Shared-nothing worker threads: each owns an io_context, and a connection
// lives on exactly one of them for its whole life, so connection state needs
// no locks.
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace triplex::net {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t workers);
  // Stops the workers and joins their threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& context(std::size_t index) { return *contexts_[index]; }

  // Runs worker 0 on the calling thread and the others on new threads; returns
  // when every io_context has run out of work or stop() was called.
  void run();
  // Runs every worker on a thread of its own until stop(), and returns at once.
  void start();
  // After start(): blocks until every worker thread has returned.
  void join();
  void stop();

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<WorkGuard> work_;  // keeps idle workers running until stop()
  std::vector<std::thread> threads_;
  std::mutex stop_mutex_;
};

}  // namespace triplex::net
