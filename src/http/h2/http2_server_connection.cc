#include "src/http/h2/http2_server_connection.h"

#include <algorithm>
#include <cstring>

#include "src/http/h2/http2_stream.h"
#include "src/log/log.h"
#include "src/net/deadline.h"

namespace triplex::http {
namespace {

constexpr std::uint8_t kGoawayPingData[8] = {'g', 'o', 'a', 'w', 'a', 'y', 0, 1};
// Empty DATA frames that do not end their stream carry nothing: a client
// sending many is flooding (each costs a frame's processing).
constexpr double kEmptyDataBurst = 1000;
constexpr double kEmptyDataRate = 100;  // per second

}  // namespace

std::shared_ptr<Http2ServerConnection> Http2ServerConnection::start(
    std::unique_ptr<net::ByteStream> stream, std::string preread, const ConnectionOptions& options,
    ExchangeHandler handler) {
  std::shared_ptr<Http2ServerConnection> conn(
      new Http2ServerConnection(std::move(stream), options, std::move(handler)));
  Http2SessionSetup setup;
  setup.stream_window = options.stream_window;
  setup.connection_window = options.connection_window;
  setup.max_header_list_size = options.max_header_list_size;
  setup.max_concurrent_streams = options.max_concurrent_streams;
  setup.max_continuations = options.max_continuations;
  // nghttp2's own reset limiter is the backstop: ours (on_frame_recv) trips
  // first and answers ENHANCE_YOUR_CALM where nghttp2's says INTERNAL_ERROR.
  setup.reset_burst = options.reset_burst * 2;
  setup.reset_rate = options.reset_rate * 2;
  if (!conn->init_session(true, setup)) {
    TRIPLEX_LOG(LogLevel::kError, "HTTP/2 session setup failed",
                {{"peer", conn->peer().remote.address().to_string()}});
    conn->stream_->close();
    return nullptr;
  }
  start_loops(conn, std::move(preread));
  return conn;
}

Http2ServerConnection::Http2ServerConnection(std::unique_ptr<net::ByteStream> stream,
                                             const ConnectionOptions& options,
                                             ExchangeHandler handler)
    : Http2Session(std::move(stream), "server"),
      options_(options),
      handler_(std::move(handler)),
      created_(last_read_),
      idle_since_(last_read_),
      resets_{static_cast<double>(options.reset_burst), last_read_},
      empty_data_{kEmptyDataBurst, last_read_} {}

bool Http2ServerConnection::TokenBucket::take(Clock::time_point now, double burst, double rate) {
  std::chrono::duration<double> elapsed = now - refilled;
  tokens = std::min(burst, tokens + elapsed.count() * rate);
  refilled = now;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

Http2ServerConnection::~Http2ServerConnection() {
  for (auto& [id, s] : streams_) s->detach();
}

Http2ServerConnection::Clock::time_point Http2ServerConnection::next_timer_deadline() const {
  auto next = Clock::time_point::max();
  if (keepalive_ping_sent_) {
    next = std::min(next, net::deadline_after(*keepalive_ping_sent_, options_.keepalive_timeout));
  } else {
    next = std::min(next, net::deadline_after(last_read_, options_.keepalive_time));
  }
  // The idle and age limits only start a graceful GOAWAY: once it is under
  // way they are done (a deadline left in the past would spin this loop).
  if (goaway_ == Goaway::kNone) {
    if (streams_.empty()) {
      next = std::min(
          next, net::deadline_after(std::max(idle_since_, last_read_), options_.idle_timeout));
      next = std::min(next, net::deadline_after(idle_since_, options_.max_connection_idle));
    } else {
      // Nothing wakes the timer when the last stream closes: look again
      // within the shorter idle limit, which then arms the idle deadline
      // before it is due.
      next = std::min(
          next, net::deadline_after(Clock::now(),
                                    std::min(options_.idle_timeout, options_.max_connection_idle)));
    }
    next = std::min(next, net::deadline_after(created_, options_.max_connection_age));
  }
  if (notice_sent_at_ && goaway_ == Goaway::kNoticeSent) {
    next = std::min(next, *notice_sent_at_ + Millis(1000));
  }
  if (force_close_at_) next = std::min(next, *force_close_at_);
  if (!discarding_.empty()) next = std::min(next, discarding_.front().first);
  return next;
}

bool Http2ServerConnection::on_timer(Clock::time_point now) {
  if (force_close_at_ && now >= *force_close_at_) {
    close_now();
    return false;
  }
  if (keepalive_ping_sent_) {
    if (now >= net::deadline_after(*keepalive_ping_sent_, options_.keepalive_timeout)) {
      close_now();  // the peer stopped answering
      return false;
    }
  } else if (now >= net::deadline_after(last_read_, options_.keepalive_time)) {
    if (!checked(nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kKeepalivePingData),
                 "nghttp2_submit_ping")) {
      close_now();
      return false;
    }
    keepalive_ping_sent_ = now;
    want_write();
  }
  if (streams_.empty() && goaway_ == Goaway::kNone) {
    auto quiet_since = std::max(idle_since_, last_read_);
    if (now >= net::deadline_after(quiet_since, options_.idle_timeout)) {
      begin_graceful_goaway();
      force_close_at_ = now + Millis(1000);
    } else if (now >= net::deadline_after(idle_since_, options_.max_connection_idle)) {
      begin_graceful_goaway();
    }
  }
  if (goaway_ == Goaway::kNone &&
      now >= net::deadline_after(created_, options_.max_connection_age)) {
    begin_graceful_goaway();
    if (options_.max_connection_age_grace != kNever) {
      force_close_at_ = net::deadline_after(now, options_.max_connection_age_grace);
    }
  }
  if (goaway_ == Goaway::kNoticeSent && notice_sent_at_ && now >= *notice_sent_at_ + Millis(1000)) {
    send_final_goaway();
  }
  while (!discarding_.empty() && now >= discarding_.front().first) {
    std::int32_t id = discarding_.front().second;
    discarding_.pop_front();
    if (!stop_discarding(id)) {
      close_now();
      return false;
    }
  }
  return true;
}

void Http2ServerConnection::begin_graceful_goaway() {
  if (goaway_ != Goaway::kNone || closed_) return;
  // Phase one: GOAWAY with the maximum stream id, so streams already on the
  // wire are still accepted; a PING measures when they have all arrived.
  // The PING follows once the notice is on the wire (on_frame_send): nghttp2
  // sends PINGs ahead of GOAWAYs, and the ack must prove the notice arrived.
  if (!checked(nghttp2_submit_shutdown_notice(session_), "nghttp2_submit_shutdown_notice")) {
    close_now();
    return;
  }
  goaway_ = Goaway::kNoticeSent;
  notice_sent_at_ = Clock::now();
  want_write();
}

void Http2ServerConnection::send_final_goaway() {
  if (goaway_ == Goaway::kFinalSent || closed_) return;
  int rv = nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                 nghttp2_session_get_last_proc_stream_id(session_),
                                 NGHTTP2_NO_ERROR, nullptr, 0);
  if (!checked(rv, "nghttp2_submit_goaway")) {
    close_now();
    return;
  }
  goaway_ = Goaway::kFinalSent;
  // nghttp2 stops wanting to read/write once the streams are done: the write loop then closes.
  want_write();
}

