#include "src/http/h2/http2_stream.h"

#include <asio/post.hpp>
#include <cstring>
#include <vector>

#include "src/http/h2/http2_errors.h"
#include "src/http/h2/http2_server_connection.h"
#include "src/log/log.h"

namespace triplex::http {
namespace {

nghttp2_nv make_nv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

ssize_t read_outbound_cb(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                         std::uint32_t* data_flags, nghttp2_data_source* source, void*) {
  return static_cast<Http2Stream*>(source->ptr)->read_outbound(buf, length, data_flags);
}

}  // namespace

Http2Stream::Http2Stream(Http2ServerConnection* connection, std::int32_t id,
                         const asio::any_io_executor& executor)
    : connection_(connection),
      executor_(executor),
      id_(id),
      inbound_(executor),
      outbound_(executor, connection->options().stream_write_buffer) {}

const net::PeerInfo& Http2Stream::peer() const {
  static const net::PeerInfo kGone;
  return connection_ ? connection_->peer() : kGone;
}

asio::awaitable<bool> Http2Stream::read(std::string& out) {
  for (;;) {
    if (is_reset()) throw ExchangeReset(reset_);
    if (inbound_.unread() > 0) {
      std::size_t n = inbound_.take(out);
      // Only now may the peer send as much again.
      if (int rv = connection_ ? connection_->consume(id_, n) : 0; rv != 0) {
        fail_locally("nghttp2_session_consume", rv);
        throw ExchangeReset(reset_);
      }
      co_return true;
    }
    if (inbound_.ended()) co_return false;
    co_await inbound_.wait();
  }
}

void Http2Stream::submit_head(const ResponseHead& head, bool with_body) {
  if (connection_ == nullptr || head_sent_ || is_reset()) return;
  head_sent_ = true;
  std::string status = std::to_string(head.status);
  static const std::string kStatus = ":status";
  std::vector<nghttp2_nv> nva;
  nva.reserve(head.headers.size() + extra_response_headers.size() + 1);
  nva.push_back(make_nv(kStatus, status));
  for (const auto& h : head.headers) nva.push_back(make_nv(h.name, h.value));
  for (const auto& h : extra_response_headers) nva.push_back(make_nv(h.name, h.value));
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = read_outbound_cb;
  int rv = nghttp2_submit_response(connection_->session(), id_, nva.data(), nva.size(),
                                   with_body ? &provider : nullptr);
  if (rv != 0) {
    fail_locally("nghttp2_submit_response", rv);
    return;
  }
  connection_->want_write();
}

void Http2Stream::send_head(ResponseHead head) { submit_head(head, true); }

void Http2Stream::respond(ResponseHead head) {
  finished_ = true;
  submit_head(head, false);
}

void Http2Stream::queue(std::string data) {
  if (is_reset() || connection_ == nullptr || finished_) return;
  if (!head_sent_) send_head({});
  if (data.empty()) return;
  outbound_.push(std::move(data));
  resume();
}

asio::awaitable<void> Http2Stream::write(std::string data) {
  if (is_reset() || connection_ == nullptr) throw ExchangeReset(reset_);
  queue(std::move(data));
  while (outbound_.over_limit()) {
    if (is_reset() || connection_ == nullptr) throw ExchangeReset(reset_);
    co_await outbound_.wait_drained();
  }
  if (is_reset()) throw ExchangeReset(reset_);
}

void Http2Stream::finish(Headers trailers) {
  if (finished_ || connection_ == nullptr || is_reset()) return;
  if (!head_sent_) send_head({});
  finished_ = true;
  outbound_.finish();
  trailers_ = std::move(trailers);
  resume();
}

void Http2Stream::resume() {
  // INVALID_ARGUMENT: the data was not deferred (nghttp2 is sending it), which is fine.
  int rv = nghttp2_session_resume_data(connection_->session(), id_);
  if (rv != 0 && rv != NGHTTP2_ERR_INVALID_ARGUMENT) {
    fail_locally("nghttp2_session_resume_data", rv);
    return;
  }
  connection_->want_write();
}

void Http2Stream::fail_locally(const char* call, int rv) {
  TRIPLEX_LOG(LogLevel::kError, "HTTP/2 stream failed",
              {{"stream", id_}, {"call", call}, {"error", nghttp2_strerror(rv)}});
  ResetReason reason = ResetReason::kInternal;
  if (connection_ && !closed_) {
    int sent = nghttp2_submit_rst_stream(connection_->session(), NGHTTP2_FLAG_NONE, id_,
                                         h2_error_code(reason));
    // Without even a RST_STREAM the session is unusable: end it.
    if (sent != 0) connection_->fail(NGHTTP2_INTERNAL_ERROR, "internal error");
    connection_->want_write();
  }
  // Like a peer's reset, but the handler hears of it from a later turn: this
  // runs inside its own send_head/read.
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
  post_reset_notice(shared_from_this(), reason);
}

void Http2Stream::reset(ResetReason reason) {
  if (is_reset() || closed_) return;
  if (connection_) {
    int rv = nghttp2_submit_rst_stream(connection_->session(), NGHTTP2_FLAG_NONE, id_,
                                       h2_error_code(reason));
    if (rv != 0) connection_->fail(NGHTTP2_INTERNAL_ERROR, "internal error");
    connection_->want_write();
  }
  reset_ = reason;  // our own reset: no on_reset callback
  inbound_.wake();
  outbound_.wake();
}

ssize_t Http2Stream::read_outbound(std::uint8_t* buf, std::size_t length,
                                   std::uint32_t* data_flags) {
  std::size_t copied = outbound_.copy_out(buf, length);
  if (!outbound_.has_unsent() && finished_) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!trailers_.empty() && connection_) {
      std::vector<nghttp2_nv> nva;
      for (const auto& h : trailers_) nva.push_back(make_nv(h.name, h.value));
      *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      int rv = nghttp2_submit_trailer(connection_->session(), id_, nva.data(), nva.size());
      if (rv != 0) {
        TRIPLEX_LOG(
            LogLevel::kError, "HTTP/2 stream failed",
            {{"stream", id_}, {"call", "nghttp2_submit_trailer"}, {"error", nghttp2_strerror(rv)}});
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // nghttp2 resets the stream
      }
    }
    return static_cast<ssize_t>(copied);
  }
  if (copied == 0) return NGHTTP2_ERR_DEFERRED;
  return static_cast<ssize_t>(copied);
}

void Http2Stream::on_data(const std::uint8_t* data, std::size_t length) {
  inbound_.append(data, length);
}

void Http2Stream::on_request_end() { inbound_.end(); }

void Http2Stream::mark_reset(ResetReason reason) {
  if (is_reset()) return;
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
  if (on_reset) on_reset(reason);
}

void Http2Stream::on_closed(std::uint32_t error_code) {
  closed_ = true;
  // A stream that closes before our response ended was cut short by the peer.
  if (error_code != NGHTTP2_NO_ERROR || !finished_) {
    mark_reset(error_code == NGHTTP2_NO_ERROR ? ResetReason::kCancel : h2_reset_reason(error_code));
  }
  outbound_.wake();
}

}  // namespace triplex::http
