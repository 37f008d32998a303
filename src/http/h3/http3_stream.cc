#include "src/http/h3/http3_stream.h"

#include <asio/post.hpp>
#include <vector>

#include "src/http/h3/http3_errors.h"
#include "src/http/h3/http3_server_connection.h"
#include "src/log/log.h"

namespace triplex::http {
namespace {

nghttp3_nv make_nv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP3_NV_FLAG_NONE};
}

nghttp3_ssize read_outbound_cb(nghttp3_conn*, std::int64_t, nghttp3_vec* vec, std::size_t veccnt,
                               std::uint32_t* pflags, void*, void* stream_user_data) {
  return static_cast<Http3Stream*>(stream_user_data)->read_outbound(vec, veccnt, pflags);
}

constexpr nghttp3_data_reader kBodyReader{read_outbound_cb};

}  // namespace

Http3Stream::Http3Stream(Http3ServerConnection* connection, std::int64_t id,
                         const asio::any_io_executor& executor)
    : connection_(connection),
      executor_(executor),
      id_(id),
      inbound_(executor),
      outbound_(executor, connection->options().stream_write_buffer),
      handshake_(executor) {}

const net::PeerInfo& Http3Stream::peer() const {
  static const net::PeerInfo kGone;
  return connection_ ? connection_->peer() : kGone;
}

asio::awaitable<bool> Http3Stream::read(std::string& out) {
  for (;;) {
    if (is_reset()) throw ExchangeReset(reset_);
    if (inbound_.unread() > 0) {
      std::size_t n = inbound_.take(out);
      // Only now may the peer send as much again.
      if (connection_) connection_->consume(id_, n);
      co_return true;
    }
    // A stream closed without error after an early response: no more body.
    if (inbound_.ended() || closed_) co_return false;
    co_await inbound_.wait();
  }
}

asio::awaitable<bool> Http3Stream::wait_for_handshake() {
  for (;;) {
    if (connection_ == nullptr || is_reset()) co_return false;
    if (connection_->handshake_completed()) co_return true;
    co_await handshake_.wait();
  }
}

void Http3Stream::submit_head(const ResponseHead& head, bool with_body) {
  if (connection_ == nullptr || head_sent_ || is_reset()) return;
  head_sent_ = true;
  std::string status = std::to_string(head.status);
  static const std::string kStatus = ":status";
  std::vector<nghttp3_nv> nva;
  nva.reserve(head.headers.size() + extra_response_headers.size() + 1);
  nva.push_back(make_nv(kStatus, status));
  for (const auto& h : head.headers) nva.push_back(make_nv(h.name, h.value));
  for (const auto& h : extra_response_headers) nva.push_back(make_nv(h.name, h.value));
  // nghttp3 copies the fields; the body is read through kBodyReader.
  int rv = nghttp3_conn_submit_response(connection_->session(), id_, nva.data(), nva.size(),
                                        with_body ? &kBodyReader : nullptr);
  if (rv != 0) {
    fail_locally("nghttp3_conn_submit_response", rv);
    return;
  }
  connection_->want_write();
}

void Http3Stream::send_head(ResponseHead head) { submit_head(head, true); }

void Http3Stream::respond(ResponseHead head) {
  finished_ = true;
  submit_head(head, false);
}

void Http3Stream::resume() {
  if (connection_ == nullptr) return;
  int rv = nghttp3_conn_resume_stream(connection_->session(), id_);
  if (rv != 0) {
    fail_locally("nghttp3_conn_resume_stream", rv);
    return;
  }
  connection_->want_write();
}

void Http3Stream::queue(std::string data) {
  if (is_reset() || connection_ == nullptr || finished_) return;
  if (!head_sent_) send_head({});
  if (data.empty()) return;
  outbound_.push(std::move(data));
  resume();
}

