#pragma once
// The client's side of the seam between HTTP and RPC: a ClientTransport runs
// one call's protocol (gRPC, gRPC-Web or Connect) over a ClientExchange it
// opens itself. It builds the request head, frames request messages, and
// turns whatever comes back — messages, trailers, an HTTP error, a reset —
// into response messages, metadata and one final Status, inferring codes the
// way each protocol tells clients to. protocol_grpc_client and
// protocol_connect_client implement it; nothing else knows protocol details.
//
// Concurrency: one call on one executor; not thread-safe.
#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "src/http/client_exchange.h"
#include "src/rpc/protocol.h"
#include "src/wire/compression.h"
#include "triplex/metadata.h"
#include "triplex/status.h"
#include "triplex/version.h"

namespace triplex::rpc {

// Everything a transport needs to know of the call it runs.
struct ClientCallSpec {
  std::string path;       // "/package.Service/Method"
  std::string authority;  // host[:port]
  std::string scheme = "https";
  RpcKind kind = RpcKind::kUnary;
  // The channel allows GET (connect_get) and the method has no side effects:
  // a protocol that can (Connect, unary) sends the call as a GET.
  bool get_allowed = false;
  Codec codec = Codec::kProto;
  const wire::Compressor* compressor = nullptr;  // request messages; null: identity
  std::optional<std::chrono::nanoseconds> timeout;
  Metadata metadata;
  std::size_t max_receive_message_size = 4 * 1024 * 1024;
  std::string user_agent = kUserAgent;  // "triplex/X.Y.Z"
  // Sees every response head (the channel learns Alt-Svc from them).
  std::function<void(const http::ResponseHead&)> on_response_head;
};

// Opens the call's exchange on a connection the caller picked.
using ExchangeOpener =
    std::function<std::shared_ptr<http::ClientExchange>(http::RequestHead head, bool end_stream)>;

class ClientTransport {
 public:
  virtual ~ClientTransport() = default;

  // Sends one encoded request message. False when the call is already over
  // (its status says why); unary and server-streaming calls send one.
  virtual asio::awaitable<bool> send(std::string message) = 0;
  // No more request messages.
  virtual asio::awaitable<void> close_send() = 0;
  // The next response message (decompressed), or nullopt once the response
  // is over; status() is then final. Never throws: failures become the status.
  virtual asio::awaitable<std::optional<std::string>> receive() = 0;

  // Response headers, once the first receive() returned.
  virtual const Metadata& headers() const = 0;
  // Trailing metadata, once receive() returned nullopt.
  virtual const Metadata& trailers() const = 0;
  virtual const Status& status() const = 0;
  // Ends the call now with `status` (a deadline, the caller cancelling):
  // the exchange is reset and pending operations finish.
  virtual void cancel(Status status) = 0;
  // The request went out as 0-RTT early data (HTTP/3 resumption).
  virtual bool sent_as_early_data() const = 0;
  // When the response head arrived, if it has.
  virtual std::optional<std::chrono::steady_clock::time_point> response_started() const = 0;
};

std::unique_ptr<ClientTransport> make_client_transport(RpcProtocol protocol, ClientCallSpec spec,
                                                       ExchangeOpener open);

// The status a client reports when its exchange was reset (gRPC's HTTP/2
// error mapping: REFUSED_STREAM -> UNAVAILABLE, CANCEL -> CANCELLED, ...).
Status status_from_reset(http::ResetReason reason);
// The same, with the HTTP layer's account of what happened as the message
// when it gave one.
Status status_from_reset(const http::ExchangeReset& reset);

}  // namespace triplex::rpc