void Http2ServerConnection::drain() {
  if (closed_) return;
  begin_graceful_goaway();
  auto deadline = net::deadline_after(Clock::now(), options_.drain_timeout);
  force_close_at_ = force_close_at_ ? std::min(*force_close_at_, deadline) : deadline;
  timer_.cancel();
}

void Http2ServerConnection::fail(std::uint32_t error_code, std::string_view debug) {
  // Once: a flood calls this for each of its frames.
  if (closed_ || failing_) return;
  failing_ = true;
  TRIPLEX_LOG(LogLevel::kInfo, "HTTP/2 connection ended by the server",
              {{"peer", peer().remote.address().to_string()},
               {"error", nghttp2_http2_strerror(error_code)},
               {"reason", debug}});
  int rv = nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                 nghttp2_session_get_last_proc_stream_id(session_), error_code,
                                 reinterpret_cast<const std::uint8_t*>(debug.data()), debug.size());
  if (!checked(rv, "nghttp2_submit_goaway")) {
    close_now();
    return;
  }
  goaway_ = Goaway::kFinalSent;
  reading_done_ = true;  // the write loop flushes the GOAWAY, then closes
  want_write();
}

void Http2ServerConnection::after_close() {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) s->on_closed(NGHTTP2_CANCEL), s->detach();
  if (on_closed) on_closed(this);
}

