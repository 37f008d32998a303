#include "src/gateway/stats.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace triplex::gateway {
namespace {

using namespace std::chrono_literals;

CallRecord call(std::string_view method, Code code, std::chrono::nanoseconds duration) {
  CallRecord record;
  record.listener = "public";
  record.http_version = "2";
  record.protocol = "grpc";
  record.method = method;
  record.cluster = "backend";
  record.peer = "127.0.0.1:4000";
  record.code = code;
  record.duration = duration;
  return record;
}

// The value of the sample whose name and labels are exactly `series`, or -1.
long long value_of(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stoll(line.substr(series.size() + 1));
  }
  return -1;
}

TEST(GatewayStats, ExactExposition) {
  GatewayStats stats;
  CallRecord get_ok = call("/pkg.Svc/Get", Code::kOk, 1ms);  // exactly on the 0.001 bound
  get_ok.request_messages = 1;
  get_ok.response_messages = 1;
  get_ok.request_bytes = 10;
  get_ok.response_bytes = 20;
  stats.record(get_ok);

  CallRecord get_missing = call("/pkg.Svc/Get", Code::kNotFound, 30ms);
  get_missing.http_version = "1.1";
  get_missing.protocol = "connect";
  get_missing.request_messages = 1;
  get_missing.request_bytes = 5;
  stats.record(get_missing);

  CallRecord put = call("/pkg.Svc/Put", Code::kUnavailable, 12s);  // past every finite bound
  put.http_version = "3";
  put.protocol = "grpc-web";
  put.cluster = "";  // no route: no cluster series
  put.request_messages = 2;
  put.request_bytes = 7;
  stats.record(put);

  EXPECT_EQ(stats.total_calls(), 3u);
  const std::string expected =
      "# HELP triplex_gateway_calls_total Calls finished through the gateway, by method and gRPC "
      "status code.\n"
      "# TYPE triplex_gateway_calls_total counter\n"
      "triplex_gateway_calls_total{method=\"/pkg.Svc/Get\",code=\"OK\"} 1\n"
      "triplex_gateway_calls_total{method=\"/pkg.Svc/Get\",code=\"NOT_FOUND\"} 1\n"
      "triplex_gateway_calls_total{method=\"/pkg.Svc/Put\",code=\"UNAVAILABLE\"} 1\n"
      "# HELP triplex_gateway_calls_success_total Calls that finished with status OK, by method.\n"
      "# TYPE triplex_gateway_calls_success_total counter\n"
      "triplex_gateway_calls_success_total{method=\"/pkg.Svc/Get\"} 1\n"
      "triplex_gateway_calls_success_total{method=\"/pkg.Svc/Put\"} 0\n"
      "# HELP triplex_gateway_calls_failure_total Calls that finished with a status other than "
      "OK, by method.\n"
      "# TYPE triplex_gateway_calls_failure_total counter\n"
      "triplex_gateway_calls_failure_total{method=\"/pkg.Svc/Get\"} 1\n"
      "triplex_gateway_calls_failure_total{method=\"/pkg.Svc/Put\"} 1\n"
      "# HELP triplex_gateway_request_messages_total Request messages forwarded, by method.\n"
      "# TYPE triplex_gateway_request_messages_total counter\n"
      "triplex_gateway_request_messages_total{method=\"/pkg.Svc/Get\"} 2\n"
      "triplex_gateway_request_messages_total{method=\"/pkg.Svc/Put\"} 2\n"
      "# HELP triplex_gateway_response_messages_total Response messages forwarded, by method.\n"
      "# TYPE triplex_gateway_response_messages_total counter\n"
      "triplex_gateway_response_messages_total{method=\"/pkg.Svc/Get\"} 1\n"
      "triplex_gateway_response_messages_total{method=\"/pkg.Svc/Put\"} 0\n"
      "# HELP triplex_gateway_request_bytes_total Request message payload bytes, by method.\n"
      "# TYPE triplex_gateway_request_bytes_total counter\n"
      "triplex_gateway_request_bytes_total{method=\"/pkg.Svc/Get\"} 15\n"
      "triplex_gateway_request_bytes_total{method=\"/pkg.Svc/Put\"} 7\n"
      "# HELP triplex_gateway_response_bytes_total Response message payload bytes, by method.\n"
      "# TYPE triplex_gateway_response_bytes_total counter\n"
      "triplex_gateway_response_bytes_total{method=\"/pkg.Svc/Get\"} 20\n"
      "triplex_gateway_response_bytes_total{method=\"/pkg.Svc/Put\"} 0\n"
      "# HELP triplex_gateway_call_duration_seconds Duration of calls through the gateway, by "
      "method.\n"
      "# TYPE triplex_gateway_call_duration_seconds histogram\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.0005\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.001\"} 1\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.0025\"} 1\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.005\"} 1\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.01\"} 1\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.025\"} 1\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.05\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.1\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.25\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"0.5\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"1\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"2.5\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"5\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"10\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Get\",le=\"+Inf\"} 2\n"
      "triplex_gateway_call_duration_seconds_sum{method=\"/pkg.Svc/Get\"} 0.031\n"
      "triplex_gateway_call_duration_seconds_count{method=\"/pkg.Svc/Get\"} 2\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.0005\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.001\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.0025\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.005\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.01\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.025\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.05\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.1\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.25\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"0.5\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"1\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"2.5\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"5\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"10\"} 0\n"
      "triplex_gateway_call_duration_seconds_bucket{method=\"/pkg.Svc/Put\",le=\"+Inf\"} 1\n"
      "triplex_gateway_call_duration_seconds_sum{method=\"/pkg.Svc/Put\"} 12\n"
      "triplex_gateway_call_duration_seconds_count{method=\"/pkg.Svc/Put\"} 1\n"
      "# HELP triplex_gateway_listener_calls_total Calls by downstream listener, HTTP version, "
      "RPC protocol and status code.\n"
      "# TYPE triplex_gateway_listener_calls_total counter\n"
      "triplex_gateway_listener_calls_total{listener=\"public\",http_version=\"1.1\",protocol="
      "\"connect\",code=\"NOT_FOUND\"} 1\n"
      "triplex_gateway_listener_calls_total{listener=\"public\",http_version=\"2\",protocol="
      "\"grpc\",code=\"OK\"} 1\n"
      "triplex_gateway_listener_calls_total{listener=\"public\",http_version=\"3\",protocol="
      "\"grpc-web\",code=\"UNAVAILABLE\"} 1\n"
      "# HELP triplex_gateway_cluster_calls_total Calls routed to an upstream cluster, by cluster "
      "and status code.\n"
      "# TYPE triplex_gateway_cluster_calls_total counter\n"
      "triplex_gateway_cluster_calls_total{cluster=\"backend\",code=\"OK\"} 1\n"
      "triplex_gateway_cluster_calls_total{cluster=\"backend\",code=\"NOT_FOUND\"} 1\n";
  EXPECT_EQ(stats.prometheus(), expected);
}

