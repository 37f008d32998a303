#pragma once
/// @file
/// What servers, clients and proxies share about an RPC: its shape and the
/// protocol it travels in.
#include <optional>
#include <string_view>

namespace triplex {

enum class RpcKind { kUnary, kServerStreaming, kClientStreaming, kBidiStreaming };

enum class RpcProtocol { kGrpc, kGrpcWeb, kConnect };

/// "grpc", "grpc-web", "connect": for logs and metrics.
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

/// The protocol a person named (a flag, a config file): "grpc", "grpc-web" or
/// "grpcweb" (buf curl's spelling), "connect". Every command parses names
/// here, so each accepts the same spellings. nullopt for anything else.
constexpr std::optional<RpcProtocol> parse_protocol_name(std::string_view name) {
  if (name == "grpc") return RpcProtocol::kGrpc;
  if (name == "grpc-web" || name == "grpcweb") return RpcProtocol::kGrpcWeb;
  if (name == "connect") return RpcProtocol::kConnect;
  return std::nullopt;
}

}  // namespace triplex