Http2Stream* Http2ServerConnection::find_stream(std::int32_t id) {
  // nghttp2 already indexes its streams; the user data is our Http2Stream.
  return static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session_, id));
}

int Http2ServerConnection::on_begin_headers(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto stream = std::make_shared<Http2Stream>(this, frame->hd.stream_id, stream_->executor());
  int rv = nghttp2_session_set_stream_user_data(session_, frame->hd.stream_id, stream.get());
  if (!checked(rv, "nghttp2_session_set_stream_user_data")) return NGHTTP2_ERR_CALLBACK_FAILURE;
  streams_.emplace(frame->hd.stream_id, std::move(stream));
  return 0;
}

int Http2ServerConnection::on_header(const nghttp2_frame* frame, std::string_view name,
                                     std::string_view value) {
  Http2Stream* s = find_stream(frame->hd.stream_id);
  if (s == nullptr || s->headers_too_large) return 0;
  // RFC 9113's accounting: name + value + 32 per field.
  s->header_bytes() += name.size() + value.size() + 32;
  if (s->header_bytes() > options_.max_header_list_size) {
    s->headers_too_large = true;
    return 0;
  }
  if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // request trailers: not used
  RequestHead& head = s->mutable_head();
  if (name == ":method") {
    head.method = value;
  } else if (name == ":path") {
    head.path = value;
  } else if (name == ":scheme") {
    head.scheme = value;
  } else if (name == ":authority") {
    head.authority = value;
  } else if (!name.empty() && name[0] != ':') {
    if (name == "host" && head.authority.empty()) head.authority = value;
    head.headers.add(name, value);
  }
  return 0;
}

int Http2ServerConnection::on_frame_recv(const nghttp2_frame* frame) {
  if (failing_) return NGHTTP2_ERR_CALLBACK_FAILURE;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Http2Stream* s = find_stream(frame->hd.stream_id);
      if (s == nullptr) break;
      if (!s->dispatched && (frame->hd.flags & NGHTTP2_FLAG_END_HEADERS)) {
        s->dispatched = true;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->on_request_end();
        if (s->headers_too_large) {
          ResponseHead head;
          head.status = 431;
          s->respond(std::move(head));
        } else {
          run_handler(handler_, s->shared_from_this());
        }
        return 0;
      }
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->on_request_end();
      break;
    }
    case NGHTTP2_DATA:
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (Http2Stream* s = find_stream(frame->hd.stream_id)) s->on_request_end();
      } else if (frame->hd.length <= frame->data.padlen &&
                 !empty_data_.take(Clock::now(), kEmptyDataBurst, kEmptyDataRate)) {
        fail(NGHTTP2_ENHANCE_YOUR_CALM, "too many empty DATA frames");
      }
      break;
    case NGHTTP2_RST_STREAM:
      if (!resets_.take(Clock::now(), static_cast<double>(options_.reset_burst),
                        static_cast<double>(options_.reset_rate))) {
        fail(NGHTTP2_ENHANCE_YOUR_CALM, "too many stream resets");
      }
      break;
    case NGHTTP2_PING:
      on_ping(frame);
      break;
    default:
      break;
  }
  // After fail(): nothing more is read, so one GOAWAY ends a flood of frames.
  return failing_ ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

