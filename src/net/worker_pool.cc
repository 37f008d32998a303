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
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::run() {
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads_.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
  }
  contexts_[0]->run();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::stop() {
  for (auto& ctx : contexts_) ctx->stop();
}

}  // namespace triplex::net
