#include "src/http/h2/http2_server_connection.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>

#include "src/http/h2/http2_stream.h"
#include "src/log/log.h"
#include "src/net/deadline.h"
#include "src/net/spawn.h"

namespace triplex::http {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBuffer = 32 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;
constexpr std::uint8_t kGoawayPingData[8] = {'g', 'o', 'a', 'w', 'a', 'y', 0, 1};
constexpr std::uint8_t kKeepalivePingData[8] = {'k', 'e', 'e', 'p', 'a', 'l', 'i', 'v'};

// Errors the peer causes (bad frames, floods) are its business: debug. Others
// mean the library or the machine failed: error.
void log_nghttp2_failure(const char* what, int rv, const net::PeerInfo& peer) {
  bool peer_caused = rv != NGHTTP2_ERR_NOMEM && rv != NGHTTP2_ERR_CALLBACK_FAILURE;
  TRIPLEX_LOG(peer_caused ? LogLevel::kDebug : LogLevel::kError, what,
              {{"peer", peer.remote.address().to_string()},
               {"port", peer.remote.port()},
               {"error", nghttp2_strerror(rv)}});
}

Http2ServerConnection* self(void* user_data) {
  return static_cast<Http2ServerConnection*>(user_data);
}

int on_begin_headers_cb(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  return self(ud)->on_begin_headers(frame);
}
int on_header_cb(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                 std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                 void* ud) {
  return self(ud)->on_header(frame, {reinterpret_cast<const char*>(name), namelen},
                             {reinterpret_cast<const char*>(value), valuelen});
}
int on_frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  return self(ud)->on_frame_recv(frame);
}
int on_data_chunk_cb(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                     const std::uint8_t* data, std::size_t len, void* ud) {
  return self(ud)->on_data_chunk(stream_id, data, len);
}
int on_stream_close_cb(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                       void* ud) {
  return self(ud)->on_stream_close(stream_id, error_code);
}
int on_frame_send_cb(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  return self(ud)->on_frame_send(frame);
}

}  // namespace

std::shared_ptr<Http2ServerConnection> Http2ServerConnection::start(
    std::unique_ptr<net::ByteStream> stream, std::string preread, const ConnectionOptions& options,
    ExchangeHandler handler) {
  std::shared_ptr<Http2ServerConnection> conn(
      new Http2ServerConnection(std::move(stream), options, std::move(handler)));
  if (!conn->init_session()) {
    TRIPLEX_LOG(LogLevel::kError, "HTTP/2 session setup failed",
                {{"peer", conn->stream_->peer().remote.address().to_string()}});
    conn->stream_->close();
    return nullptr;
  }
  auto ex = conn->stream_->executor();
  auto end = [conn] { conn->close(); };
  asio::co_spawn(ex, conn->read_loop(std::move(preread)),
                 net::end_on_exception("HTTP/2 server read", end));
  asio::co_spawn(ex, conn->write_loop(), net::end_on_exception("HTTP/2 server write", end));
  asio::co_spawn(ex, conn->timer_loop(), net::end_on_exception("HTTP/2 server timer", end));
  return conn;
}

Http2ServerConnection::Http2ServerConnection(std::unique_ptr<net::ByteStream> stream,
                                             const ConnectionOptions& options,
                                             ExchangeHandler handler)
    : stream_(std::move(stream)),
      options_(options),
      handler_(std::move(handler)),
      write_event_(stream_->executor()),
      timer_(stream_->executor()),
      created_(Clock::now()),
      last_read_(created_),
      idle_since_(created_) {}

Http2ServerConnection::~Http2ServerConnection() {
  for (auto& [id, s] : streams_) s->detach();
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool Http2ServerConnection::init_session() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close_cb);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send_cb);

  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cbs);
    return false;
  }
  // Window credit is returned only as handlers read (backpressure).
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_no_auto_ping_ack(opt, 0);
  nghttp2_option_set_stream_reset_rate_limit(opt, options_.reset_burst, options_.reset_rate);
  nghttp2_option_set_max_continuations(opt, options_.max_continuations);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_max_settings(opt, 32);

  int rv = nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return false;

  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, options_.max_header_list_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) {
    return false;
  }
  std::int64_t extra =
      static_cast<std::int64_t>(options_.connection_window) - NGHTTP2_INITIAL_WINDOW_SIZE;
  if (extra > 0) {
    extra = std::min<std::int64_t>(extra, NGHTTP2_MAX_WINDOW_SIZE - NGHTTP2_INITIAL_WINDOW_SIZE);
    if (nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, 0,
                                     static_cast<std::int32_t>(extra)) != 0) {
      return false;
    }
  }
  return true;
}

asio::awaitable<void> Http2ServerConnection::read_loop(std::string preread) {
  auto keep = shared_from_this();
  std::string buffer(kReadBuffer, '\0');
  if (!preread.empty()) {
    auto rv = nghttp2_session_mem_recv(
        session_, reinterpret_cast<const std::uint8_t*>(preread.data()), preread.size());
    if (rv < 0) {
      log_nghttp2_failure("HTTP/2 connection ended on bad input", static_cast<int>(rv),
                          stream_->peer());
      reading_done_ = true;
    }
    want_write();
  }
  while (!closed_ && !reading_done_) {
    std::size_t n = co_await stream_->read_some(asio::buffer(buffer));
    if (n == 0 || closed_) break;
    last_read_ = Clock::now();
    auto rv =
        nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(buffer.data()), n);
    want_write();
    // Protocol errors and floods: nghttp2 has queued a GOAWAY; flush it, then close.
    if (rv < 0) {
      log_nghttp2_failure("HTTP/2 connection ended on bad input", static_cast<int>(rv),
                          stream_->peer());
      break;
    }
  }
  reading_done_ = true;
  want_write();
}

