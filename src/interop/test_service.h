#pragma once
// grpc.testing.TestService as the gRPC interop test descriptions expect it:
// sized payloads, echoed status and metadata, paced streams.
#include "grpc/testing/test.triplex.h"

namespace triplex::interop {

class TestServiceImpl final : public grpc::testing::triplex_rpc::TestService::Service {
 public:
  // CacheableUnaryCall is the interop suite's GET-able method; the proto
  // predates idempotency levels, so mark it here.
  std::vector<MethodDefinition> methods() override;

  asio::awaitable<Status> EmptyCall(ServerContext& context, const grpc::testing::Empty& request,
                                    grpc::testing::Empty& response) override;
  asio::awaitable<Status> UnaryCall(ServerContext& context,
                                    const grpc::testing::SimpleRequest& request,
                                    grpc::testing::SimpleResponse& response) override;
  asio::awaitable<Status> CacheableUnaryCall(ServerContext& context,
                                             const grpc::testing::SimpleRequest& request,
                                             grpc::testing::SimpleResponse& response) override;
  asio::awaitable<Status> StreamingOutputCall(
      ServerContext& context, const grpc::testing::StreamingOutputCallRequest& request,
      ServerWriter<grpc::testing::StreamingOutputCallResponse>& writer) override;
  asio::awaitable<Status> StreamingInputCall(
      ServerContext& context, ServerReader<grpc::testing::StreamingInputCallRequest>& reader,
      grpc::testing::StreamingInputCallResponse& response) override;
  asio::awaitable<Status> FullDuplexCall(
      ServerContext& context,
      ServerReaderWriter<grpc::testing::StreamingOutputCallRequest,
                         grpc::testing::StreamingOutputCallResponse>& stream) override;
  asio::awaitable<Status> HalfDuplexCall(
      ServerContext& context,
      ServerReaderWriter<grpc::testing::StreamingOutputCallRequest,
                         grpc::testing::StreamingOutputCallResponse>& stream) override;
};

}  // namespace triplex::interop
