#pragma once
// Driving an io_context from the test thread: until a condition holds, for a
// while, or until a coroutine completes (its result returned, its exception
// rethrown). Every wait has a timeout, so a broken test fails instead of
// hanging.
//
// Concurrency: call from the one thread that runs `io`.
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>

namespace triplex::testing {

// Runs `io` until `done()` or the timeout; false on timeout.
template <typename Done>
bool run_until(asio::io_context& io, Done done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  io.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Lets `io` run for `duration` (timers and I/O in flight make progress).
inline void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  run_until(
      io, [] { return false; }, duration);
}

// Runs `task` to completion on `io`; rethrows what it threw. Throws
// std::runtime_error after `timeout`.
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task,
      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  struct Outcome {
    std::optional<T> value;
    std::exception_ptr error;
    bool done = false;
  };
  auto outcome = std::make_shared<Outcome>();
  asio::co_spawn(io, std::move(task), [outcome](std::exception_ptr e, T value) {
    outcome->error = e;
    if (!e) outcome->value = std::move(value);
    outcome->done = true;
  });
  if (!run_until(
          io, [&] { return outcome->done; }, timeout)) {
    throw std::runtime_error("test task timed out");
  }
  if (outcome->error) std::rethrow_exception(outcome->error);
  return std::move(*outcome->value);
}

}  // namespace triplex::testing
