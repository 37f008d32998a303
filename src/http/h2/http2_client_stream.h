#pragma once
// One HTTP/2 request from the client's side, as an http::ClientExchange.
// Owned jointly by its connection (until nghttp2 closes the stream) and the
// caller; once the connection lets go of it (stream closed, GOAWAY, the
// connection gone) it is detached and fails as if reset.
//
// Concurrency: lives on its connection's worker, like the connection.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>

#include "src/http/client_exchange.h"
#include "src/http/stream_body.h"

namespace triplex::http {

class Http2ClientConnection;

class Http2ClientStream final : public ClientExchange {
 public:
  Http2ClientStream(Http2ClientConnection* connection, bool end_stream,
                    const asio::any_io_executor& executor);

  asio::awaitable<void> write(std::string data) override;
  void finish() override;
  asio::awaitable<ResponseHead> read_head() override;
  asio::awaitable<bool> read(std::string& out) override;
  const Headers& trailers() const override { return trailers_; }
  void reset(ResetReason reason) override;
  bool is_reset() const override { return reset_ != ResetReason::kNone; }
  ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp2}; }

  // Called by the connection, from nghttp2 callbacks.
  std::int32_t id() const { return id_; }
  void bind(std::int32_t id) { id_ = id; }
  ssize_t read_outbound(std::uint8_t* buf, std::size_t length, std::uint32_t* data_flags);
  // A HEADERS block begins (the head, an informational head, or trailers).
  void on_begin_block() { in_trailers_ = head_done_; }
  void on_field(std::string_view name, std::string_view value);
  void on_block_end();
  void on_data(const std::uint8_t* data, std::size_t size);
  void on_end();
  void on_closed(std::uint32_t error_code);
  // Refused by GOAWAY (safe to retry) or gone with the connection.
  void fail(ResetReason reason);
  void detach() { connection_ = nullptr; }
  // Body bytes received but not yet read (their credit is still out).
  std::size_t unconsumed() const { return inbound_.unread(); }

 private:
  void mark_reset(ResetReason reason);
  void resume();

  Http2ClientConnection* connection_;
  std::int32_t id_ = -1;

  OutboundBody outbound_;  // request-body bytes not yet handed to nghttp2

  ResponseHead head_;  // being received, then final
  bool head_done_ = false;
  bool in_trailers_ = false;
  std::size_t header_bytes_ = 0;
  bool headers_too_large_ = false;
  InboundBody inbound_;  // its reader also waits there for the head
  Headers trailers_;

  ResetReason reset_ = ResetReason::kNone;
};

}  // namespace triplex::http
