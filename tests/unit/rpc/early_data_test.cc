// 0-RTT safety in the dispatcher: a request that arrived as early data runs at
// once only for side-effect-free methods; others wait for the handshake.
#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "src/net/event.h"
#include "src/rpc/call_dispatcher.h"
#include "src/rpc/protocol_grpc.h"

namespace triplex::rpc {
namespace {

// An in-memory exchange carrying one empty gRPC message as early data.
class EarlyExchange final : public http::Exchange {
 public:
  EarlyExchange(asio::io_context& io, std::string path)
      : executor_(io.get_executor()), handshake_(executor_) {
    head_.method = "POST";
    head_.path = std::move(path);
    head_.headers.add("content-type", "application/grpc");
  }
  const http::RequestHead& request() const override { return head_; }
  const net::PeerInfo& peer() const override { return peer_; }
  http::ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp2}; }
  asio::any_io_executor executor() const override { return executor_; }
  asio::awaitable<bool> read(std::string& out) override {
    if (body_sent_) co_return false;
    body_sent_ = true;
    out.append(std::string("\0\0\0\0\0", 5));
    co_return true;
  }
  void send_head(http::ResponseHead) override {}
  asio::awaitable<void> write(std::string) override { co_return; }
  void queue(std::string) override {}
  void finish(http::Headers trailers) override {
    if (const auto* s = trailers.find("grpc-status")) status = *s;
  }
  void respond(http::ResponseHead head) override {
    if (const auto* s = head.headers.find("grpc-status")) status = *s;
  }
  void reset(http::ResetReason) override {}
  bool is_early_data() const override { return !confirmed_; }
  asio::awaitable<bool> wait_for_handshake() override {
    co_await handshake_.wait();
    co_return true;
  }
  bool is_reset() const override { return false; }
  bool head_sent() const override { return false; }

  void confirm() {
    confirmed_ = true;
    handshake_.notify();
  }
  std::string status;

 private:
  asio::any_io_executor executor_;
  net::Event handshake_;
  http::RequestHead head_;
  net::PeerInfo peer_;
  bool body_sent_ = false;
  bool confirmed_ = false;
};

class EarlyDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (bool safe : {true, false}) {
      MethodDefinition m;
      m.path = safe ? "/t.S/Read" : "/t.S/Write";
      m.no_side_effects = safe;
      int* counter = safe ? &reads_ : &writes_;
      m.handler = [counter](ServerContext& ctx) -> asio::awaitable<Status> {
        google::protobuf::Empty in, out;
        co_await ctx.read_message(in);
        ++*counter;
        co_await ctx.write_message(out);
        co_return Status();
      };
      router_.add(std::move(m));
    }
    std::vector<std::unique_ptr<ServerProtocol>> protocols;
    protocols.push_back(std::make_unique<GrpcProtocol>(false));
    dispatcher_ = std::make_unique<CallDispatcher>(router_, std::move(protocols),
                                                   std::vector<std::shared_ptr<Interceptor>>{},
                                                   CallLimits{}, CorsPolicy({}));
  }

  asio::io_context io_;
  Router router_;
  std::unique_ptr<CallDispatcher> dispatcher_;
  int reads_ = 0;
  int writes_ = 0;
};

TEST_F(EarlyDataTest, SideEffectFreeMethodsRunFromEarlyData) {
  auto ex = std::make_shared<EarlyExchange>(io_, "/t.S/Read");
  dispatcher_->dispatch(ex);
  io_.run();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(ex->status, "0");
}

TEST_F(EarlyDataTest, OtherMethodsWaitForTheHandshakeAndRunOnce) {
  auto ex = std::make_shared<EarlyExchange>(io_, "/t.S/Write");
  dispatcher_->dispatch(ex);
  io_.poll();
  EXPECT_EQ(writes_, 0);
  EXPECT_EQ(ex->status, "");
  ex->confirm();
  io_.run();
  EXPECT_EQ(writes_, 1);
  EXPECT_EQ(ex->status, "0");
}

}  // namespace
}  // namespace triplex::rpc
