#pragma once
// grpc.testing.BenchmarkService/UnaryCall: the standard method for comparing
// unary throughput across gRPC stacks (bench/).
#include "grpc/testing/benchmark_service.triplex.h"

namespace triplex::interop {

class BenchmarkServiceImpl final : public grpc::testing::triplex_rpc::BenchmarkService::Service {
 public:
  asio::awaitable<Status> UnaryCall(ServerContext& context,
                                    const grpc::testing::SimpleRequest& request,
                                    grpc::testing::SimpleResponse& response) override;
};

}  // namespace triplex::interop
