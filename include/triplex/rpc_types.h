#pragma once
// What servers, clients and proxies share about an RPC: its shape and the
// protocol it travels in.
#include <string_view>

namespace triplex {

enum class RpcKind { kUnary, kServerStreaming, kClientStreaming, kBidiStreaming };

enum class RpcProtocol { kGrpc, kGrpcWeb, kConnect };

// "grpc", "grpc-web", "connect": for logs and metrics.
constexpr std::string_view protocol_name(RpcProtocol protocol) {
  switch (protocol) {
    case RpcProtocol::kGrpc:
      return "grpc";
    case RpcProtocol::kGrpcWeb:
      return "grpc-web";
    case RpcProtocol::kConnect:
      return "connect";
  }
  return "";
}

}  // namespace triplex
