#pragma once
/// @file
/// What servers, clients and proxies share about an RPC: its shape, the
/// protocol it travels in and the HTTP version under that.
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

/// Whether the protocol frames a unary call differently from a stream
/// (Connect does), so that a caller must know the method's kind to call it.
constexpr bool framing_depends_on_kind(RpcProtocol protocol) {
  return protocol == RpcProtocol::kConnect;
}

/// How messages are encoded: binary protobuf or protobuf's JSON mapping.
enum class Codec { kProto, kJson };

/// "proto" / "json", as content types name them (application/grpc+json).
constexpr std::string_view codec_name(Codec codec) {
  return codec == Codec::kJson ? "json" : "proto";
}

/// A client's choice (kAuto: let TLS ALPN and Alt-Svc decide); a connection
/// or a call always has one of the other three.
enum class HttpVersion { kAuto, kHttp1, kHttp2, kHttp3 };

/// "HTTP/1.1", "HTTP/2", "HTTP/3" ("" for kAuto): for logs and metrics.
constexpr std::string_view http_version_name(HttpVersion version) {
  switch (version) {
    case HttpVersion::kHttp1:
      return "HTTP/1.1";
    case HttpVersion::kHttp2:
      return "HTTP/2";
    case HttpVersion::kHttp3:
      return "HTTP/3";
    case HttpVersion::kAuto:
      break;
  }
  return "";
}

}  // namespace triplex
