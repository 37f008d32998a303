#pragma once
// Completion handlers for asio::co_spawn in place of asio::detached, which
// drops an exception and leaves whatever the coroutine served hanging (a
// connection whose read loop died, its requests waiting out their deadlines
// and the drain). A coroutine that throws is logged, and `on_failure` ends
// what it served.
#include <exception>
#include <utility>

#include "src/log/log.h"

namespace triplex::net {

inline void log_exception(const char* what, const std::exception_ptr& failure) noexcept {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    TRIPLEX_LOG(LogLevel::kError, "internal task failed", {{"task", what}, {"what", e.what()}});
  } catch (...) {
    TRIPLEX_LOG(LogLevel::kError, "internal task failed", {{"task", what}});
  }
}

template <class OnFailure>
auto end_on_exception(const char* what, OnFailure on_failure) {
  return [what, on_failure = std::move(on_failure)](const std::exception_ptr& failure) mutable {
    if (!failure) return;
    log_exception(what, failure);
    on_failure();
  };
}

inline auto log_on_exception(const char* what) {
  return [what](const std::exception_ptr& failure) {
    if (failure) log_exception(what, failure);
  };
}

}  // namespace triplex::net
