// triplex's logs as a program sees them through its own sink: start-up and
// drain at info, a line per call at debug, handler exceptions at warn; and
// nothing below the level reaches the sink.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_server.h"
#include "triplex/log.h"
#include "triplex/test/v1/probe.grpc.pb.h"
#include "triplex/test/v1/probe.triplex.h"

namespace triplex::testing {
namespace {

using triplex::test::v1::ProbeRequest;
using triplex::test::v1::ProbeResponse;
using triplex::test::v1::ProbeService;

struct Line {
  LogLevel level;
  std::string message;
  std::map<std::string, std::string> fields;
};

// Collects every record; the sink runs on the server's worker threads.
class Captured {
 public:
  Captured() {
    set_log_sink([this](const LogRecord& record) {
      Line line{record.level, std::string(record.message), {}};
      for (const auto& f : record.fields) line.fields[std::string(f.key)] = std::string(f.value);
      std::lock_guard lock(mutex_);
      lines_.push_back(std::move(line));
    });
  }
  ~Captured() {
    set_log_sink(nullptr);
    set_log_level(LogLevel::kInfo);
  }
  std::vector<Line> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<Line> with_message(const std::string& message) {
    std::vector<Line> out;
    for (auto& line : lines()) {
      if (line.message == message) out.push_back(line);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<Line> lines_;
};

class Thrower final : public triplex::test::v1::triplex_rpc::ProbeService::Service {
 public:
  asio::awaitable<Status> Echo(ServerContext&, const ProbeRequest& request,
                               ProbeResponse& response) override {
    if (request.text() == "throw") throw std::runtime_error("the handler broke");
    response.set_text(request.text());
    co_return Status();
  }
};

grpc::Status echo(TestServer& server, const std::string& text) {
  auto stub = ProbeService::NewStub(server.insecure_channel());
  grpc::ClientContext context;
  ProbeRequest request;
  request.set_text(text);
  ProbeResponse response;
  return stub->Echo(&context, request, &response);
}

TEST(LogTest, StartupCallsExceptionsAndDrainReachTheSink) {
  Captured captured;
  set_log_level(LogLevel::kDebug);
  {
    TestServer server(ServerOptions{});
    server.server().add_service(std::make_shared<Thrower>());
    server.start();
    ASSERT_TRUE(echo(server, "hello").ok());
    EXPECT_EQ(echo(server, "throw").error_code(), grpc::StatusCode::UNKNOWN);
    server.stop();

    auto listening = captured.with_message("listening");
    ASSERT_EQ(listening.size(), 1u);
    EXPECT_EQ(listening[0].level, LogLevel::kInfo);
    EXPECT_EQ(listening[0].fields["address"], server.address());
    EXPECT_EQ(listening[0].fields["tls"], "off");
    EXPECT_EQ(listening[0].fields["http"], "HTTP/1.1, h2c");
  }

  auto calls = captured.with_message("call");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].level, LogLevel::kDebug);
  EXPECT_EQ(calls[0].fields["method"], "/triplex.test.v1.ProbeService/Echo");
  EXPECT_EQ(calls[0].fields["protocol"], "grpc");
  EXPECT_EQ(calls[0].fields["http"], "HTTP/2");
  EXPECT_EQ(calls[0].fields["code"], "OK");
  EXPECT_TRUE(calls[0].fields["peer"].starts_with("127.0.0.1:")) << calls[0].fields["peer"];
  EXPECT_FALSE(calls[0].fields["duration_ms"].empty());
  EXPECT_EQ(calls[1].fields["code"], "UNKNOWN");

  auto threw = captured.with_message("handler threw");
  ASSERT_EQ(threw.size(), 1u);
  EXPECT_EQ(threw[0].level, LogLevel::kWarn);
  EXPECT_EQ(threw[0].fields["what"], "the handler broke");
  EXPECT_EQ(threw[0].fields["method"], "/triplex.test.v1.ProbeService/Echo");

  EXPECT_EQ(captured.with_message("draining").size(), 1u);
  EXPECT_EQ(captured.with_message("drained; stopped").size(), 1u);
}

TEST(LogTest, NothingBelowTheLevelIsFormattedOrSent) {
  Captured captured;
  set_log_level(LogLevel::kWarn);
  {
    TestServer server(ServerOptions{});
    server.server().add_service(std::make_shared<Thrower>());
    server.start();
    ASSERT_TRUE(echo(server, "hello").ok());
    server.stop();
  }
  EXPECT_TRUE(captured.lines().empty()) << captured.lines().front().message;
}

TEST(LogTest, LevelsParseByName) {
  EXPECT_EQ(parse_log_level("warn"), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::kDebug);
  EXPECT_EQ(parse_log_level("loud"), std::nullopt);
  EXPECT_EQ(log_level_name(LogLevel::kError), "error");
}

}  // namespace
}  // namespace triplex::testing
