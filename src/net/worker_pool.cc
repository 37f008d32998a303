#include "src/net/worker_pool.h"

namespace triplex::net {

WorkerPool::WorkerPool(std::size_t workers) {
  if (workers == 0) workers = 1;
  for (std::size_t i = 0; i < workers; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
  }
}

WorkerPool::~WorkerPool() {
  stop();
  join();
}

void WorkerPool::run() {
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads_.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
  }
  contexts_[0]->run();
  join();
}

void WorkerPool::start() {
  for (auto& ctx : contexts_) {
    work_.push_back(asio::make_work_guard(*ctx));
    threads_.emplace_back([ctx = ctx.get()] { ctx->run(); });
  }
}

void WorkerPool::join() {
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    // A worker that ends the pool from inside cannot wait for itself.
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
  threads_.clear();
}

void WorkerPool::stop() {
  std::lock_guard lock(stop_mutex_);  // a worker and the owner may both stop
  work_.clear();
  for (auto& ctx : contexts_) ctx->stop();
}

}  // namespace triplex::net