asio::awaitable<void> Http2ServerConnection::write_loop() {
  auto keep = shared_from_this();
  std::string batch;
  while (!closed_) {
    batch.clear();
    while (batch.size() < kWriteBatch) {
      const std::uint8_t* data = nullptr;
      auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        log_nghttp2_failure("HTTP/2 send failed", static_cast<int>(n), stream_->peer());
        close();
        co_return;
      }
      if (n == 0) break;
      batch.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (!batch.empty()) {
      asio::const_buffer buf(batch.data(), batch.size());
      if (!co_await stream_->write(std::span(&buf, 1))) break;
      continue;
    }
    bool done = reading_done_ ||
                (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_));
    if (done) break;
    co_await write_event_.wait();
  }
  close();
}

Http2ServerConnection::Clock::time_point Http2ServerConnection::next_timer_deadline() const {
  auto far = Clock::time_point::max();
  auto next = far;
  if (keepalive_ping_sent_) {
    next = std::min(next, net::deadline_after(*keepalive_ping_sent_, options_.keepalive_timeout));
  } else {
    next = std::min(next, net::deadline_after(last_read_, options_.keepalive_time));
  }
  if (streams_.empty()) {
    next = std::min(next,
                    net::deadline_after(std::max(idle_since_, last_read_), options_.idle_timeout));
    next = std::min(next, net::deadline_after(idle_since_, options_.max_connection_idle));
  }
  if (goaway_ == Goaway::kNone)
    next = std::min(next, net::deadline_after(created_, options_.max_connection_age));
  if (notice_sent_at_ && goaway_ == Goaway::kNoticeSent) {
    next = std::min(next, *notice_sent_at_ + Millis(1000));
  }
  if (force_close_at_) next = std::min(next, *force_close_at_);
  return next;
}

asio::awaitable<void> Http2ServerConnection::timer_loop() {
  auto keep = shared_from_this();
  while (!closed_) {
    timer_.expires_at(next_timer_deadline());
    co_await timer_.async_wait(kNoThrow);
    if (closed_) break;
    auto now = Clock::now();
    if (force_close_at_ && now >= *force_close_at_) {
      close();
      break;
    }
    if (keepalive_ping_sent_) {
      if (now >= net::deadline_after(*keepalive_ping_sent_, options_.keepalive_timeout)) {
        close();  // the peer stopped answering
        break;
      }
    } else if (now >= net::deadline_after(last_read_, options_.keepalive_time)) {
      if (!checked(nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kKeepalivePingData),
                   "nghttp2_submit_ping")) {
        close();
        break;
      }
      keepalive_ping_sent_ = now;
      want_write();
    }
    if (streams_.empty()) {
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
    if (goaway_ == Goaway::kNoticeSent && notice_sent_at_ &&
        now >= *notice_sent_at_ + Millis(1000)) {
      send_final_goaway();
    }
  }
}

void Http2ServerConnection::begin_graceful_goaway() {
  if (goaway_ != Goaway::kNone || closed_) return;
  // Phase one: GOAWAY with the maximum stream id, so streams already on the
  // wire are still accepted; a PING measures when they have all arrived.
  // The PING follows once the notice is on the wire (on_frame_send): nghttp2
  // sends PINGs ahead of GOAWAYs, and the ack must prove the notice arrived.
  if (!checked(nghttp2_submit_shutdown_notice(session_), "nghttp2_submit_shutdown_notice")) {
    close();
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
    close();
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
  if (closed_) return;
  int rv = nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                 nghttp2_session_get_last_proc_stream_id(session_), error_code,
                                 reinterpret_cast<const std::uint8_t*>(debug.data()), debug.size());
  if (!checked(rv, "nghttp2_submit_goaway")) {
    close();
    return;
  }
  goaway_ = Goaway::kFinalSent;
  reading_done_ = true;  // the write loop flushes the GOAWAY, then closes
  want_write();
}

void Http2ServerConnection::close() {
  if (closed_) return;
  closed_ = true;
  stream_->close();
  timer_.cancel();
  write_event_.notify();
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) s->on_closed(NGHTTP2_CANCEL), s->detach();
  if (on_closed) on_closed(this);
}

bool Http2ServerConnection::checked(int rv, const char* call) {
  if (rv == 0) return true;
  TRIPLEX_LOG(LogLevel::kError, "HTTP/2 connection failing",
              {{"peer", peer().remote.address().to_string()},
               {"call", call},
               {"error", nghttp2_strerror(rv)}});
  return false;
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
      }
      break;
    case NGHTTP2_PING:
      on_ping(frame);
      break;
    default:
      break;
  }
  return 0;
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

int Http2ServerConnection::on_data_chunk(std::int32_t stream_id, const std::uint8_t* data,
                                         std::size_t length) {
  Http2Stream* s = find_stream(stream_id);
  if (s == nullptr || s->is_reset()) {
    // Nobody will read it: return the connection-level credit now.
    int rv = nghttp2_session_consume_connection(session_, length);
    return checked(rv, "nghttp2_session_consume_connection") ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  s->on_data(data, length);
  return 0;
}

int Http2ServerConnection::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return 0;
  auto stream = std::move(it->second);
  streams_.erase(it);
  stream->on_closed(error_code);
  stream->detach();
  if (streams_.empty()) idle_since_ = Clock::now();
  return 0;
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
  // A complete response before the complete request (an early error): ask the
  // client to stop sending, without error (RFC 9113 section 8.1).
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
    Http2Stream* s = find_stream(frame->hd.stream_id);
    if (s != nullptr && !s->request_ended()) {
      int rv = nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                         NGHTTP2_NO_ERROR);
      if (!checked(rv, "nghttp2_submit_rst_stream")) return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }
  return 0;
}

}  // namespace triplex::http
