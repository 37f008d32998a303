#pragma once
// The seam between HTTP and RPC: a ServerProtocol recognises its requests and
// wraps an Exchange into a ServerTransport, which frames messages, metadata
// and status the protocol's way. gRPC (with its web flag) and Connect
// implement it in protocol_*.{h,cc}; nothing else knows protocol details.
#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/exchange.h"
#include "triplex/metadata.h"
#include "triplex/service.h"
#include "triplex/status.h"

namespace triplex::rpc {

struct CallLimits {
  std::size_t max_receive_message_size = 4 * 1024 * 1024;
  std::size_t max_send_message_size = 4 * 1024 * 1024;
};

// What the protocol learned from the request head.
struct CallStart {
  Metadata metadata;
  std::optional<std::chrono::nanoseconds> timeout;
  Codec codec = Codec::kProto;
};

// What a protocol must know of the method it serves (null when the path
// routes nowhere: the call then ends with UNIMPLEMENTED in the protocol's form).
struct MethodInfo {
  RpcKind kind = RpcKind::kUnary;
  bool no_side_effects = false;
};

// One call's framing on one exchange. Not thread-safe (one worker).
class ServerTransport {
 public:
  virtual ~ServerTransport() = default;
  // Parses the request head; a non-OK status is answered with finish().
  virtual Status start(const MethodInfo* method, CallStart& out) = 0;
  // The next request message (decompressed), or nullopt at the end of the
  // request. Throws triplex::Error for bad framing, size or compression.
  virtual asio::awaitable<std::optional<std::string>> read() = 0;
  // Sends a response message; headers go first if not sent yet.
  virtual asio::awaitable<void> write(std::string_view payload, const Metadata& headers) = 0;
  virtual void send_headers(const Metadata& headers) = 0;
  // Ends the call (Trailers-Only when nothing was sent). Idempotent.
  virtual void finish(const Status& status, const Metadata& headers, const Metadata& trailers) = 0;
  virtual http::Exchange& exchange() = 0;
  // Which protocol this is, for proxies, logs and metrics.
  virtual RpcProtocol protocol() const = 0;
  // What the request's framing says of the method's kind, when it says
  // anything: Connect's unary form (kUnary) or streaming form
  // (kBidiStreaming); gRPC and gRPC-Web frame every kind alike.
  virtual std::optional<RpcKind> framing_kind() const { return std::nullopt; }
  // The compression the client announced for its messages ("gzip", ...), or
  // "" for none; known once start() has run.
  virtual std::string_view request_encoding() const { return ""; }
  // The message read() returned last arrived compressed.
  bool last_read_compressed() const { return last_read_compressed_; }

 protected:
  bool last_read_compressed_ = false;
};

class ServerProtocol {
 public:
  virtual ~ServerProtocol() = default;
  virtual bool accepts(const http::RequestHead& head) const = 0;
  // The content types it accepts, for a 415's Accept-Post ("application/grpc").
  virtual std::vector<std::string_view> content_types() const = 0;
  virtual std::unique_ptr<ServerTransport> open(std::shared_ptr<http::Exchange> exchange,
                                                const CallLimits& limits) const = 0;
};

}  // namespace triplex::rpc
