#pragma once
// One HTTP/1.1 request/response as an http::Exchange. It owns the response
// framing (Content-Length identity body, chunked body with optional
// trailers, or no body) and the buffered request body; the connection owns
// the socket and the order of bytes on it.
//
// Concurrency: lives on its connection's worker, like every Exchange. Owned
// jointly by the connection (until its response is on the wire) and the
// application; once detached, operations fail as if the stream was reset.
#include <cstdint>
#include <memory>
#include <string>

#include "src/http/exchange.h"
#include "src/http/h1/http1_parser.h"
#include "src/net/event.h"

namespace triplex::http {

class Http1ServerConnection;

// "HTTP/1.1 <status> <reason>\r\n".
std::string http1_status_line(int status);

class Http1Exchange final : public Exchange {
 public:
  Http1Exchange(Http1ServerConnection* connection, Http1Request request,
                const asio::any_io_executor& executor);

  const RequestHead& request() const override { return request_.head; }
  const net::PeerInfo& peer() const override;
  // Trailers need `TE: trailers` and chunked, which HTTP/1.0 lacks.
  ExchangeCapabilities capabilities() const override {
    return {request_.te_trailers && request_.minor_version == 1, HttpVersion::kHttp1};
  }
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

  // Called by the connection.
  std::string& inbound() { return inbound_; }
  std::size_t buffered() const { return inbound_.size(); }
  void on_body_data();
  void on_body_end();
  bool body_ended() const { return request_ended_; }
  bool waiting_for_body() const { return waiting_; }
  bool finished() const { return finished_; }
  void on_drained() { drained_.notify(); }
  // The response is on the wire: the connection lets go.
  void on_response_flushed();
  // The connection died (or gave up on the request) first.
  void on_connection_lost(ResetReason reason);
  // The connection is destroyed without closing (its worker stopped).
  void detach() { connection_ = nullptr; }

 private:
  enum class BodyMode : std::uint8_t { kNone, kIdentity, kChunked, kUntilClose };

  std::string serialize_head(const ResponseHead& head, bool complete);
  // Frames and queues body bytes; false if they overran the content-length
  // (the connection is then aborted).
  bool queue_body(std::string data);
  void mark_reset(ResetReason reason);
  [[noreturn]] void throw_reset() const;

  Http1ServerConnection* connection_;
  asio::any_io_executor executor_;
  Http1Request request_;

  std::string inbound_;
  bool request_ended_ = false;
  bool waiting_ = false;
  bool continue_sent_ = false;
  net::Event readable_;

  BodyMode mode_ = BodyMode::kNone;
  std::uint64_t declared_ = 0;  // kIdentity: the content-length sent
  std::uint64_t written_ = 0;
  bool head_sent_ = false;
  bool finished_ = false;
  net::Event drained_;

  ResetReason reset_ = ResetReason::kNone;
};

}  // namespace triplex::http
