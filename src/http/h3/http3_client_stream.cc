#include "src/http/h3/http3_client_stream.h"

#include <charconv>

#include "src/http/h3/http3_client_connection.h"
#include "src/http/h3/http3_errors.h"

namespace triplex::http {

Http3ClientStream::Http3ClientStream(Http3ClientConnection* connection, RequestHead head,
                                     bool end_stream, const asio::any_io_executor& executor)
    : connection_(connection),
      executor_(executor),
      request_(std::move(head)),
      request_ended_at_open_(end_stream),
      outbound_(executor, connection->options().stream_write_buffer),
      inbound_(executor) {
  if (end_stream) outbound_.finish();
}

void Http3ClientStream::resume() {
  if (connection_ == nullptr || id_ < 0) return;
  int rv = nghttp3_conn_resume_stream(connection_->session(), id_);
  if (rv != 0) {
    connection_->call_failed("nghttp3_conn_resume_stream", nghttp3_strerror(rv));
    connection_->close_failed();
    return;
  }
  connection_->want_write();
}

asio::awaitable<void> Http3ClientStream::write(std::string data) {
  if (is_reset() || connection_ == nullptr) throw ExchangeReset(reset_);
  outbound_.push(std::move(data));
  resume();
  while (outbound_.over_limit()) {
    if (is_reset() || connection_ == nullptr) throw ExchangeReset(reset_);
    co_await outbound_.wait_drained();
  }
  if (is_reset()) throw ExchangeReset(reset_);
}

void Http3ClientStream::finish() {
  if (outbound_.finished() || is_reset()) return;
  outbound_.finish();
  resume();
}

asio::awaitable<ResponseHead> Http3ClientStream::read_head() {
  for (;;) {
    if (head_done_) co_return head_;
    if (is_reset()) throw ExchangeReset(reset_);
    co_await inbound_.wait();
  }
}

asio::awaitable<bool> Http3ClientStream::read(std::string& out) {
  for (;;) {
    if (inbound_.unread() > 0) {
      std::size_t n = inbound_.take(out);
      // Only now may the server send as much again.
      if (connection_) connection_->consume(id_, n);
      co_return true;
    }
    if (inbound_.ended()) co_return false;
    if (is_reset()) throw ExchangeReset(reset_);
    co_await inbound_.wait();
  }
}

void Http3ClientStream::reset(ResetReason reason) {
  if (is_reset() || inbound_.ended()) return;
  if (connection_ && id_ >= 0) connection_->reset_stream(id_, h3_error_code(reason));
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
}

void Http3ClientStream::rewind() {
  id_ = -1;
  outbound_.rewind();
}

nghttp3_ssize Http3ClientStream::read_outbound(nghttp3_vec* vec, std::size_t capacity,
                                               std::uint32_t* flags) {
  bool eof = false;
  std::size_t n = outbound_.reference_out(vec, capacity, eof);
  if (eof) *flags |= NGHTTP3_DATA_FLAG_EOF;
  if (n == 0 && !eof) return NGHTTP3_ERR_WOULDBLOCK;
  return static_cast<nghttp3_ssize>(n);
}

void Http3ClientStream::on_acked(std::uint64_t size) { outbound_.on_acked(size); }

void Http3ClientStream::on_field(std::string_view name, std::string_view value, bool trailer) {
  if (headers_too_large_) return;
  // RFC 9114 section 4.2.2: name + value + 32 per field.
  header_bytes_ += name.size() + value.size() + 32;
  if (connection_ && header_bytes_ > connection_->options().max_header_list_size) {
    headers_too_large_ = true;
    return;
  }
  if (trailer) {
    if (!name.empty() && name[0] != ':') trailers_.add(name, value);
    return;
  }
  if (name == ":status") {
    int status = 0;
    std::from_chars(value.data(), value.data() + value.size(), status);
    head_.status = status;
  } else if (!name.empty() && name[0] != ':') {
    head_.headers.add(name, value);
  }
}

void Http3ClientStream::on_head_end() {
  if (headers_too_large_) {
    reset(ResetReason::kProtocol);
    return;
  }
  header_bytes_ = 0;
  if (head_.status < 200) {
    head_ = {};  // informational: the real head follows
    return;
  }
  head_done_ = true;
  inbound_.wake();
}

void Http3ClientStream::on_data(const std::uint8_t* data, std::size_t size) {
  inbound_.append(data, size);
}

void Http3ClientStream::on_end() {
  if (headers_too_large_) return;
  if (!head_done_) {
    mark_reset(ResetReason::kProtocol);  // a body without a head
    return;
  }
  inbound_.end();
}

void Http3ClientStream::mark_reset(ResetReason reason) {
  if (is_reset() || inbound_.ended()) return;
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
}

void Http3ClientStream::on_peer_reset(std::uint64_t app_error_code) {
  // STOP_SENDING(H3_NO_ERROR) after a complete response: the server did not
  // need the rest of the request.
  if (app_error_code == NGHTTP3_H3_NO_ERROR && inbound_.ended()) return;
  mark_reset(reason_of(app_error_code));
}

void Http3ClientStream::on_closed(std::uint64_t app_error_code) {
  if (app_error_code != NGHTTP3_H3_NO_ERROR || !inbound_.ended()) {
    mark_reset(app_error_code == NGHTTP3_H3_NO_ERROR ? ResetReason::kCancel
                                                     : reason_of(app_error_code));
  }
  outbound_.wake();
}

void Http3ClientStream::on_connection_lost() { mark_reset(ResetReason::kConnectionLost); }

}  // namespace triplex::http
