#include "src/http/h2/http2_client_stream.h"

#include <charconv>

#include "src/http/h2/http2_client_connection.h"
#include "src/http/h2/http2_errors.h"

namespace triplex::http {

Http2ClientStream::Http2ClientStream(Http2ClientConnection* connection, bool end_stream,
                                     const asio::any_io_executor& executor)
    : connection_(connection),
      outbound_(executor, connection->options().stream_write_buffer),
      inbound_(executor) {
  if (end_stream) outbound_.finish();
}

void Http2ClientStream::resume() {
  if (connection_ == nullptr || id_ < 0) return;
  // Fails harmlessly while the HEADERS wait for the stream limit: nghttp2
  // reads the body as soon as they go out.
  int rv = nghttp2_session_resume_data(connection_->session(), id_);
  if (rv != 0 && rv != NGHTTP2_ERR_INVALID_ARGUMENT) {
    connection_->checked(rv, "nghttp2_session_resume_data");
    connection_->close_now();
    return;
  }
  connection_->want_write();
}

asio::awaitable<void> Http2ClientStream::write(std::string data) {
  if (is_reset()) throw ExchangeReset(reset_);
  // Detached without a reset: the response is complete and the server
  // wants no more of the request.
  if (connection_ == nullptr || outbound_.finished()) co_return;
  if (!data.empty()) {
    outbound_.push(std::move(data));
    resume();
  }
  while (connection_ != nullptr && outbound_.over_limit()) {
    co_await outbound_.wait_drained();
    if (is_reset()) throw ExchangeReset(reset_);
  }
}

void Http2ClientStream::finish() {
  if (outbound_.finished() || is_reset()) return;
  outbound_.finish();
  resume();
}

asio::awaitable<ResponseHead> Http2ClientStream::read_head() {
  for (;;) {
    if (head_done_) co_return head_;
    if (is_reset()) throw ExchangeReset(reset_);
    co_await inbound_.wait();
  }
}

asio::awaitable<bool> Http2ClientStream::read(std::string& out) {
  for (;;) {
    if (inbound_.unread() > 0) {
      std::size_t n = inbound_.take(out);
      // Only now may the server send as much again.
      if (connection_ != nullptr) connection_->consumed(id_, n);
      co_return true;
    }
    if (inbound_.ended()) co_return false;
    if (is_reset()) throw ExchangeReset(reset_);
    co_await inbound_.wait();
  }
}

void Http2ClientStream::reset(ResetReason reason) {
  if (is_reset()) return;
  if (connection_ != nullptr && id_ >= 0) {
    // Also drops HEADERS still waiting for the stream limit, unsent.
    int rv = nghttp2_submit_rst_stream(connection_->session(), NGHTTP2_FLAG_NONE, id_,
                                       h2_error_code(reason));
    if (connection_->checked(rv, "nghttp2_submit_rst_stream")) {
      connection_->want_write();
    } else {
      connection_->close_now();
    }
  }
  if (inbound_.ended()) return;  // the response is complete: only the request side is abandoned
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
}

ssize_t Http2ClientStream::read_outbound(std::uint8_t* buf, std::size_t length,
                                         std::uint32_t* data_flags) {
  std::size_t copied = outbound_.copy_out(buf, length);
  if (!outbound_.has_unsent() && outbound_.finished()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(copied);
  }
  if (copied == 0) return NGHTTP2_ERR_DEFERRED;
  return static_cast<ssize_t>(copied);
}

void Http2ClientStream::on_field(std::string_view name, std::string_view value) {
  if (headers_too_large_) return;
  // RFC 9113 section 6.5.2: name + value + 32 per field.
  header_bytes_ += name.size() + value.size() + 32;
  if (connection_ != nullptr && header_bytes_ > connection_->options().max_header_list_size) {
    headers_too_large_ = true;
    return;
  }
  if (in_trailers_) {
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

void Http2ClientStream::on_block_end() {
  if (headers_too_large_) {
    reset(ResetReason::kProtocol);
    return;
  }
  if (in_trailers_) return;  // the end of the stream follows
  header_bytes_ = 0;
  if (head_.status < 200) {
    head_ = {};  // informational: the real head follows
    return;
  }
  head_done_ = true;
  inbound_.wake();
}

void Http2ClientStream::on_data(const std::uint8_t* data, std::size_t size) {
  inbound_.append(data, size);
}

void Http2ClientStream::on_end() {
  if (is_reset()) return;
  if (!head_done_) {
    mark_reset(ResetReason::kProtocol);  // nghttp2 lets no body end without a head; be sure
    return;
  }
  inbound_.end();
}

void Http2ClientStream::mark_reset(ResetReason reason) {
  if (is_reset() || inbound_.ended()) return;
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
}

void Http2ClientStream::on_closed(std::uint32_t error_code) {
  // Closed without error before the response ended: the server cut it short.
  if (error_code != NGHTTP2_NO_ERROR || !inbound_.ended()) {
    mark_reset(error_code == NGHTTP2_NO_ERROR ? ResetReason::kCancel : h2_reset_reason(error_code));
  }
  outbound_.wake();
}

void Http2ClientStream::fail(ResetReason reason) {
  mark_reset(reason);
  outbound_.wake();
}

}  // namespace triplex::http