TEST(GatewayStats, EmptyStillDeclaresEveryFamily) {
  GatewayStats stats;
  std::string text = stats.prometheus();
  for (const char* family :
       {"triplex_gateway_calls_total", "triplex_gateway_calls_success_total",
        "triplex_gateway_calls_failure_total", "triplex_gateway_request_messages_total",
        "triplex_gateway_response_messages_total", "triplex_gateway_request_bytes_total",
        "triplex_gateway_response_bytes_total", "triplex_gateway_call_duration_seconds",
        "triplex_gateway_listener_calls_total", "triplex_gateway_cluster_calls_total"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  }
  EXPECT_EQ(text.find("{"), std::string::npos);  // no samples yet
}

TEST(GatewayStats, RecordsFromManyThreadsAddUp) {
  GatewayStats stats;
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stats, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        bool ok = i % 2 == 0;
        CallRecord record = call(ok ? "/a.B/Ok" : "/a.B/Fail", ok ? Code::kOk : Code::kInternal,
                                 std::chrono::microseconds(i % 7 == 0 ? 700 : 3000));
        record.listener = t % 2 == 0 ? "even" : "odd";
        record.request_messages = 1;
        record.request_bytes = 3;
        record.response_bytes = static_cast<std::uint64_t>(t);
        stats.record(record);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  constexpr long long kTotal = kThreads * kCallsPerThread;
  EXPECT_EQ(stats.total_calls(), static_cast<std::uint64_t>(kTotal));
  std::string text = stats.prometheus();
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_total{method=\"/a.B/Ok\",code=\"OK\"}"),
            kTotal / 2);
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_total{method=\"/a.B/Fail\",code=\"INTERNAL\"}"),
            kTotal / 2);
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_failure_total{method=\"/a.B/Fail\"}"),
            kTotal / 2);
  EXPECT_EQ(value_of(text, "triplex_gateway_request_messages_total{method=\"/a.B/Ok\"}"),
            kTotal / 2);
  EXPECT_EQ(value_of(text, "triplex_gateway_request_bytes_total{method=\"/a.B/Ok\"}"),
            3 * kTotal / 2);
  // Threads 0..3 each sent t bytes per response, half of them on /a.B/Ok.
  EXPECT_EQ(value_of(text, "triplex_gateway_response_bytes_total{method=\"/a.B/Ok\"}"),
            (0 + 1 + 2 + 3) * kCallsPerThread / 2);
  EXPECT_EQ(value_of(text,
                     "triplex_gateway_listener_calls_total{listener=\"even\",http_version=\"2\","
                     "protocol=\"grpc\",code=\"OK\"}"),
            kTotal / 4);
  EXPECT_EQ(value_of(text, "triplex_gateway_cluster_calls_total{cluster=\"backend\",code=\"OK\"}"),
            kTotal / 2);

  // Buckets are cumulative and +Inf equals _count for each method.
  long long fast = 0;  // calls of 700us on /a.B/Ok: i even and i % 7 == 0, per thread
  for (int i = 0; i < kCallsPerThread; i += 2) fast += i % 7 == 0;
  fast *= kThreads;
  const std::string bucket = "triplex_gateway_call_duration_seconds_bucket{method=\"/a.B/Ok\",le=";
  EXPECT_EQ(value_of(text, bucket + "\"0.0005\"}"), 0);
  EXPECT_EQ(value_of(text, bucket + "\"0.001\"}"), fast);
  EXPECT_EQ(value_of(text, bucket + "\"0.0025\"}"), fast);
  EXPECT_EQ(value_of(text, bucket + "\"0.005\"}"), kTotal / 2);
  EXPECT_EQ(value_of(text, bucket + "\"+Inf\"}"), kTotal / 2);
  EXPECT_EQ(value_of(text, "triplex_gateway_call_duration_seconds_count{method=\"/a.B/Ok\"}"),
            kTotal / 2);
}

