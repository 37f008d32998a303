#include "src/http/h2/http2_client_connection.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "src/http/h2/http2_client_stream.h"
#include "src/log/log.h"
#include "src/net/spawn.h"

namespace triplex::http {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBuffer = 32 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;
constexpr std::uint8_t kKeepalivePingData[8] = {'k', 'e', 'e', 'p', 'a', 'l', 'i', 'v'};
// How long close() waits for its GOAWAY to leave before dropping the socket.
constexpr Millis kCloseGrace{1000};

Http2ClientConnection* self(void* user_data) {
  return static_cast<Http2ClientConnection*>(user_data);
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
// The stream is found by ID, not through `source`: a stream the connection
// has let go of may still be known to nghttp2.
ssize_t read_body_cb(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                     std::size_t length, std::uint32_t* data_flags, nghttp2_data_source*,
                     void* ud) {
  return self(ud)->read_body(stream_id, buf, length, data_flags);
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

// `base` + `d` without overflowing for "never" durations.
Http2ClientConnection::Clock::time_point after(Http2ClientConnection::Clock::time_point base,
                                               Millis d) {
  auto far = Http2ClientConnection::Clock::time_point::max();
  if (d >= std::chrono::duration_cast<Millis>(far - base)) return far;
  return base + d;
}

}  // namespace

std::shared_ptr<Http2ClientConnection> Http2ClientConnection::start(
    std::unique_ptr<net::ByteStream> stream, const Http2ClientOptions& options) {
  std::shared_ptr<Http2ClientConnection> core(
      new Http2ClientConnection(std::move(stream), options));
  if (!core->init_session()) {
    core->stream_->close();
    throw std::runtime_error("HTTP/2: cannot set up a client session");
  }
  auto ex = core->executor_;
  auto end = [core] { core->shutdown(); };
  asio::co_spawn(ex, core->read_loop(), net::end_on_exception("HTTP/2 client read", end));
  asio::co_spawn(ex, core->write_loop(), net::end_on_exception("HTTP/2 client write", end));
  asio::co_spawn(ex, core->timer_loop(), net::end_on_exception("HTTP/2 client timer", end));
  // The loops keep `core` alive while the socket is open; the user holds a
  // second handle whose end closes the connection, so that an abandoned
  // connection does not linger until the server gives up on it.
  return std::shared_ptr<Http2ClientConnection>(core.get(),
                                                [core](Http2ClientConnection* c) { c->close(); });
}

Http2ClientConnection::Http2ClientConnection(std::unique_ptr<net::ByteStream> stream,
                                             const Http2ClientOptions& options)
    : stream_(std::move(stream)),
      executor_(stream_->executor()),
      options_(options),
      write_event_(executor_),
      connected_(executor_),
      timer_(executor_),
      last_read_(Clock::now()) {
  if (options_.handshake_timeout.count() > 0) {
    handshake_deadline_ = after(Clock::now(), options_.handshake_timeout);
  }
}

Http2ClientConnection::~Http2ClientConnection() {
  for (auto& [id, s] : streams_) s->detach();
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool Http2ClientConnection::checked(int rv, const char* call) {
  if (rv == 0) return true;
  TRIPLEX_LOG(LogLevel::kError, "HTTP/2 client connection failing",
              {{"call", call}, {"error", nghttp2_strerror(rv)}});
  return false;
}

bool Http2ClientConnection::init_session() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close_cb);

  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cbs);
    return false;
  }
  // Window credit goes back only as callers read (backpressure).
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_continuations(opt, 8);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_max_settings(opt, 32);
  int rv = nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    session_ = nullptr;
    return false;
  }

  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, options_.max_header_list_size},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) {
    return false;
  }
  auto window = static_cast<std::int32_t>(
      std::min<std::uint32_t>(options_.connection_window, NGHTTP2_MAX_WINDOW_SIZE));
  if (window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE) {
    int rv = nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, window);
    if (!checked(rv, "nghttp2_session_set_local_window_size")) return false;
  }
  return true;
}

std::shared_ptr<ClientExchange> Http2ClientConnection::open(RequestHead head, bool end_stream) {
  auto stream = std::make_shared<Http2ClientStream>(this, end_stream, executor_);
  if (!is_open()) {
    // After GOAWAY the server will not take it: refused, safe to send elsewhere.
    bool refused = !closed_ && !closing_;
    stream->fail(refused ? ResetReason::kRefused : ResetReason::kConnectionLost);
    stream->detach();
    return stream;
  }
  std::string scheme = head.scheme;
  if (scheme.empty()) scheme = stream_->peer().tls ? "https" : "http";
  std::vector<nghttp2_nv> nva;
  nva.reserve(head.headers.size() + 4);
  nva.push_back(make_nv(":method", head.method));
  nva.push_back(make_nv(":scheme", scheme));
  if (!head.authority.empty()) nva.push_back(make_nv(":authority", head.authority));
  nva.push_back(make_nv(":path", head.path));
  for (const auto& h : head.headers) nva.push_back(make_nv(h.name, h.value));
  nghttp2_data_provider provider{};
  provider.read_callback = read_body_cb;
  // nghttp2 holds the HEADERS back while the server's stream limit is reached.
  std::int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                           end_stream ? nullptr : &provider, nullptr);
  if (id < 0) {
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) exhausted_ = true;
    stream->fail(exhausted_ ? ResetReason::kRefused : ResetReason::kInternal);
    stream->detach();
    return stream;
  }
  stream->bind(id);
  if (streams_.empty() && keepalive_enabled()) {
    // Keepalive counts silence from when requests became active.
    last_read_ = std::max(last_read_, Clock::now());
    timer_.cancel();
  }
  streams_.emplace(id, stream);
  want_write();
  return stream;
}

