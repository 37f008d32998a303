#include "src/interop/benchmark_service.h"

namespace triplex::interop {

asio::awaitable<Status> BenchmarkServiceImpl::UnaryCall(ServerContext&,
                                                        const grpc::testing::SimpleRequest& request,
                                                        grpc::testing::SimpleResponse& response) {
  constexpr std::int32_t kMax = 1 << 20;
  if (request.response_size() < 0 || request.response_size() > kMax) {
    co_return Status(Code::kInvalidArgument, "response_size out of range");
  }
  response.mutable_payload()->mutable_body()->assign(
      static_cast<std::size_t>(request.response_size()), '\0');
  co_return Status();
}

}  // namespace triplex::interop
