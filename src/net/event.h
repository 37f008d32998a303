#pragma once
// A one-thread wake-up primitive for coroutines: a waiter parks in wait(),
// any code on the same executor calls notify(). Built on a timer that never
// expires so that waits also honour Asio's per-operation cancellation.
#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace triplex::net {

class Event {
 public:
  explicit Event(const asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(asio::steady_timer::time_point::max());
  }

  // Returns after the next notify(); a notify() with nobody waiting is kept
  // (one pending wake-up), so a waiter never misses one raised just before.
  asio::awaitable<void> wait() {
    if (pending_) {
      pending_ = false;
      co_return;
    }
    waiting_ = true;
    asio::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    waiting_ = false;
    pending_ = false;
    timer_.expires_at(asio::steady_timer::time_point::max());
    // Cancellation of the awaiting coroutine surfaces as an exception.
    if (ec && !notified_) throw asio::system_error(ec);
    notified_ = false;
  }

  void notify() {
    if (waiting_) {
      notified_ = true;
      timer_.cancel();
    } else {
      pending_ = true;
    }
  }

 private:
  asio::steady_timer timer_;
  bool waiting_ = false;
  bool pending_ = false;
  bool notified_ = false;
};

}  // namespace triplex::net
