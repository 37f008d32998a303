#include "src/gateway/access_log.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace triplex::gateway {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

CallRecord sample_call() {
  CallRecord record;
  record.listener = "public";
  record.http_version = "2";
  record.protocol = "grpc";
  record.method = "/pkg.Svc/Get";
  record.cluster = "backend";
  record.peer = "10.0.0.1:5555";
  record.code = Code::kNotFound;
  record.message = "no such thing";
  record.request_messages = 1;
  record.response_messages = 0;
  record.request_bytes = 12;
  record.response_bytes = 0;
  record.duration = 1'250'400ns;
  // 2024-05-01T12:03:04.005999Z: milliseconds are truncated, not rounded.
  record.start = sys_days{year{2024} / May / 1} + 12h + 3min + 4s + 5999us;
  return record;
}

// A real JSON parser (protobuf's) reads the line into a Struct. It rejects
// ill-formed UTF-8 but tolerates raw control characters, so those are checked
// byte by byte where it matters.
google::protobuf::Struct parse(const std::string& line) {
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << line;
  return parsed;
}

TEST(AccessLog, ExactLine) {
  EXPECT_EQ(access_log_line(sample_call()),
            "{\"time\":\"2024-05-01T12:03:04.005Z\",\"listener\":\"public\",\"http_version\":"
            "\"2\",\"protocol\":\"grpc\",\"method\":\"/pkg.Svc/Get\",\"cluster\":\"backend\","
            "\"peer\":\"10.0.0.1:5555\",\"code\":\"NOT_FOUND\",\"message\":\"no such thing\","
            "\"duration_ms\":1.250,\"request_messages\":1,\"response_messages\":0,"
            "\"request_bytes\":12,\"response_bytes\":0}\n");
}

TEST(AccessLog, LineParsesAsJsonWithEveryField) {
  auto parsed = parse(access_log_line(sample_call()));
  const auto& f = parsed.fields();
  EXPECT_EQ(f.size(), 14u);
  EXPECT_EQ(f.at("time").string_value(), "2024-05-01T12:03:04.005Z");
  EXPECT_EQ(f.at("code").string_value(), "NOT_FOUND");
  EXPECT_EQ(f.at("peer").string_value(), "10.0.0.1:5555");
  EXPECT_DOUBLE_EQ(f.at("duration_ms").number_value(), 1.25);
  EXPECT_EQ(f.at("request_bytes").number_value(), 12);
}

TEST(AccessLog, EscapesPeerText) {
  CallRecord record = sample_call();
  std::string message = "say \"hi\"\nback\\slash\ttab\x01\x1f end";
  record.message = message;
  record.method = "/bad\xff";  // not UTF-8: repaired, or the line would not be JSON
  std::string line = access_log_line(record);
  EXPECT_NE(line.find("\"message\":\"say \\\"hi\\\"\\nback\\\\slash\\ttab\\u0001\\u001f end\""),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the message holds
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    EXPECT_GE(static_cast<unsigned char>(line[i]), 0x20) << "raw control byte at " << i;
  }
  auto parsed = parse(line);
  EXPECT_EQ(parsed.fields().at("message").string_value(), message);
  EXPECT_EQ(parsed.fields().at("method").string_value(), "/bad\xEF\xBF\xBD");
}

TEST(AccessLog, OtherTimesAndDurations) {
  CallRecord record = sample_call();
  record.start = sys_days{year{1999} / December / 31} + 23h + 59min + 59s + 999ms;
  record.duration = 61s + 7us;
  record.code = static_cast<Code>(200);  // out of range reads as UNKNOWN
  auto parsed = parse(access_log_line(record));
  EXPECT_EQ(parsed.fields().at("time").string_value(), "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(parsed.fields().at("code").string_value(), "UNKNOWN");
  std::string line = access_log_line(record);
  EXPECT_NE(line.find("\"duration_ms\":61000.007,"), std::string::npos) << line;
  record.duration = -3ms;
  EXPECT_NE(access_log_line(record).find("\"duration_ms\":0.000,"), std::string::npos);
}

TEST(AccessLog, WritesWholeLinesFromManyThreads) {
  std::ostringstream out;
  AccessLog log(out);
  constexpr int kThreads = 4;
  constexpr int kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log] {
      CallRecord record = sample_call();
      for (int i = 0; i < kLines; ++i) log.write(record);
    });
  }
  for (auto& thread : threads) thread.join();

  const std::string expected = access_log_line(sample_call());
  std::istringstream lines(out.str());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    ASSERT_EQ(line + "\n", expected);
  }
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(AccessLog, OpenAppendsToFile) {
  auto path = std::filesystem::path(testing::TempDir()) /
              ("triplex_access_log_test_" + std::to_string(::getpid()) + ".log");
  {
    std::ofstream existing(path);
    existing << "earlier\n";
  }
  {
    auto log = AccessLog::open(path.string());
    ASSERT_NE(log, nullptr);
    log->write(sample_call());
    // Flushed per line: readable before the log is closed.
    std::ifstream in(path);
    std::stringstream contents;
    contents << in.rdbuf();
    EXPECT_EQ(contents.str(), "earlier\n" + access_log_line(sample_call()));
  }
  std::filesystem::remove(path);
}

TEST(AccessLog, OpenDashIsStdout) { EXPECT_NE(AccessLog::open("-"), nullptr); }

TEST(AccessLog, OpenBadPathThrowsWithReason) {
  const std::string path = "/nonexistent-triplex-dir/access.log";
  try {
    AccessLog::open(path);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace triplex::gateway
