#pragma once
// gRPC and gRPC-Web from the client's side (one class, a `web` flag, as on
// the server). Requests: POST with application/grpc[-web][+json], enveloped
// messages, grpc-timeout. Responses: the status from HTTP trailers, a
// Trailers-Only head, or (gRPC-Web) the 0x80 trailer frame; a response that
// is not gRPC gets a code inferred from its HTTP status, and a stream that
// ends without grpc-status is INTERNAL.
//
// Concurrency: one call on one executor; not thread-safe.
#include <optional>

#include "src/rpc/client_transport_base.h"
#include "src/rpc/enveloped_body.h"

namespace triplex::rpc {

class GrpcClientTransport final : public ClientTransportBase {
 public:
  GrpcClientTransport(ClientCallSpec spec, ExchangeOpener open, bool web);

  asio::awaitable<bool> send(std::string message) override;
  asio::awaitable<void> close_send() override;
  asio::awaitable<std::optional<std::string>> receive() override;

 private:
  // content_length: the whole body's size, when the call sends one message.
  void open_exchange(std::optional<std::size_t> content_length = std::nullopt);
  // False when the head already ended the call (Trailers-Only, not gRPC).
  bool on_head(const http::ResponseHead& head);
  // The status and trailing metadata in `fields` end the call.
  void finish_with(const http::Headers& fields);
  asio::awaitable<std::optional<std::string>> next_message();

  bool web_;
  bool head_read_ = false;
  std::optional<EnvelopedBodyReader> body_;
  const wire::Compressor* response_compressor_ = nullptr;
  std::string response_encoding_;
};

}  // namespace triplex::rpc
