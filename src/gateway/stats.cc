#include "src/gateway/stats.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "src/wire/utf8.h"

namespace triplex::gateway {
namespace {

struct Bucket {
  std::int64_t upper_ns;  // inclusive, as Prometheus' `le` is
  std::string_view le;
};

// The finite bounds of the call-duration histogram; +Inf follows.
constexpr std::array<Bucket, 14> kDurationBuckets = {{
    {500'000, "0.0005"},
    {1'000'000, "0.001"},
    {2'500'000, "0.0025"},
    {5'000'000, "0.005"},
    {10'000'000, "0.01"},
    {25'000'000, "0.025"},
    {50'000'000, "0.05"},
    {100'000'000, "0.1"},
    {250'000'000, "0.25"},
    {500'000'000, "0.5"},
    {1'000'000'000, "1"},
    {2'500'000'000, "2.5"},
    {5'000'000'000, "5"},
    {10'000'000'000, "10"},
}};

std::size_t bucket_index(std::int64_t ns) {
  std::size_t i = 0;
  while (i < kDurationBuckets.size() && ns > kDurationBuckets[i].upper_ns) ++i;
  return i;  // kDurationBuckets.size() is +Inf
}

// An out-of-range value cast into Code counts as UNKNOWN, as code_name() names it.
Code normalized(Code code) {
  return static_cast<std::size_t>(code) <= static_cast<std::size_t>(Code::kUnauthenticated)
             ? code
             : Code::kUnknown;
}

// Adds one to the count under `key`, looked up without building a key of
// strings unless the series is new.
template <typename Map, typename Key>
void increment(Map& map, const Key& key) {
  auto it = map.lower_bound(key);
  if (it == map.end() || map.key_comp()(key, it->first)) {
    it = map.emplace_hint(it, typename Map::key_type(key), 0);
  }
  ++it->second;
}

// Exact decimal seconds from nanoseconds, e.g. 1500000 -> "0.0015".
std::string seconds_text(std::uint64_t ns) {
  std::string out = std::to_string(ns / 1'000'000'000);
  std::uint64_t fraction = ns % 1'000'000'000;
  if (fraction == 0) return out;
  std::string digits = std::to_string(fraction);
  digits.insert(0, 9 - digits.size(), '0');
  digits.erase(digits.find_last_not_of('0') + 1);
  return out + "." + digits;
}

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// Label values escape backslash, double quote and line feed (format 0.0.4).
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_sample(std::string& out, std::string_view name, Labels labels, std::string_view value) {
  out.append(name);
  if (labels.size() != 0) {
    out += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) out += ',';
      first = false;
      out.append(label).append("=\"");
      append_label_value(out, label_value);
      out += '"';
    }
    out += '}';
  }
  out.append(" ").append(value).append("\n");
}

void append_sample(std::string& out, std::string_view name, Labels labels, std::uint64_t value) {
  append_sample(out, name, labels, std::to_string(value));
}

}  // namespace

GatewayStats::MethodStats& GatewayStats::method_stats(std::string_view method) {
  auto it = methods_.find(method);
  if (it != methods_.end()) return it->second;
  if (methods_.size() >= max_methods_) {
    method = kOtherMethod;
    it = methods_.find(method);
    if (it != methods_.end()) return it->second;
  }
  return methods_.emplace(std::string(method), MethodStats{}).first->second;
}

void GatewayStats::record(const CallRecord& call) {
  static_assert(kBuckets == kDurationBuckets.size() + 1);
  // Label values must be UTF-8, and repaired before they become keys so two
  // different bad names cannot render as one duplicated series.
  std::string method_storage, listener_storage, cluster_storage;
  std::string_view method = wire::as_valid_utf8(call.method, method_storage);
  std::string_view listener = wire::as_valid_utf8(call.listener, listener_storage);
  std::string_view cluster = wire::as_valid_utf8(call.cluster, cluster_storage);
  std::string http_version_storage, protocol_storage;
  std::string_view http_version = wire::as_valid_utf8(call.http_version, http_version_storage);
  std::string_view protocol = wire::as_valid_utf8(call.protocol, protocol_storage);

  Code code = normalized(call.code);
  auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(call.duration.count(), 0));
  std::size_t bucket = bucket_index(static_cast<std::int64_t>(ns));

  std::lock_guard lock(mutex_);
  ++total_calls_;
  MethodStats& stats = method_stats(method);
  ++stats.calls_by_code[static_cast<std::size_t>(code)];
  stats.request_messages += call.request_messages;
  stats.response_messages += call.response_messages;
  stats.request_bytes += call.request_bytes;
  stats.response_bytes += call.response_bytes;
  ++stats.duration_buckets[bucket];
  stats.duration_sum_ns += ns;
  increment(listener_calls_, std::tuple{listener, http_version, protocol, code});
  if (!cluster.empty()) increment(cluster_calls_, std::tuple{cluster, code});
}

std::uint64_t GatewayStats::total_calls() const {
  std::lock_guard lock(mutex_);
  return total_calls_;
}

std::string GatewayStats::prometheus() const {
  std::string out;
  std::lock_guard lock(mutex_);

  append_family(out, "triplex_gateway_calls_total", "counter",
                "Calls finished through the gateway, by method and gRPC status code.");
  for (const auto& [method, stats] : methods_) {
    for (std::size_t i = 0; i < kCodes; ++i) {
      if (stats.calls_by_code[i] == 0) continue;
      append_sample(out, "triplex_gateway_calls_total",
                    {{"method", method}, {"code", code_name(static_cast<Code>(i))}},
                    stats.calls_by_code[i]);
    }
  }

  append_family(out, "triplex_gateway_calls_success_total", "counter",
                "Calls that finished with status OK, by method.");
  for (const auto& [method, stats] : methods_) {
    append_sample(out, "triplex_gateway_calls_success_total", {{"method", method}},
                  stats.calls_by_code[0]);
  }
  append_family(out, "triplex_gateway_calls_failure_total", "counter",
                "Calls that finished with a status other than OK, by method.");
  for (const auto& [method, stats] : methods_) {
    std::uint64_t failures = 0;
    for (std::size_t i = 1; i < kCodes; ++i) failures += stats.calls_by_code[i];
    append_sample(out, "triplex_gateway_calls_failure_total", {{"method", method}}, failures);
  }

  struct Counter {
    std::string_view name;
    std::string_view help;
    std::uint64_t MethodStats::*field;
  };
  constexpr Counter kCounters[] = {
      {"triplex_gateway_request_messages_total", "Request messages forwarded, by method.",
       &MethodStats::request_messages},
      {"triplex_gateway_response_messages_total", "Response messages forwarded, by method.",
       &MethodStats::response_messages},
      {"triplex_gateway_request_bytes_total", "Request message payload bytes, by method.",
       &MethodStats::request_bytes},
      {"triplex_gateway_response_bytes_total", "Response message payload bytes, by method.",
       &MethodStats::response_bytes},
  };
  for (const Counter& counter : kCounters) {
    append_family(out, counter.name, "counter", counter.help);
    for (const auto& [method, stats] : methods_) {
      append_sample(out, counter.name, {{"method", method}}, stats.*counter.field);
    }
  }

  append_family(out, "triplex_gateway_call_duration_seconds", "histogram",
                "Duration of calls through the gateway, by method.");
  for (const auto& [method, stats] : methods_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kDurationBuckets.size(); ++i) {
      cumulative += stats.duration_buckets[i];
      append_sample(out, "triplex_gateway_call_duration_seconds_bucket",
                    {{"method", method}, {"le", kDurationBuckets[i].le}}, cumulative);
    }
    cumulative += stats.duration_buckets[kDurationBuckets.size()];
    append_sample(out, "triplex_gateway_call_duration_seconds_bucket",
                  {{"method", method}, {"le", "+Inf"}}, cumulative);
    append_sample(out, "triplex_gateway_call_duration_seconds_sum", {{"method", method}},
                  seconds_text(stats.duration_sum_ns));
    append_sample(out, "triplex_gateway_call_duration_seconds_count", {{"method", method}},
                  cumulative);
  }

  append_family(out, "triplex_gateway_listener_calls_total", "counter",
                "Calls by downstream listener, HTTP version, RPC protocol and status code.");
  for (const auto& [key, count] : listener_calls_) {
    const auto& [listener, http_version, protocol, code] = key;
    append_sample(out, "triplex_gateway_listener_calls_total",
                  {{"listener", listener},
                   {"http_version", http_version},
                   {"protocol", protocol},
                   {"code", code_name(code)}},
                  count);
  }

  append_family(out, "triplex_gateway_cluster_calls_total", "counter",
                "Calls routed to an upstream cluster, by cluster and status code.");
  for (const auto& [key, count] : cluster_calls_) {
    const auto& [cluster, code] = key;
    append_sample(out, "triplex_gateway_cluster_calls_total",
                  {{"cluster", cluster}, {"code", code_name(code)}}, count);
  }
  return out;
}

}  // namespace triplex::gateway
