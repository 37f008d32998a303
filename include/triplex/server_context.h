#pragma once
/// @file
/// What a handler sees of its call: metadata in and out, deadline, peer,
/// cancellation, and message I/O. The protocol (gRPC, gRPC-Web, Connect) and
/// the HTTP version stay behind it (named for logs). A proxy gets more
/// through ProxyContext (triplex/proxy_context.h).
///
/// Concurrency: a call runs on one worker; use its context only from the
/// handler's coroutine (or others on the same executor).
#include <asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "triplex/metadata.h"
#include "triplex/rpc_types.h"
#include "triplex/status.h"

namespace google::protobuf {
class Message;
}

namespace triplex {

struct CallPeer {
  std::string address;  ///< "ip:port"
  bool tls = false;
  /// From a verified client certificate (mTLS); empty otherwise.
  std::string certificate_subject;
  std::vector<std::string> certificate_sans;
  /// The request came as TLS 1.3 / QUIC 0-RTT early data, which an attacker
  /// can replay: only NO_SIDE_EFFECTS methods run before the handshake
  /// completes; others start once it has.
  bool early_data = false;
};

class ServerContext {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~ServerContext() = default;

  /// "/package.Service/Method"
  virtual std::string_view method() const = 0;
  virtual const Metadata& request_metadata() const = 0;
  /// Sent before the first response message (with the status if there is none).
  virtual Metadata& response_headers() = 0;
  virtual Metadata& response_trailers() = 0;
  virtual std::optional<Clock::time_point> deadline() const = 0;
  virtual const CallPeer& peer() const = 0;
  /// True once the client cancelled or the deadline passed; message I/O then
  /// throws triplex::Error and awaited operations are cancelled.
  virtual bool is_cancelled() const = 0;

  /// Message I/O used by the typed readers and writers. read_message returns
  /// false at the end of the request stream; both throw triplex::Error.
  virtual asio::awaitable<bool> read_message(google::protobuf::Message& message) = 0;
  virtual asio::awaitable<void> write_message(const google::protobuf::Message& message) = 0;
  /// Sends response headers now rather than with the first message.
  virtual void send_headers() = 0;
  /// How the client encodes messages.
  virtual Codec codec() const = 0;
  /// The request message read last arrived compressed (a compressed gRPC or
  /// Connect envelope, or a Connect unary body with a content encoding).
  virtual bool request_compressed() const { return false; }
  /// The RPC protocol the call arrived in.
  virtual RpcProtocol protocol() const { return RpcProtocol::kGrpc; }
  /// The HTTP version the call arrived over (http_version_name() for logs).
  virtual HttpVersion http_version() const { return HttpVersion::kAuto; }
};

}  // namespace triplex
