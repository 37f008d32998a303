#include "src/http/h2/http2_client_connection.h"

#include <asio/use_awaitable.hpp>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "src/http/h2/http2_client_stream.h"
#include "src/log/log.h"
#include "src/net/deadline.h"

namespace triplex::http {
namespace {

// How long close() waits for its GOAWAY to leave before dropping the socket.
constexpr Millis kCloseGrace{1000};

// The stream is found by ID, not through `source`: a stream the connection
// has let go of may still be known to nghttp2.
ssize_t read_body_cb(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                     std::size_t length, std::uint32_t* data_flags, nghttp2_data_source*,
                     void* ud) {
  return static_cast<Http2ClientConnection*>(static_cast<Http2Session*>(ud))
      ->read_body(stream_id, buf, length, data_flags);
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

std::shared_ptr<Http2ClientConnection> Http2ClientConnection::start(
    std::unique_ptr<net::ByteStream> stream, const Http2ClientOptions& options) {
  std::shared_ptr<Http2ClientConnection> core(
      new Http2ClientConnection(std::move(stream), options));
  Http2SessionSetup setup;
  setup.stream_window = options.stream_window;
  setup.connection_window = options.connection_window;
  setup.max_header_list_size = options.max_header_list_size;
  if (!core->init_session(false, setup)) {
    core->stream_->close();
    throw std::runtime_error("HTTP/2: cannot set up a client session");
  }
  start_loops(core, {});
  // The loops keep `core` alive while the socket is open; the user holds a
  // second handle whose end closes the connection, so that an abandoned
  // connection does not linger until the server gives up on it.
  return std::shared_ptr<Http2ClientConnection>(core.get(),
                                                [core](Http2ClientConnection* c) { c->close(); });
}

Http2ClientConnection::Http2ClientConnection(std::unique_ptr<net::ByteStream> stream,
                                             const Http2ClientOptions& options)
    : Http2Session(std::move(stream), "client"), options_(options), connected_(executor_) {
  if (options_.handshake_timeout.count() > 0) {
    handshake_deadline_ = net::deadline_after(Clock::now(), options_.handshake_timeout);
  }
}

Http2ClientConnection::~Http2ClientConnection() {
  for (auto& [id, s] : streams_) s->detach();
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
    close_now();
    return;
  }
  force_close_at_ = Clock::now() + kCloseGrace;
  timer_.cancel();
  connected_.notify();
  want_write();
}

void Http2ClientConnection::consumed(std::int32_t id, std::size_t size) {
  if (!checked(consume(id, size), "nghttp2_session_consume")) close_now();
}

Http2ClientConnection::Clock::time_point Http2ClientConnection::next_timer_deadline() const {
  auto next = Clock::time_point::max();
  if (force_close_at_) next = std::min(next, *force_close_at_);
  if (handshake_deadline_) next = std::min(next, *handshake_deadline_);
  if (ping_sent_) {
    next = std::min(next, net::deadline_after(*ping_sent_, options_.keepalive_timeout));
  } else if (keepalive_enabled() && !streams_.empty() && !told_too_many_pings_) {
    next = std::min(next, net::deadline_after(last_read_, options_.keepalive_time));
  }
  return next;
}

bool Http2ClientConnection::on_timer(Clock::time_point now) {
  bool unanswered =
      ping_sent_ && now >= net::deadline_after(*ping_sent_, options_.keepalive_timeout);
  if (unanswered || (force_close_at_ && now >= *force_close_at_)) {
    close_now();  // the server stopped answering, or will not take our GOAWAY
    return false;
  }
  if (handshake_deadline_ && now >= *handshake_deadline_) {
    handshake_timed_out_ = true;  // no SETTINGS: not an HTTP/2 server, or a stuck one
    close_now();
    return false;
  }
  if (!ping_sent_ && keepalive_enabled() && !streams_.empty() && !closing_ &&
      !told_too_many_pings_ && now >= net::deadline_after(last_read_, options_.keepalive_time)) {
    if (!checked(nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kKeepalivePingData),
                 "nghttp2_submit_ping")) {
      close_now();
      return false;
    }
    ping_sent_ = now;
    want_write();
  }
  return true;
}

void Http2ClientConnection::fail_streams(ResetReason reason) {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) {
    s->fail(reason);
    s->detach();
  }
}

void Http2ClientConnection::after_close() {
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

bool Http2ClientConnection::on_stream_data(std::int32_t id, const std::uint8_t* data,
                                           std::size_t length) {
  Http2ClientStream* s = find_stream(id);
  if (s == nullptr || s->is_reset()) return false;
  s->on_data(data, length);
  return true;
}

std::size_t Http2ClientConnection::on_stream_close(std::int32_t id, std::uint32_t error_code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return 0;
  auto stream = std::move(it->second);
  streams_.erase(it);
  std::size_t unread = stream->unconsumed();
  stream->on_closed(error_code);
  stream->detach();
  return unread;
}

ssize_t Http2ClientConnection::read_body(std::int32_t stream_id, std::uint8_t* buf,
                                         std::size_t length, std::uint32_t* data_flags) {
  Http2ClientStream* s = find_stream(stream_id);
  if (s == nullptr) return NGHTTP2_ERR_DEFERRED;  // abandoned; its stream is ending
  return s->read_outbound(buf, length, data_flags);
}

}  // namespace triplex::http
