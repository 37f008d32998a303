#pragma once
// One HTTP/2 request stream as an http::Exchange. Owned jointly by its
// connection (until nghttp2 closes the stream) and the application.
#include <nghttp2/nghttp2.h>

#include <memory>
#include <string>

#include "src/http/exchange.h"
#include "src/http/stream_body.h"

namespace triplex::http {

class Http2ServerConnection;

class Http2Stream final : public Exchange, public std::enable_shared_from_this<Http2Stream> {
 public:
  Http2Stream(Http2ServerConnection* connection, std::int32_t id,
              const asio::any_io_executor& executor);

  const RequestHead& request() const override { return head_; }
  const net::PeerInfo& peer() const override;
  ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp2}; }
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

  // Called by the connection from nghttp2 callbacks.
  RequestHead& mutable_head() { return head_; }
  std::size_t& header_bytes() { return header_bytes_; }
  bool headers_too_large = false;
  bool dispatched = false;
  // Answered early: the rest of the request is dropped, then (kStopped) the
  // client was asked to stop sending it.
  enum class Discard { kNo, kDiscarding, kStopped } discard = Discard::kNo;
  void on_data(const std::uint8_t* data, std::size_t length);
  void on_request_end();
  void on_closed(std::uint32_t error_code);
  void detach() { connection_ = nullptr; }
  ssize_t read_outbound(std::uint8_t* buf, std::size_t length, std::uint32_t* data_flags);
  std::int32_t id() const { return id_; }
  bool request_ended() const { return inbound_.ended(); }
  // Request-body bytes received but not yet read (their credit is still out).
  std::size_t unconsumed() const { return inbound_.unread(); }

 private:
  void mark_reset(ResetReason reason);
  void submit_head(const ResponseHead& head, bool with_body);
  void resume();
  // An nghttp2 call failed for this stream: reset it (INTERNAL_ERROR) and log.
  void fail_locally(const char* call, int rv);

  Http2ServerConnection* connection_;
  asio::any_io_executor executor_;
  std::int32_t id_;
  RequestHead head_;
  std::size_t header_bytes_ = 0;

  InboundBody inbound_;
  OutboundBody outbound_;
  bool finished_ = false;
  bool closed_ = false;
  Headers trailers_;

  bool head_sent_ = false;
  ResetReason reset_ = ResetReason::kNone;
};

}  // namespace triplex::http