asio::awaitable<void> Http3Stream::write(std::string data) {
  if (is_reset() || connection_ == nullptr) throw ExchangeReset(reset_);
  queue(std::move(data));
  while (outbound_.over_limit()) {
    if (is_reset() || connection_ == nullptr) throw ExchangeReset(reset_);
    co_await outbound_.wait_drained();
  }
  if (is_reset()) throw ExchangeReset(reset_);
}

void Http3Stream::finish(Headers trailers) {
  if (finished_ || connection_ == nullptr || is_reset()) return;
  if (!head_sent_) send_head({});
  finished_ = true;
  outbound_.finish();
  trailers_ = std::move(trailers);
  resume();
}

void Http3Stream::reset(ResetReason reason) {
  if (is_reset() || closed_) return;
  if (connection_) connection_->reset_stream(id_, h3_error_code(reason));
  reset_ = reason;  // our own reset: no on_reset callback
  inbound_.wake();
  outbound_.wake();
}

nghttp3_ssize Http3Stream::read_outbound(nghttp3_vec* vec, std::size_t capacity,
                                         std::uint32_t* flags) {
  bool eof = false;
  std::size_t n = outbound_.reference_out(vec, capacity, eof);
  if (eof) *flags |= NGHTTP3_DATA_FLAG_EOF;
  if (n == 0 && !eof) return NGHTTP3_ERR_WOULDBLOCK;
  if (eof && !trailers_.empty() && connection_) {
    std::vector<nghttp3_nv> nva;
    nva.reserve(trailers_.size());
    for (const auto& h : trailers_) nva.push_back(make_nv(h.name, h.value));
    *flags |= NGHTTP3_DATA_FLAG_NO_END_STREAM;
    int rv = nghttp3_conn_submit_trailers(connection_->session(), id_, nva.data(), nva.size());
    if (rv != 0) {
      connection_->call_failed("nghttp3_conn_submit_trailers", nghttp3_strerror(rv));
      return NGHTTP3_ERR_CALLBACK_FAILURE;
    }
  }
  return static_cast<nghttp3_ssize>(n);
}

void Http3Stream::fail_locally(const char* call, int rv) {
  TRIPLEX_LOG(LogLevel::kError, "HTTP/3 stream failed",
              {{"stream", id_}, {"call", call}, {"error", nghttp3_strerror(rv)}});
  ResetReason reason = ResetReason::kInternal;
  if (connection_ && !closed_) connection_->reset_stream(id_, h3_error_code(reason));
  // Like a peer's reset, but the handler hears of it from a later turn: this
  // runs inside its own send_head/write.
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
  post_reset_notice(shared_from_this(), reason);
}

void Http3Stream::on_acked(std::uint64_t size) { outbound_.on_acked(size); }

void Http3Stream::on_data(const std::uint8_t* data, std::size_t size) {
  inbound_.append(data, size);
}

void Http3Stream::on_request_end() { inbound_.end(); }

void Http3Stream::mark_reset(ResetReason reason) {
  if (is_reset()) return;
  reset_ = reason;
  inbound_.wake();
  outbound_.wake();
  if (on_reset) on_reset(reason);
}

void Http3Stream::on_peer_reset(std::uint64_t app_error_code) {
  // Nothing left to cut short, or the answer to our own STOP_SENDING after
  // an early response.
  if (finished_ && (inbound_.ended() || app_error_code == NGHTTP3_H3_NO_ERROR)) return;
  mark_reset(reason_of(app_error_code));
}

void Http3Stream::on_closed(std::uint64_t app_error_code) {
  closed_ = true;
  // A stream that closes before our response ended was cut short.
  if (app_error_code != NGHTTP3_H3_NO_ERROR || !finished_) {
    mark_reset(app_error_code == NGHTTP3_H3_NO_ERROR ? ResetReason::kCancel
                                                     : reason_of(app_error_code));
  }
  outbound_.wake();
}

void Http3Stream::on_connection_lost() {
  // Still open, so the response was not all delivered.
  closed_ = true;
  mark_reset(ResetReason::kConnectionLost);
  handshake_.notify();
}

}  // namespace triplex::http
