#pragma once
// Pieces the HTTP/1.1, HTTP/2 and HTTP/3 tests share for their in-process
// test applications (route_table.h): an EventLog through which handlers
// report what they saw to the test thread, query-string numbers, small
// Exchange helpers, and a field lookup for responses parsed by hand.
//
// Concurrency: EventLog is thread-safe (handlers run on server threads, the
// test waits on its own); the rest are plain functions.
#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/http/exchange.h"

namespace triplex::http::testing {

class EventLog {
 public:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  bool wait_for(const std::string& event,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return contains_locked(event); });
  }
  bool contains(const std::string& event) {
    std::lock_guard lock(mutex_);
    return contains_locked(event);
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  bool contains_locked(const std::string& event) const {
    for (const auto& e : events_) {
      if (e == event) return true;
    }
    return false;
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

// Query parameter `key` of a path as a number (0 when absent).
inline std::size_t query_number(const std::string& path, const std::string& key) {
  auto q = path.find('?');
  if (q == std::string::npos) return 0;
  std::string query = "&" + path.substr(q + 1);
  auto at = query.find("&" + key + "=");
  if (at == std::string::npos) return 0;
  return std::strtoul(query.c_str() + at + key.size() + 2, nullptr, 10);
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

inline asio::awaitable<std::string> read_all(Exchange& ex) {
  std::string body;
  while (co_await ex.read(body)) {
  }
  co_return body;
}

inline ResponseHead head_with(int status,
                              std::initializer_list<std::pair<const char*, std::string>> fields) {
  ResponseHead head;
  head.status = status;
  for (const auto& [name, value] : fields) head.headers.add(name, value);
  return head;
}

// The first field called `name` (lowercase) among `fields`, or null.
inline const std::string* find_field(const std::vector<Header>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

}  // namespace triplex::http::testing