TEST(GatewayStats, SumIsExactDecimalSeconds) {
  GatewayStats stats;
  stats.record(call("/a.B/C", Code::kOk, 1500us));
  stats.record(call("/a.B/C", Code::kOk, 2s + 1ns));
  EXPECT_NE(stats.prometheus().find(
                "triplex_gateway_call_duration_seconds_sum{method=\"/a.B/C\"} 2.001500001\n"),
            std::string::npos);
}

TEST(GatewayStats, EscapesLabelValues) {
  GatewayStats stats;
  stats.record(call("/a\"b\\c\nd", Code::kOk, 1ms));
  std::string text = stats.prometheus();
  EXPECT_NE(text.find("triplex_gateway_calls_total{method=\"/a\\\"b\\\\c\\nd\",code=\"OK\"} 1\n"),
            std::string::npos)
      << text;
  // No raw newline inside any sample: every line is a comment or "series value".
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty());
    if (line[0] == '#') continue;
    EXPECT_EQ(line.rfind("triplex_gateway_", 0), 0u) << line;
  }
}

TEST(GatewayStats, RepairsInvalidUtf8WithoutDuplicatingSeries) {
  GatewayStats stats;
  stats.record(call("/x\xff", Code::kOk, 1ms));
  stats.record(call("/x\xfe", Code::kOk, 1ms));
  stats.record(call("/caf\xc3\xa9", Code::kOk, 1ms));  // valid: kept as is
  std::string text = stats.prometheus();
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_total{method=\"/x\xEF\xBF\xBD\",code=\"OK\"}"),
            2);
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_total{method=\"/caf\xc3\xa9\",code=\"OK\"}"), 1);
  EXPECT_EQ(text.find('\xff'), std::string::npos);
}

TEST(GatewayStats, CapsDistinctMethods) {
  GatewayStats stats(2);
  for (const char* method : {"/a", "/b", "/c", "/d", "/a"}) {
    stats.record(call(method, Code::kOk, 1ms));
  }
  std::string text = stats.prometheus();
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_success_total{method=\"/a\"}"), 2);
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_success_total{method=\"/b\"}"), 1);
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_success_total{method=\"(other)\"}"), 2);
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_success_total{method=\"/c\"}"), -1);
}

TEST(GatewayStats, OddInputs) {
  GatewayStats stats;
  stats.record(call("/a.B/C", static_cast<Code>(99), -5ms));  // unknown code, clock step back
  std::string text = stats.prometheus();
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_total{method=\"/a.B/C\",code=\"UNKNOWN\"}"), 1);
  EXPECT_EQ(value_of(text, "triplex_gateway_calls_failure_total{method=\"/a.B/C\"}"), 1);
  EXPECT_EQ(value_of(text,
                     "triplex_gateway_call_duration_seconds_bucket{method=\"/a.B/C\",le="
                     "\"0.0005\"}"),
            1);
  EXPECT_EQ(value_of(text, "triplex_gateway_call_duration_seconds_sum{method=\"/a.B/C\"}"), 0);
}

}  // namespace
}  // namespace triplex::gateway
