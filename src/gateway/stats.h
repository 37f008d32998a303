#pragma once
// What `triplex proxy` counts about the calls it forwards, and their rendering
// in the Prometheus text exposition format (0.0.4) for a metrics endpoint.
//
// Concurrency: record() and prometheus() may be called from any thread. One
// mutex guards all of it; it is taken once per finished call, never per
// message, so it is contended only at the call rate.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "triplex/status.h"

namespace triplex::gateway {

// One finished call through the gateway, as the forwarder saw it. The views
// need only outlive the record()/write() call that reads them.
struct CallRecord {
  std::string_view listener;      // listener name from the config, e.g. "public"
  std::string_view http_version;  // downstream: "1.1", "2" or "3"
  std::string_view protocol;      // downstream: "grpc", "grpc-web" or "connect"
  std::string_view method;        // "/package.Service/Method"
  std::string_view cluster;       // upstream cluster name ("" when no route matched)
  std::string_view peer;          // downstream "ip:port"
  Code code = Code::kOk;
  std::string_view message;  // status message (for the access log)
  std::uint64_t request_messages = 0, response_messages = 0;
  std::uint64_t request_bytes = 0, response_bytes = 0;  // message payload bytes
  std::chrono::nanoseconds duration{};
  std::chrono::system_clock::time_point start;  // for the access log
};

class GatewayStats {
 public:
  // The method name comes from the peer, so the number of distinct `method`
  // label values is capped: calls to methods first seen past the cap are
  // counted under kOtherMethod, and memory stays bounded.
  static constexpr std::size_t kDefaultMaxMethods = 1000;
  // Not a valid method name (those start with '/'), so it cannot collide.
  static constexpr std::string_view kOtherMethod = "(other)";

  explicit GatewayStats(std::size_t max_methods = kDefaultMaxMethods) : max_methods_(max_methods) {}

  void record(const CallRecord& call);
  // The whole text exposition, series sorted by their labels.
  std::string prometheus() const;

  // Calls recorded so far.
  std::uint64_t total_calls() const;

 private:
  static constexpr std::size_t kCodes = 17;    // OK .. UNAUTHENTICATED
  static constexpr std::size_t kBuckets = 15;  // the finite bounds, then +Inf

  struct MethodStats {
    std::array<std::uint64_t, kCodes> calls_by_code{};
    std::uint64_t request_messages = 0, response_messages = 0;
    std::uint64_t request_bytes = 0, response_bytes = 0;
    // Per bucket, not cumulative: cumulated when rendered.
    std::array<std::uint64_t, kBuckets> duration_buckets{};
    std::uint64_t duration_sum_ns = 0;  // exact, so sums do not depend on order
  };
  // listener, http_version, protocol, code.
  using ListenerKey = std::tuple<std::string, std::string, std::string, Code>;
  using ClusterKey = std::tuple<std::string, Code>;
  // Orders keys of strings and lookups of string_views as tuples of views,
  // so a lookup builds no strings (and needs no mixed-type tuple compare).
  struct ViewLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return views(a) < views(b);
    }
    template <class Tuple>
    static auto views(const Tuple& t) {
      return std::apply([](const auto&... f) { return std::tuple{view(f)...}; }, t);
    }
    static std::string_view view(const std::string& s) { return s; }
    static std::string_view view(std::string_view s) { return s; }
    static Code view(Code c) { return c; }
  };

  MethodStats& method_stats(std::string_view method);

  const std::size_t max_methods_;
  mutable std::mutex mutex_;
  std::uint64_t total_calls_ = 0;
  std::map<std::string, MethodStats, std::less<>> methods_;
  std::map<ListenerKey, std::uint64_t, ViewLess> listener_calls_;
  std::map<ClusterKey, std::uint64_t, ViewLess> cluster_calls_;
};

}  // namespace triplex::gateway