asio::awaitable<bool> Http2ClientConnection::wait_connected() {
  auto keep = shared_from_this();
  for (;;) {
    if (closed_ || closing_) co_return false;
    if (settings_received_) co_return true;
    co_await connected_.wait();
  }
}

void Http2ClientConnection::close() {
  if (closed_ || closing_) return;
  closing_ = true;
  fail_streams(ResetReason::kConnectionLost);
  if (!checked(nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR),
               "nghttp2_session_terminate_session")) {
    shutdown();
    return;
  }
  force_close_at_ = Clock::now() + kCloseGrace;
  timer_.cancel();
  connected_.notify();
  want_write();
}

void Http2ClientConnection::consume(std::int32_t id, std::size_t size) {
  if (closed_) return;
  if (!checked(nghttp2_session_consume(session_, id, size), "nghttp2_session_consume")) {
    shutdown();
    return;
  }
  want_write();
}

asio::awaitable<void> Http2ClientConnection::read_loop() {
  auto keep = shared_from_this();
  std::string buffer(kReadBuffer, '\0');
  auto into = asio::buffer(buffer);
  while (!closed_ && !reading_done_) {
    std::size_t n = co_await stream_->read_some(into);
    if (n == 0 || closed_) break;
    last_read_ = Clock::now();
    auto rv =
        nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(buffer.data()), n);
    want_write();
    // Protocol errors: nghttp2 has queued a GOAWAY; flush it, then close.
    if (rv < 0) break;
  }
  reading_done_ = true;
  want_write();
}

asio::awaitable<void> Http2ClientConnection::write_loop() {
  auto keep = shared_from_this();
  std::string batch;
  while (!closed_) {
    batch.clear();
    while (batch.size() < kWriteBatch) {
      const std::uint8_t* data = nullptr;
      auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        shutdown();
        co_return;
      }
      if (n == 0) break;
      batch.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (!batch.empty()) {
      asio::const_buffer buf(batch.data(), batch.size());
      std::span<const asio::const_buffer> buffers(&buf, 1);
      if (!co_await stream_->write(buffers)) break;
      continue;
    }
    // Done: the server hung up, or GOAWAY went either way and no stream is left.
    bool done = reading_done_ ||
                (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_));
    if (done) break;
    co_await write_event_.wait();
  }
  shutdown();
}

Http2ClientConnection::Clock::time_point Http2ClientConnection::next_timer_deadline() const {
  auto next = Clock::time_point::max();
  if (force_close_at_) next = std::min(next, *force_close_at_);
  if (handshake_deadline_) next = std::min(next, *handshake_deadline_);
  if (ping_sent_) {
    next = std::min(next, after(*ping_sent_, options_.keepalive_timeout));
  } else if (keepalive_enabled() && !streams_.empty() && !told_too_many_pings_) {
    next = std::min(next, after(last_read_, options_.keepalive_time));
  }
  return next;
}

asio::awaitable<void> Http2ClientConnection::timer_loop() {
  auto keep = shared_from_this();
  while (!closed_) {
    timer_.expires_at(next_timer_deadline());
    co_await timer_.async_wait(kNoThrow);
    if (closed_) break;
    auto now = Clock::now();
    bool unanswered = ping_sent_ && now >= after(*ping_sent_, options_.keepalive_timeout);
    if (unanswered || (force_close_at_ && now >= *force_close_at_)) {
      shutdown();  // the server stopped answering, or will not take our GOAWAY
      break;
    }
    if (handshake_deadline_ && now >= *handshake_deadline_) {
      handshake_timed_out_ = true;  // no SETTINGS: not an HTTP/2 server, or a stuck one
      shutdown();
      break;
    }
    if (!ping_sent_ && keepalive_enabled() && !streams_.empty() && !closing_ &&
        !told_too_many_pings_ && now >= after(last_read_, options_.keepalive_time)) {
      if (!checked(nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kKeepalivePingData),
                   "nghttp2_submit_ping")) {
        shutdown();
        break;
      }
      ping_sent_ = now;
      want_write();
    }
  }
}

void Http2ClientConnection::fail_streams(ResetReason reason) {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) {
    s->fail(reason);
    s->detach();
  }
}

