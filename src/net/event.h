#pragma once
// A one-thread wake-up primitive for coroutines: a waiter parks in wait(),
// any code on the same executor calls notify(). Built on a timer that never
// expires so that waits also honour Asio's per-operation cancellation.
#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdint>

namespace triplex::net {

class Event {
 public:
  explicit Event(const asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(asio::steady_timer::time_point::max());
  }

  // Returns after the next notify(); a notify() with nobody waiting is kept
  // (one pending wake-up), so a waiter never misses one raised just before.
  // Any number may wait: a notify() wakes them all.
  asio::awaitable<void> wait() {
    if (pending_) {
      pending_ = false;
      co_return;
    }
    ++waiters_;
    auto generation = generation_;
    asio::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    --waiters_;
    if (generation_ != generation) co_return;  // notified
    // Cancellation of the awaiting coroutine surfaces as an exception.
    if (ec) throw asio::system_error(ec);
  }

  void notify() {
    if (waiters_ > 0) {
      ++generation_;  // tells the woken waiters from cancelled ones
      timer_.cancel();
    } else {
      pending_ = true;
    }
  }

 private:
  asio::steady_timer timer_;
  int waiters_ = 0;
  std::uint64_t generation_ = 0;
  bool pending_ = false;
};

}  // namespace triplex::net