void Http2ServerConnection::on_ping(const nghttp2_frame* frame) {
  if (frame->hd.flags & NGHTTP2_FLAG_ACK) {
    if (std::memcmp(frame->ping.opaque_data, kGoawayPingData, 8) == 0) {
      send_final_goaway();
    } else {
      keepalive_ping_sent_.reset();
    }
    return;
  }
  auto now = Clock::now();
  Millis allowed = (streams_.empty() && !options_.permit_ping_without_calls)
                       ? Millis(2 * 3600 * 1000)
                       : options_.min_client_ping_interval;
  if (last_client_ping_ && now - *last_client_ping_ < allowed) {
    if (++ping_strikes_ > options_.max_ping_strikes) {
      fail(NGHTTP2_ENHANCE_YOUR_CALM, "too_many_pings");
    }
  }
  last_client_ping_ = now;
}

bool Http2ServerConnection::on_stream_data(std::int32_t id, const std::uint8_t* data,
                                           std::size_t length) {
  Http2Stream* s = find_stream(id);
  if (s == nullptr || s->is_reset()) return false;
  if (s->discard != Http2Stream::Discard::kNo) {
    // Its stream window is never reopened: once it is used up the client
    // cannot send the rest, so there is nothing left to wait for.
    if (nghttp2_session_get_stream_effective_recv_data_length(session_, id) >=
        nghttp2_session_get_stream_effective_local_window_size(session_, id)) {
      if (!stop_discarding(id)) return false;
    }
    return false;
  }
  s->on_data(data, length);
  return true;
}

std::size_t Http2ServerConnection::on_stream_close(std::int32_t id, std::uint32_t error_code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return 0;
  auto stream = std::move(it->second);
  streams_.erase(it);
  std::size_t unread = stream->unconsumed();
  stream->on_closed(error_code);
  stream->detach();
  if (streams_.empty()) idle_since_ = Clock::now();
  return unread;
}

int Http2ServerConnection::on_frame_send(const nghttp2_frame* frame) {
  if (frame->hd.type == NGHTTP2_GOAWAY && goaway_ == Goaway::kNoticeSent &&
      frame->goaway.last_stream_id == (1u << 31) - 1) {
    int rv = nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kGoawayPingData);
    return checked(rv, "nghttp2_submit_ping") ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  // gRPC resets ping strikes whenever it sends headers or data.
  ping_strikes_ = 0;
  last_client_ping_.reset();
  // A complete response before the complete request (an early error).
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) discard_rest_of_request(frame->hd.stream_id);
  return 0;
}

void Http2ServerConnection::discard_rest_of_request(std::int32_t id) {
  Http2Stream* s = find_stream(id);
  if (s == nullptr || s->request_ended() || s->discard != Http2Stream::Discard::kNo) return;
  // Resetting at once (RFC 9113 section 8.1 allows it) races the client's
  // last frames: curl then reports a stream error for a response it got, and
  // protocol errors in those frames go unseen. Like nghttpd and nginx, read
  // on and drop what comes, for a bounded time.
  s->discard = Http2Stream::Discard::kDiscarding;
  bool was_empty = discarding_.empty();
  discarding_.emplace_back(net::deadline_after(Clock::now(), options_.early_answer_discard), id);
  if (was_empty) timer_.cancel();
}

bool Http2ServerConnection::stop_discarding(std::int32_t id) {
  Http2Stream* s = find_stream(id);
  if (s == nullptr || s->request_ended() || s->discard != Http2Stream::Discard::kDiscarding) {
    return true;
  }
  s->discard = Http2Stream::Discard::kStopped;
  // Ask the client to stop sending, without error (RFC 9113 section 8.1).
  int rv = nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
  if (!checked(rv, "nghttp2_submit_rst_stream")) return false;
  want_write();
  return true;
}

}  // namespace triplex::http
