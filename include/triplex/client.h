#pragma once
/// @file
/// Calling gRPC, gRPC-Web and Connect servers over HTTP/1.1, HTTP/2 or HTTP/3.
///
///    asio::io_context io;
///    auto channel = triplex::Channel::create(io, "https://localhost:8443", options);
///    SayResponse reply;
///    triplex::Status s = co_await channel->unary("/connectrpc.eliza.v1.ElizaService/Say",
///                                                request, reply);
///
/// A Channel keeps connections to one target and opens a ClientCall per RPC;
/// messages are protobuf messages (generated or dynamic), encoded as binary
/// or JSON. Every failure ends as a Status with the code the protocol's rules
/// give (a deadline is DEADLINE_EXCEEDED, an unreachable server UNAVAILABLE).
///
/// Concurrency: a Channel and its calls live on the io_context they were
/// created with; use them from coroutines running there.
#include <google/protobuf/message.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "triplex/metadata.h"
#include "triplex/rpc_types.h"
#include "triplex/service.h"
#include "triplex/status.h"
#include "triplex/version.h"

namespace triplex {

struct ClientTlsOptions {
  std::string ca_file;    ///< empty: the system's trust store
  bool insecure = false;  ///< accept any server certificate
  std::string cert_file;  ///< client certificate (mTLS), with key_file
  std::string key_file;
  std::string server_name;  ///< SNI and the name to verify; empty: the target's host
};

/// gRPC's retry policy (service config): a failed attempt is retried while
/// no response message has arrived, its code is retryable, attempts remain
/// and the deadline (which covers all attempts) has not passed.
struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{1000};
  double backoff_multiplier = 2.0;
  std::vector<Code> retryable_codes{Code::kUnavailable};
};

struct ChannelOptions {
  RpcProtocol protocol = RpcProtocol::kGrpc;
  /// kAuto: TLS with ALPN (h2, then http/1.1), h2c for http:// targets; then
  /// HTTP/3 once a response offers it (Alt-Svc) if follow_alt_svc.
  HttpVersion http_version = HttpVersion::kAuto;
  bool follow_alt_svc = true;
  ClientTlsOptions tls;
  bool json = false;        ///< messages as protobuf JSON instead of binary
  std::string compression;  ///< request compression: "gzip", "deflate", "zstd", "br"
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds keepalive_time{0};  ///< 0: no pings of our own
  std::size_t max_receive_message_size = 4 * 1024 * 1024;
  /// A request message larger than this fails its call with RESOURCE_EXHAUSTED
  /// before anything is sent. The default is the most a gRPC envelope can
  /// carry (4 GiB - 1), which also caps any larger setting.
  std::size_t max_send_message_size = 0xFFFF'FFFF;
  /// Connect: unary NO_SIDE_EFFECTS calls as GET (cacheable, 0-RTT-safe).
  bool connect_get = false;
  /// HTTP/3: resume sessions, and send NO_SIDE_EFFECTS calls as 0-RTT.
  bool early_data = true;
  std::optional<RetryPolicy> retry;
  std::string user_agent = kUserAgent;  ///< "triplex/X.Y.Z"
};

struct CallOptions {
  std::optional<std::chrono::milliseconds> timeout;
  Metadata metadata;
};

/// What the channel must know of a method.
struct ClientMethod {
  std::string path;  ///< "/package.Service/Method"
  RpcKind kind = RpcKind::kUnary;
  bool no_side_effects = false;
};

/// Where a call's time went (for tools such as `triplex curl -v`). The
/// connection's phases count from when the connection was asked for, which
/// for a reused one was before the call; a phase that did not happen is unset
/// (HTTP/3 has no TCP connect, plaintext no handshake).
struct CallTimings {
  bool reused_connection = false;                      ///< open before the call was made
  std::optional<std::chrono::microseconds> connect;    ///< TCP connected
  std::optional<std::chrono::microseconds> handshake;  ///< TLS or QUIC handshake done
  /// From when the call was made: the response head arrived.
  std::optional<std::chrono::microseconds> first_byte;
};

/// One RPC. Write request messages, then writes_done(); read response
/// messages until read() says false; finish() gives the status.
class ClientCall {
 public:
  virtual ~ClientCall() = default;
  /// False when the call is already over (finish() says why).
  virtual asio::awaitable<bool> write(const google::protobuf::Message& request) = 0;
  virtual asio::awaitable<void> writes_done() = 0;
  /// False at the end of the response (or on failure).
  virtual asio::awaitable<bool> read(google::protobuf::Message& response) = 0;
  /// Messages as encoded bytes (the channel's codec), for proxies.
  virtual asio::awaitable<bool> write_raw(std::string payload) = 0;
  virtual asio::awaitable<std::optional<std::string>> read_raw() = 0;
  /// Reads whatever is left and returns the final status.
  virtual asio::awaitable<Status> finish() = 0;
  virtual const Metadata& response_headers() const = 0;
  virtual const Metadata& response_trailers() const = 0;
  /// Ends the call with CANCELLED.
  virtual void cancel() = 0;
  /// The request went out as HTTP/3 0-RTT early data.
  virtual bool sent_as_early_data() const = 0;
  /// The HTTP version once connected (kAuto before); http_version_name() for logs.
  virtual HttpVersion http_version() const = 0;
  virtual CallTimings timings() const = 0;
};

class Channel {
 public:
  /// `target`: "https://host:port" (TLS) or "http://host:port" (plaintext).
  /// Throws std::invalid_argument for a malformed target or option.
  static std::shared_ptr<Channel> create(asio::io_context& io, const std::string& target,
                                         ChannelOptions options = {});
  virtual ~Channel() = default;

  virtual std::unique_ptr<ClientCall> call(ClientMethod method, CallOptions options = {}) = 0;
  /// Closes every connection; calls in flight fail.
  virtual void close() = 0;
  virtual const std::optional<RetryPolicy>& retry_policy() const = 0;

  /// One request, one response, with the retry policy applied.
  asio::awaitable<Status> unary(ClientMethod method, const google::protobuf::Message& request,
                                google::protobuf::Message& response, CallOptions options = {});
  asio::awaitable<Status> unary(std::string path, const google::protobuf::Message& request,
                                google::protobuf::Message& response, CallOptions options = {});
};

}  // namespace triplex
