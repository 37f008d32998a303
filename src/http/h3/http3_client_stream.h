#pragma once
// One HTTP/3 request from the client's side, as an http::ClientExchange.
// Owned jointly by its connection (until QUIC closes the stream) and the
// caller; after the connection is gone it fails as if reset.
//
// Concurrency: lives on its connection's worker, like the connection.
#include <nghttp3/nghttp3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "src/http/client_exchange.h"
#include "src/http/stream_body.h"

namespace triplex::http {

class Http3ClientConnection;

class Http3ClientStream final : public ClientExchange,
                                public std::enable_shared_from_this<Http3ClientStream> {
 public:
  Http3ClientStream(Http3ClientConnection* connection, RequestHead head, bool end_stream,
                    const asio::any_io_executor& executor);

  asio::awaitable<void> write(std::string data) override;
  void finish() override;
  asio::awaitable<ResponseHead> read_head() override;
  asio::awaitable<bool> read(std::string& out) override;
  const Headers& trailers() const override { return trailers_; }
  void reset(ResetReason reason) override;
  bool is_reset() const override { return reset_ != ResetReason::kNone; }
  ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp3}; }
  bool sent_as_early_data() const override { return early_data_; }

  // Called by the connection, from nghttp3 and ngtcp2 callbacks.
  const RequestHead& request() const { return request_; }
  bool has_body() const { return !request_ended_at_open_; }
  std::int64_t id() const { return id_; }
  void bind(std::int64_t id) { id_ = id; }
  // Rejected 0-RTT: the request goes out again on a new stream.
  void rewind();
  void set_early_data(bool early) { early_data_ = early; }
  nghttp3_ssize read_outbound(nghttp3_vec* vec, std::size_t capacity, std::uint32_t* flags);
  void on_acked(std::uint64_t size);
  // A response header field (`trailer`: after the body).
  void on_field(std::string_view name, std::string_view value, bool trailer);
  void on_head_end();
  void on_data(const std::uint8_t* data, std::size_t size);
  void on_end();
  void on_peer_reset(std::uint64_t app_error_code);
  void on_closed(std::uint64_t app_error_code);
  void on_connection_lost();
  void detach() { connection_ = nullptr; }
  // Body bytes received but not yet read (their credit is still out).
  std::size_t unconsumed() const { return inbound_.unread(); }

 private:
  void mark_reset(ResetReason reason);
  void resume();

  Http3ClientConnection* connection_;
  asio::any_io_executor executor_;
  std::int64_t id_ = -1;
  RequestHead request_;
  bool request_ended_at_open_;
  bool early_data_ = false;

  OutboundBody outbound_;

  ResponseHead head_;  // being received, then final
  bool head_done_ = false;
  std::size_t header_bytes_ = 0;
  bool headers_too_large_ = false;
  InboundBody inbound_;  // its reader also waits there for the head
  Headers trailers_;

  ResetReason reset_ = ResetReason::kNone;
};

}  // namespace triplex::http