void Http2ClientConnection::shutdown() {
  if (closed_) return;
  closed_ = true;
  stream_->close();
  timer_.cancel();
  write_event_.notify();
  fail_streams(ResetReason::kConnectionLost);
  connected_.notify();
}

Http2ClientStream* Http2ClientConnection::find_stream(std::int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

int Http2ClientConnection::on_begin_headers(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (Http2ClientStream* s = find_stream(frame->hd.stream_id)) s->on_begin_block();
  return 0;
}

int Http2ClientConnection::on_header(const nghttp2_frame* frame, std::string_view name,
                                     std::string_view value) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (Http2ClientStream* s = find_stream(frame->hd.stream_id)) s->on_field(name, value);
  return 0;
}

int Http2ClientConnection::on_frame_recv(const nghttp2_frame* frame) {
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (Http2ClientStream* s = find_stream(frame->hd.stream_id)) {
        s->on_block_end();
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->on_end();
      }
      break;
    case NGHTTP2_DATA:
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (Http2ClientStream* s = find_stream(frame->hd.stream_id)) s->on_end();
      }
      break;
    case NGHTTP2_SETTINGS:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0 && !settings_received_) {
        settings_received_ = true;
        handshake_deadline_.reset();
        connected_.notify();
      }
      break;
    case NGHTTP2_PING:
      if (frame->hd.flags & NGHTTP2_FLAG_ACK) on_ping_ack(frame->ping);
      break;
    case NGHTTP2_GOAWAY:
      if (!on_goaway(frame->goaway)) return NGHTTP2_ERR_CALLBACK_FAILURE;
      break;
    default:
      break;
  }
  return 0;
}

void Http2ClientConnection::on_ping_ack(const nghttp2_ping& ping) {
  if (std::memcmp(ping.opaque_data, kKeepalivePingData, 8) != 0 || !ping_sent_) return;
  ping_sent_.reset();
  timer_.cancel();  // it waits for the ack's deadline: count silence again
}

bool Http2ClientConnection::on_goaway(const nghttp2_goaway& goaway) {
  goaway_ = true;
  std::string_view debug(reinterpret_cast<const char*>(goaway.opaque_data), goaway.opaque_data_len);
  if (goaway.error_code == NGHTTP2_ENHANCE_YOUR_CALM && debug == "too_many_pings") {
    told_too_many_pings_ = true;
  }
  // Streams above last_stream_id were not and will not be processed, and
  // requests still held back by the stream limit can no longer go out: they
  // fail as refused, which callers may safely retry elsewhere.
  std::vector<std::shared_ptr<Http2ClientStream>> refused;
  bool failed = false;
  for (auto& [id, s] : streams_) {
    bool unsent = nghttp2_session_find_stream(session_, id) == nullptr;
    if (id > goaway.last_stream_id || unsent) refused.push_back(s);
  }
  for (auto& s : refused) {
    streams_.erase(s->id());
    // An unsent one leaves nghttp2's queue without reaching the wire (unless
    // reset() cancelled it already: a second cancel would send RST_STREAM
    // for an idle stream); nghttp2 closes the sent ones after this callback.
    if (!s->is_reset() && nghttp2_session_find_stream(session_, s->id()) == nullptr) {
      int rv =
          nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id(), NGHTTP2_REFUSED_STREAM);
      if (!checked(rv, "nghttp2_submit_rst_stream")) failed = true;
    }
    s->fail(ResetReason::kRefused);
    s->detach();
  }
  return !failed;
}

int Http2ClientConnection::on_data_chunk(std::int32_t stream_id, const std::uint8_t* data,
                                         std::size_t length) {
  Http2ClientStream* s = find_stream(stream_id);
  if (s == nullptr || s->is_reset()) {
    // Nobody will read it: return the connection-level credit now.
    int rv = nghttp2_session_consume_connection(session_, length);
    return checked(rv, "nghttp2_session_consume_connection") ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  s->on_data(data, length);
  return 0;
}

int Http2ClientConnection::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return 0;
  auto stream = std::move(it->second);
  streams_.erase(it);
  bool failed = false;
  // Body bytes not yet read still hold connection-level credit; once
  // detached, reading them gives none back.
  if (stream->unconsumed() > 0) {
    int rv = nghttp2_session_consume_connection(session_, stream->unconsumed());
    if (!checked(rv, "nghttp2_session_consume_connection")) failed = true;
  }
  stream->on_closed(error_code);
  stream->detach();
  return failed ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

ssize_t Http2ClientConnection::read_body(std::int32_t stream_id, std::uint8_t* buf,
                                         std::size_t length, std::uint32_t* data_flags) {
  Http2ClientStream* s = find_stream(stream_id);
  if (s == nullptr) return NGHTTP2_ERR_DEFERRED;  // abandoned; its stream is ending
  return s->read_outbound(buf, length, data_flags);
}

}  // namespace triplex::http
