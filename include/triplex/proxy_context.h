#pragma once
/// @file
/// What a proxy sees of a call beyond what every handler sees: the messages
/// as the client encoded them, and the framing facts a proxy must keep when
/// it forwards the call. Server::set_fallback_handler hands this to the
/// handler of every path no service claims.
///
/// Concurrency: as ServerContext (one worker; the handler's coroutine).
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "triplex/server_context.h"

namespace triplex {

class ProxyContext : public ServerContext {
 public:
  /// Messages as the client encoded them (decompressed): read_raw returns
  /// nullopt at the end of the request stream. Both throw triplex::Error.
  virtual asio::awaitable<std::optional<std::string>> read_raw() = 0;
  virtual asio::awaitable<void> write_raw(std::string_view payload) = 0;
  /// What the request's framing says of the method's kind when the protocol
  /// tells (Connect: unary, or kBidiStreaming for its streaming form);
  /// nullopt for gRPC and gRPC-Web, which frame every kind alike.
  virtual std::optional<RpcKind> framing_kind() const = 0;
  /// The compression the client announced for its messages ("gzip",
  /// "zstd", ...), or "" for none.
  virtual std::string_view request_encoding() const = 0;
};

/// Serves a call to a path no service claims (see Server::set_fallback_handler).
using ProxyHandler = std::function<asio::awaitable<Status>(ProxyContext&)>;

}  // namespace triplex
