#pragma once
// One HTTP/1.1 request from the client's side, as an http::ClientExchange.
// It owns the request's framing (Content-Length as the caller declared it,
// chunked otherwise, or nothing) and the response's buffered body; the
// connection owns the socket, the order of bytes on it and the parser.
// Bytes written before the connection gets to this request wait here.
//
// Concurrency: lives on its connection's worker, like the connection. Owned
// jointly by its connection (while queued or in flight) and the caller; once
// detached, operations fail as if the stream was reset.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "src/http/client_exchange.h"
#include "src/net/event.h"

namespace triplex::http {

class Http1ClientConnection;

class Http1ClientExchange final : public ClientExchange {
 public:
  Http1ClientExchange(Http1ClientConnection* connection, const asio::any_io_executor& executor);

  // Builds the request head and chooses the body framing; false if `head`
  // cannot be written as HTTP/1.1 (it would split the message).
  bool prepare(const RequestHead& head, bool end_stream);

  asio::awaitable<void> write(std::string data) override;
  void finish() override;
  asio::awaitable<ResponseHead> read_head() override;
  asio::awaitable<bool> read(std::string& out) override;
  const Headers& trailers() const override { return trailers_; }
  void reset(ResetReason reason) override;
  bool is_reset() const override { return reset_ != ResetReason::kNone; }
  // Trailers arrive when the response is chunked; HTTP/1.1 never overlaps a
  // streamed response with a streamed request reliably (proxies buffer).
  ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp1}; }

  // Called by the connection.
  bool head_request() const { return head_request_; }
  // The request said `connection: close`.
  bool close_requested() const { return close_requested_; }
  bool started() const { return started_; }
  bool request_finished() const { return request_finished_; }
  bool response_ended() const { return response_ended_; }
  // Its turn on the connection: the held bytes (head first) go out now.
  std::deque<std::string> start();
  std::string& inbound() { return inbound_; }
  std::size_t buffered() const { return inbound_.size(); }
  void on_head(ResponseHead head);
  void on_body_data() { readable_.notify(); }
  void on_end(Headers trailers);
  void on_drained() { drained_.notify(); }
  // The socket took no more bytes: later writes fail, reads go on.
  void on_write_failed();
  // The connection failed it (or never got to it); `detail` says how.
  void on_failed(ResetReason reason, std::string detail = {});
  void detach() { connection_ = nullptr; }
  // The caller let go of its last reference.
  void on_abandoned();

 private:
  enum class BodyMode : std::uint8_t { kNone, kLength, kChunked };

  // Frames body bytes and passes them on; false past the declared length.
  bool frame(std::string data);
  void emit(std::string bytes);
  std::size_t unwritten() const;
  void mark_reset(ResetReason reason);

  Http1ClientConnection* connection_;
  bool head_request_ = false;
  bool close_requested_ = false;

  BodyMode mode_ = BodyMode::kNone;
  std::uint64_t declared_ = 0;  // kLength: the content-length sent
  std::uint64_t sent_ = 0;
  std::deque<std::string> held_;  // not yet started: head and body bytes
  std::size_t held_bytes_ = 0;
  bool started_ = false;
  bool request_finished_ = false;
  bool write_failed_ = false;
  net::Event drained_;

  ResponseHead head_;
  bool head_done_ = false;
  std::string inbound_;
  bool response_ended_ = false;
  Headers trailers_;
  net::Event readable_;  // head, body, end or reset

  ResetReason reset_ = ResetReason::kNone;
  std::string reset_detail_;  // for ExchangeReset::detail
};

}  // namespace triplex::http
