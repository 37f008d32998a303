#pragma once
// One HTTP/3 request stream as an http::Exchange. Owned jointly by its
// connection (until QUIC closes the stream) and the application; it stays
// valid after the connection is gone, failing as if reset.
//
// Concurrency: lives on its connection's worker, like the connection.
//
// Response bytes sit in an OutboundBody from queue() to acknowledgement;
// write() suspends while more than ConnectionOptions::stream_write_buffer of
// them are unacknowledged.
#include <nghttp3/nghttp3.h>

#include <memory>
#include <string>

#include "src/http/exchange.h"
#include "src/http/stream_body.h"
#include "src/net/event.h"

namespace triplex::http {

class Http3ServerConnection;

class Http3Stream final : public Exchange, public std::enable_shared_from_this<Http3Stream> {
 public:
  Http3Stream(Http3ServerConnection* connection, std::int64_t id,
              const asio::any_io_executor& executor);

  const RequestHead& request() const override { return head_; }
  const net::PeerInfo& peer() const override;
  ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp3}; }
  asio::any_io_executor executor() const override { return executor_; }
  asio::awaitable<bool> read(std::string& out) override;
  void send_head(ResponseHead head) override;
  asio::awaitable<void> write(std::string data) override;
  void queue(std::string data) override;
  void finish(Headers trailers) override;
  void respond(ResponseHead head) override;
  void reset(ResetReason reason) override;
  bool is_reset() const override { return reset_ != ResetReason::kNone; }
  bool head_sent() const override { return head_sent_; }
  bool is_early_data() const override { return early_data_; }
  asio::awaitable<bool> wait_for_handshake() override;

  // Called by the connection, from nghttp3 and ngtcp2 callbacks.
  RequestHead& mutable_head() { return head_; }
  std::size_t& header_bytes() { return header_bytes_; }
  bool headers_too_large = false;
  bool dispatched = false;
  bool response_written = false;  // every response byte and the FIN went to QUIC
  bool slot_released = false;     // counted back into the peer's stream limit
  void on_data(const std::uint8_t* data, std::size_t size);
  void on_request_end();
  // The peer reset its side (RESET_STREAM) or asked us to stop (STOP_SENDING).
  void on_peer_reset(std::uint64_t app_error_code);
  void on_acked(std::uint64_t size);
  void on_closed(std::uint64_t app_error_code);
  void on_connection_lost();
  // The request head arrived before the handshake completed (0-RTT).
  void mark_early_data() { early_data_ = true; }
  void on_handshake_completed() { handshake_.notify(); }
  void detach() { connection_ = nullptr; }
  nghttp3_ssize read_outbound(nghttp3_vec* vec, std::size_t capacity, std::uint32_t* flags);
  std::int64_t id() const { return id_; }
  bool request_ended() const { return inbound_.ended(); }
  // Request-body bytes received but not yet read (their credit is still out).
  std::size_t unconsumed() const { return inbound_.unread(); }

 private:
  void mark_reset(ResetReason reason);
  // An nghttp3 call failed for this stream: reset it (H3_INTERNAL_ERROR) and log.
  void fail_locally(const char* call, int rv);
  void submit_head(const ResponseHead& head, bool with_body);
  // New body bytes or the end of the body: nghttp3 asks for them again.
  void resume();

  Http3ServerConnection* connection_;
  asio::any_io_executor executor_;
  std::int64_t id_;
  RequestHead head_;
  std::size_t header_bytes_ = 0;

  InboundBody inbound_;
  OutboundBody outbound_;
  bool finished_ = false;
  bool closed_ = false;
  Headers trailers_;

  bool head_sent_ = false;
  ResetReason reset_ = ResetReason::kNone;

  bool early_data_ = false;
  net::Event handshake_;
};

}  // namespace triplex::http
