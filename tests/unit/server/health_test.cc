// grpc.health.v1.Health as a gRPC C++ client sees it: Check and Watch.
#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "test_server.h"
#include "triplex/health.h"

namespace triplex::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using namespace std::chrono_literals;

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(ServerOptions{});
    health_ = std::make_shared<HealthService>();
    health_->set_status("svc.A", HealthService::kServing);
    server_->server().add_service(health_);
    server_->start();
    stub_ = Health::NewStub(server_->insecure_channel());
  }

  grpc::Status check(const std::string& service, HealthCheckResponse& resp) {
    grpc::ClientContext ctx;
    HealthCheckRequest req;
    req.set_service(service);
    return stub_->Check(&ctx, req, &resp);
  }

  std::unique_ptr<TestServer> server_;
  std::shared_ptr<HealthService> health_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthTest, CheckReportsKnownServicesAndTheServer) {
  HealthCheckResponse resp;
  ASSERT_TRUE(check("", resp).ok());
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(check("svc.A", resp).ok());
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
  health_->set_status("svc.A", HealthService::kNotServing);
  ASSERT_TRUE(check("svc.A", resp).ok());
  EXPECT_EQ(resp.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(check("svc.Missing", resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HealthTest, WatchStreamsEveryChange) {
  grpc::ClientContext ctx;
  HealthCheckRequest req;
  req.set_service("svc.B");
  auto reader = stub_->Watch(&ctx, req);
  HealthCheckResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  health_->set_status("svc.B", HealthService::kServing);
  ASSERT_TRUE(reader->Read(&resp));
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
  health_->set_status("svc.B", HealthService::kNotServing);
  ASSERT_TRUE(reader->Read(&resp));
  EXPECT_EQ(resp.status(), HealthCheckResponse::NOT_SERVING);
  ctx.TryCancel();
  while (reader->Read(&resp)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace triplex::testing
