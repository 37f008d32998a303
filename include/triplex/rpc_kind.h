#pragma once
// The four shapes of an RPC, shared by servers, clients and proxies.

namespace triplex {

enum class RpcKind { kUnary, kServerStreaming, kClientStreaming, kBidiStreaming };

}  // namespace triplex
