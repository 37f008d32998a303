#pragma once
// Waiting for something a timer will make true (a health check, an idle
// timeout): poll it until it holds or a generous deadline passes, rather than
// sleeping a guessed time that is too short on a loaded machine and too long
// everywhere else.
#include <chrono>
#include <thread>

namespace triplex::testing {

template <typename Done>
bool eventually(Done done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace triplex::testing
