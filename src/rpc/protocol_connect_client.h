#pragma once
// Connect from the client's side. Unary calls are plain HTTP: a POST whose
// body is the message (or, for side-effect-free methods, a GET with the
// message in the query), answered by 200 and the message, or by an error
// status and a JSON error body; trailing metadata rides in "trailer-"
// headers. Streaming calls are enveloped both ways and end with the
// end-of-stream message. A response that is not Connect gets its code from
// the HTTP status.
//
// Concurrency: one call on one executor; not thread-safe.
#include <optional>

#include "src/rpc/client_transport_base.h"
#include "src/rpc/enveloped_body.h"

namespace triplex::rpc {

class ConnectClientTransport final : public ClientTransportBase {
 public:
  ConnectClientTransport(ClientCallSpec spec, ExchangeOpener open);

  asio::awaitable<bool> send(std::string message) override;
  asio::awaitable<void> close_send() override;
  asio::awaitable<std::optional<std::string>> receive() override;

 private:
  bool unary() const { return spec_.kind == RpcKind::kUnary; }
  std::string content_type() const;
  // Opens a POST (returning the body still to send) or a GET.
  std::string open_unary(const std::string& message);
  void open_get(const std::string& message);
  // content_length: the whole body's size, when the call sends one message.
  void open_streaming(std::optional<std::size_t> content_length = std::nullopt);
  asio::awaitable<std::optional<std::string>> receive_unary();
  asio::awaitable<std::optional<std::string>> receive_streaming();
  // The whole body, within the receive limit.
  asio::awaitable<std::string> read_body();

  bool head_read_ = false;
  std::optional<EnvelopedBodyReader> body_;
  const wire::Compressor* response_compressor_ = nullptr;
  std::string response_encoding_;
};

}  // namespace triplex::rpc
