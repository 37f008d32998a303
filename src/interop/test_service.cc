#include "src/interop/test_service.h"

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "src/wire/status_details.h"

namespace triplex::interop {
namespace {

using namespace grpc::testing;

constexpr std::size_t kMaxPayload = 16 * 1024 * 1024;

// The interop client asks for these to come back in headers and trailers.
void echo_metadata(ServerContext& context) {
  if (const auto* v = context.request_metadata().find("x-grpc-test-echo-initial")) {
    if (!context.response_headers().find("x-grpc-test-echo-initial")) {
      context.response_headers().add("x-grpc-test-echo-initial", *v);
    }
  }
  if (const auto* v = context.request_metadata().find("x-grpc-test-echo-trailing-bin")) {
    if (!context.response_trailers().find("x-grpc-test-echo-trailing-bin")) {
      context.response_trailers().add("x-grpc-test-echo-trailing-bin", *v);
    }
  }
}

Status make_payload(std::int32_t size, Payload& payload) {
  if (size < 0 || static_cast<std::size_t>(size) > kMaxPayload) {
    return Status(Code::kInvalidArgument, "bad response size " + std::to_string(size));
  }
  payload.set_type(COMPRESSABLE);
  payload.mutable_body()->assign(static_cast<std::size_t>(size), '\0');
  return Status();
}

// The echoed status also carries the request's EchoStatus as a detail, so
// clients can check that error details survive every protocol.
Status requested_status(const EchoStatus& echo) {
  Code code = static_cast<Code>(echo.code() <= 16 ? echo.code() : 2);
  wire::RpcStatus rpc;
  rpc.code = static_cast<int>(code);
  rpc.message = echo.message();
  rpc.details.push_back({"grpc.testing.EchoStatus", echo.SerializeAsString()});
  return Status(code, echo.message(), wire::serialize_rpc_status(rpc));
}

// The interop cases' expect_compressed: the client says whether this
// message should have arrived compressed; a mismatch is INVALID_ARGUMENT.
template <typename Request>
Status check_compression(const ServerContext& context, const Request& request) {
  if (!request.has_expect_compressed()) return Status();
  bool expected = request.expect_compressed().value();
  if (expected == context.request_compressed()) return Status();
  return Status(Code::kInvalidArgument, expected ? "expected a compressed request message"
                                                 : "expected an uncompressed request message");
}

asio::awaitable<void> sleep_us(std::int32_t micros) {
  if (micros <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::microseconds(micros));
  co_await timer.async_wait(asio::use_awaitable);
}

// Writes one response per parameter, pacing by interval_us.
template <typename Writer>
asio::awaitable<Status> stream_responses(const StreamingOutputCallRequest& request,
                                         Writer& writer) {
  for (const auto& params : request.response_parameters()) {
    co_await sleep_us(params.interval_us());
    StreamingOutputCallResponse response;
    if (Status s = make_payload(params.size(), *response.mutable_payload()); !s.ok()) co_return s;
    co_await writer.write(response);
  }
  co_return Status();
}

}  // namespace

std::vector<MethodDefinition> TestServiceImpl::methods() {
  auto list = triplex_rpc::TestService::Service::methods();
  for (auto& m : list) {
    if (m.path == "/grpc.testing.TestService/CacheableUnaryCall") m.no_side_effects = true;
  }
  return list;
}

asio::awaitable<Status> TestServiceImpl::EmptyCall(ServerContext& context, const Empty&, Empty&) {
  echo_metadata(context);
  co_return Status();
}

asio::awaitable<Status> TestServiceImpl::UnaryCall(ServerContext& context,
                                                   const SimpleRequest& request,
                                                   SimpleResponse& response) {
  echo_metadata(context);
  if (Status s = check_compression(context, request); !s.ok()) co_return s;
  if (request.has_response_status() && request.response_status().code() != 0) {
    co_return requested_status(request.response_status());
  }
  co_return make_payload(request.response_size(), *response.mutable_payload());
}

asio::awaitable<Status> TestServiceImpl::CacheableUnaryCall(ServerContext& context,
                                                            const SimpleRequest& request,
                                                            SimpleResponse& response) {
  return UnaryCall(context, request, response);
}

asio::awaitable<Status> TestServiceImpl::StreamingOutputCall(
    ServerContext& context, const StreamingOutputCallRequest& request,
    ServerWriter<StreamingOutputCallResponse>& writer) {
  echo_metadata(context);
  if (Status s = co_await stream_responses(request, writer); !s.ok()) co_return s;
  if (request.has_response_status() && request.response_status().code() != 0) {
    co_return requested_status(request.response_status());
  }
  co_return Status();
}

asio::awaitable<Status> TestServiceImpl::StreamingInputCall(
    ServerContext& context, ServerReader<StreamingInputCallRequest>& reader,
    StreamingInputCallResponse& response) {
  echo_metadata(context);
  std::int64_t total = 0;
  StreamingInputCallRequest request;
  while (co_await reader.read(request)) {
    if (Status s = check_compression(context, request); !s.ok()) co_return s;
    total += request.payload().body().size();
  }
  response.set_aggregated_payload_size(static_cast<std::int32_t>(total));
  co_return Status();
}

asio::awaitable<Status> TestServiceImpl::FullDuplexCall(
    ServerContext& context,
    ServerReaderWriter<StreamingOutputCallRequest, StreamingOutputCallResponse>& stream) {
  echo_metadata(context);
  StreamingOutputCallRequest request;
  while (co_await stream.read(request)) {
    if (request.has_response_status() && request.response_status().code() != 0) {
      co_return requested_status(request.response_status());
    }
    if (Status s = co_await stream_responses(request, stream); !s.ok()) co_return s;
  }
  co_return Status();
}

asio::awaitable<Status> TestServiceImpl::HalfDuplexCall(
    ServerContext& context,
    ServerReaderWriter<StreamingOutputCallRequest, StreamingOutputCallResponse>& stream) {
  echo_metadata(context);
  std::vector<StreamingOutputCallRequest> requests;
  StreamingOutputCallRequest request;
  while (co_await stream.read(request)) requests.push_back(request);
  for (const auto& r : requests) {
    if (Status s = co_await stream_responses(r, stream); !s.ok()) co_return s;
  }
  co_return Status();
}

}  // namespace triplex::interop
