#include "src/http/h2/http2_client_stream.h"

#include <charconv>
#include <cstring>

#include "src/http/h2/http2_client_connection.h"
#include "src/http/h2/http2_errors.h"

namespace triplex::http {

Http2ClientStream::Http2ClientStream(Http2ClientConnection* connection, bool end_stream,
                                     const asio::any_io_executor& executor)
    : connection_(connection), finished_(end_stream), drained_(executor), readable_(executor) {}

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
  if (connection_ == nullptr || finished_) co_return;
  if (!data.empty()) {
    queued_ += data.size();
    outbound_.push_back(std::move(data));
    resume();
  }
  while (connection_ != nullptr && queued_ > connection_->options().stream_write_buffer) {
    co_await drained_.wait();
    if (is_reset()) throw ExchangeReset(reset_);
  }
}

void Http2ClientStream::finish() {
  if (finished_ || is_reset()) return;
  finished_ = true;
  resume();
}

asio::awaitable<ResponseHead> Http2ClientStream::read_head() {
  for (;;) {
    if (head_done_) co_return head_;
    if (is_reset()) throw ExchangeReset(reset_);
    co_await readable_.wait();
  }
}

asio::awaitable<bool> Http2ClientStream::read(std::string& out) {
  for (;;) {
    if (!inbound_.empty()) {
      std::size_t n = inbound_.size();
      if (out.empty()) {
        out.swap(inbound_);
      } else {
        out.append(inbound_);
        inbound_.clear();
      }
      // Only now may the server send as much again.
      if (connection_ != nullptr) connection_->consumed(id_, n);
      co_return true;
    }
    if (ended_) co_return false;
    if (is_reset()) throw ExchangeReset(reset_);
    co_await readable_.wait();
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
  if (ended_) return;  // the response is complete: only the request side is abandoned
  reset_ = reason;
  readable_.notify();
  drained_.notify();
}

ssize_t Http2ClientStream::read_outbound(std::uint8_t* buf, std::size_t length,
                                         std::uint32_t* data_flags) {
  std::size_t copied = 0;
  while (copied < length && !outbound_.empty()) {
    const std::string& front = outbound_.front();
    std::size_t n = std::min(length - copied, front.size() - outbound_offset_);
    std::memcpy(buf + copied, front.data() + outbound_offset_, n);
    copied += n;
    outbound_offset_ += n;
    if (outbound_offset_ == front.size()) {
      outbound_.pop_front();
      outbound_offset_ = 0;
    }
  }
  queued_ -= copied;
  if (connection_ != nullptr && queued_ <= connection_->options().stream_write_buffer / 2) {
    drained_.notify();
  }
  if (outbound_.empty() && finished_) {
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
  readable_.notify();
}

void Http2ClientStream::on_data(const std::uint8_t* data, std::size_t size) {
  inbound_.append(reinterpret_cast<const char*>(data), size);
  readable_.notify();
}

void Http2ClientStream::on_end() {
  if (is_reset()) return;
  if (!head_done_) {
    mark_reset(ResetReason::kProtocol);  // nghttp2 lets no body end without a head; be sure
    return;
  }
  ended_ = true;
  readable_.notify();
}

void Http2ClientStream::mark_reset(ResetReason reason) {
  if (is_reset() || ended_) return;
  reset_ = reason;
  readable_.notify();
  drained_.notify();
}

void Http2ClientStream::on_closed(std::uint32_t error_code) {
  // Closed without error before the response ended: the server cut it short.
  if (error_code != NGHTTP2_NO_ERROR || !ended_) {
    mark_reset(error_code == NGHTTP2_NO_ERROR ? ResetReason::kCancel : h2_reset_reason(error_code));
  }
  drained_.notify();
}

void Http2ClientStream::fail(ResetReason reason) {
  mark_reset(reason);
  drained_.notify();
}

}  // namespace triplex::http
