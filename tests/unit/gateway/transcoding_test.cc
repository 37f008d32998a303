// Connect JSON (and gRPC-Web +json) through the gateway to an upstream that
// speaks binary gRPC only: types from a FileDescriptorSet in the config, or
// from the upstream's reflection service.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "grpc/testing/messages.pb.h"
#include "src/interop/test_service.h"
#include "tests/support/io_driver.h"
#include "tests/unit/gateway/gateway_test_kit.h"
#include "triplex/reflection.h"

namespace triplex::testing {
namespace {

// The interop TestService over h2c, with reflection when asked.
class InteropUpstream {
 public:
  explicit InteropUpstream(bool reflection) : server_(options()) {
    server_.add_service(std::make_shared<interop::TestServiceImpl>());
    if (reflection) add_reflection_services(server_);
    server_.start();
    thread_ = std::thread([this] { server_.wait(); });
  }
  ~InteropUpstream() {
    server_.shutdown();
    thread_.join();
  }
  std::string endpoint() const {
    return "h2c://127.0.0.1:" + std::to_string(server_.listening_port());
  }

 private:
  static ServerOptions options() {
    ServerOptions o;
    o.listen = {"127.0.0.1:0"};
    o.handle_signals = false;
    o.workers = 1;
    return o;
  }
  Server server_;
  std::thread thread_;
};

// grpc/testing/test.proto and its imports, as `protoc --include_imports -o` writes them.
std::string write_descriptor_set() {
  google::protobuf::FileDescriptorSet set;
  std::vector<const google::protobuf::FileDescriptor*> order;
  std::function<void(const google::protobuf::FileDescriptor*)> add =
      [&](const google::protobuf::FileDescriptor* file) {
        for (const auto* seen : order) {
          if (seen == file) return;
        }
        for (int i = 0; i < file->dependency_count(); ++i) add(file->dependency(i));
        order.push_back(file);
      };
  add(google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
      "grpc/testing/test.proto"));
  for (const auto* file : order) file->CopyTo(set.add_file());
  std::string path =
      ::testing::TempDir() + "gateway_testing_" + std::to_string(getpid()) + ".binpb";
  std::ofstream(path, std::ios::binary) << set.SerializeAsString();
  return path;
}

class TranscodingTest : public ::testing::Test {
 protected:
  // UnaryCall{response_size: 3} as JSON through the gateway; the status and the body.
  Status unary_json(RunningGateway& gw, RpcProtocol protocol, std::string& body) {
    ChannelOptions options = client_options(protocol, HttpVersion::kHttp1);
    options.json = true;
    auto channel = Channel::create(io_, gw.url(), options);
    grpc::testing::SimpleRequest request;
    request.set_response_size(3);
    grpc::testing::SimpleResponse response;
    Status status =
        run(io_, channel->unary("/grpc.testing.TestService/UnaryCall", request, response));
    body = response.payload().body();
    return status;
  }
  asio::io_context io_;
};

TEST_F(TranscodingTest, JsonCallsUseTheConfiguredDescriptorSet) {
  InteropUpstream upstream(false);
  auto config = simple_config({upstream.endpoint()});
  config.descriptors = {write_descriptor_set()};
  RunningGateway gw(config);
  for (auto protocol : {RpcProtocol::kConnect, RpcProtocol::kGrpcWeb}) {
    std::string body;
    Status status = unary_json(gw, protocol, body);
    EXPECT_TRUE(status.ok()) << status.message;
    EXPECT_EQ(body, std::string(3, '\0'));
  }
  std::remove(config.descriptors[0].c_str());
}

TEST_F(TranscodingTest, JsonCallsLearnTypesFromUpstreamReflection) {
  InteropUpstream upstream(true);
  auto config = simple_config({upstream.endpoint()});
  config.clusters[0].reflection = true;
  RunningGateway gw(config);
  std::string body;
  Status status = unary_json(gw, RpcProtocol::kConnect, body);
  EXPECT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(body, std::string(3, '\0'));
  // A JSON error from the upstream keeps its code and message.
  ChannelOptions options = client_options(RpcProtocol::kConnect, HttpVersion::kHttp1);
  options.json = true;
  auto channel = Channel::create(io_, gw.url(), options);
  grpc::testing::SimpleRequest request;
  request.mutable_response_status()->set_code(9);
  request.mutable_response_status()->set_message("precondition");
  grpc::testing::SimpleResponse response;
  Status failed =
      run(io_, channel->unary("/grpc.testing.TestService/UnaryCall", request, response));
  EXPECT_EQ(failed.code, Code::kFailedPrecondition);
  EXPECT_EQ(failed.message, "precondition");
}

TEST_F(TranscodingTest, JsonWithoutASchemaIsUnimplementedAndSaysWhy) {
  InteropUpstream upstream(false);
  RunningGateway gw(simple_config({upstream.endpoint()}));
  std::string body;
  Status status = unary_json(gw, RpcProtocol::kConnect, body);
  EXPECT_EQ(status.code, Code::kUnimplemented);
  EXPECT_NE(status.message.find("no schema for /grpc.testing.TestService/UnaryCall"),
            std::string::npos)
      << status.message;
}

TEST_F(TranscodingTest, BadJsonIsInvalidArgument) {
  InteropUpstream upstream(false);
  auto config = simple_config({upstream.endpoint()});
  config.descriptors = {write_descriptor_set()};
  RunningGateway gw(config);
  auto channel = Channel::create(io_, gw.url(), [] {
    auto o = client_options(RpcProtocol::kConnect, HttpVersion::kHttp1);
    o.json = true;
    return o;
  }());
  // A string where SimpleRequest has an integer.
  auto out = call_raw(io_, *channel, "/grpc.testing.TestService/UnaryCall", RpcKind::kUnary,
                      {R"({"responseSize": "many"})"});
  EXPECT_EQ(out.status.code, Code::kInvalidArgument) << out.status.message;
  std::remove(config.descriptors[0].c_str());
}

}  // namespace
}  // namespace triplex::testing
