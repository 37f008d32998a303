#include "src/http/h2/http2_session.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <span>

#include "src/log/log.h"
#include "src/net/spawn.h"

namespace triplex::http {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBuffer = 32 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;

// Errors the peer causes (bad frames, floods) are its business: debug. Others
// mean the library or the machine failed: error.
void log_nghttp2_failure(const char* what, const char* side, int rv, const net::PeerInfo& peer) {
  bool peer_caused = rv != NGHTTP2_ERR_NOMEM && rv != NGHTTP2_ERR_CALLBACK_FAILURE;
  TRIPLEX_LOG(peer_caused ? LogLevel::kDebug : LogLevel::kError, what,
              {{"side", side},
               {"peer", peer.remote.address().to_string()},
               {"port", peer.remote.port()},
               {"error", nghttp2_strerror(rv)}});
}

Http2Session* self(void* user_data) { return static_cast<Http2Session*>(user_data); }

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
int on_frame_send_cb(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  return self(ud)->on_frame_send(frame);
}
int on_data_chunk_cb(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                     const std::uint8_t* data, std::size_t len, void* ud) {
  if (self(ud)->on_stream_data(stream_id, data, len)) return 0;
  // Nobody will read it: return the connection-level credit now.
  int rv = nghttp2_session_consume_connection(session, len);
  return self(ud)->checked(rv, "nghttp2_session_consume_connection") ? 0
                                                                     : NGHTTP2_ERR_CALLBACK_FAILURE;
}
int on_stream_close_cb(nghttp2_session* session, std::int32_t stream_id, std::uint32_t error_code,
                       void* ud) {
  // Body bytes not yet read still hold connection-level credit; once the
  // stream is gone, reading them gives none back.
  std::size_t unread = self(ud)->on_stream_close(stream_id, error_code);
  if (unread == 0) return 0;
  int rv = nghttp2_session_consume_connection(session, unread);
  return self(ud)->checked(rv, "nghttp2_session_consume_connection") ? 0
                                                                     : NGHTTP2_ERR_CALLBACK_FAILURE;
}

}  // namespace

Http2Session::Http2Session(std::unique_ptr<net::ByteStream> stream, const char* side)
    : stream_(std::move(stream)),
      executor_(stream_->executor()),
      write_event_(executor_),
      timer_(executor_),
      last_read_(Clock::now()),
      side_(side) {}

Http2Session::~Http2Session() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool Http2Session::init_session(bool server, const Http2SessionSetup& setup) {
  nghttp2_session_callbacks* cbs = nullptr;
  if (!checked(nghttp2_session_callbacks_new(&cbs), "nghttp2_session_callbacks_new")) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv_cb);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close_cb);

  nghttp2_option* opt = nullptr;
  if (!checked(nghttp2_option_new(&opt), "nghttp2_option_new")) {
    nghttp2_session_callbacks_del(cbs);
    return false;
  }
  // Window credit goes back only as the application reads (backpressure).
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_continuations(opt, setup.max_continuations);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_max_settings(opt, 32);
  if (setup.reset_burst > 0) {
    nghttp2_option_set_stream_reset_rate_limit(opt, setup.reset_burst, setup.reset_rate);
  }
  int rv = server ? nghttp2_session_server_new2(&session_, cbs, this, opt)
                  : nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (!checked(rv, server ? "nghttp2_session_server_new2" : "nghttp2_session_client_new2")) {
    session_ = nullptr;
    return false;
  }

  nghttp2_settings_entry settings[4] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, setup.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, setup.max_header_list_size},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, setup.max_concurrent_streams},
  };
  std::size_t count = setup.max_concurrent_streams > 0 ? 4 : 3;
  if (!checked(nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, count),
               "nghttp2_submit_settings")) {
    return false;
  }
  // nghttp2 sends the WINDOW_UPDATE that takes the connection window from
  // 65535 to this.
  auto window = static_cast<std::int32_t>(
      std::min<std::uint32_t>(setup.connection_window, NGHTTP2_MAX_WINDOW_SIZE));
  if (window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE) {
    rv = nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, window);
    if (!checked(rv, "nghttp2_session_set_local_window_size")) return false;
  }
  return true;
}

void Http2Session::start_loops(const std::shared_ptr<Http2Session>& self, std::string preread) {
  auto end = [self] { self->close_now(); };
  const bool server = std::string_view(self->side_) == "server";
  asio::co_spawn(self->executor_, self->read_loop(self, std::move(preread)),
                 net::end_on_exception(server ? "HTTP/2 server read" : "HTTP/2 client read", end));
  asio::co_spawn(
      self->executor_, self->write_loop(self),
      net::end_on_exception(server ? "HTTP/2 server write" : "HTTP/2 client write", end));
  asio::co_spawn(
      self->executor_, self->timer_loop(self),
      net::end_on_exception(server ? "HTTP/2 server timer" : "HTTP/2 client timer", end));
}

bool Http2Session::checked(int rv, const char* call) {
  if (rv == 0) return true;
  TRIPLEX_LOG(LogLevel::kError, "HTTP/2 connection failing",
              {{"side", side_},
               {"peer", peer().remote.address().to_string()},
               {"call", call},
               {"error", nghttp2_strerror(rv)}});
  return false;
}

int Http2Session::consume(std::int32_t id, std::size_t size) {
  if (closed_) return 0;
  int rv = nghttp2_session_consume(session_, id, size);
  if (rv == 0) want_write();
  return rv;
}

void Http2Session::close_now() {
  if (closed_) return;
  closed_ = true;
  stream_->close();
  timer_.cancel();
  write_event_.notify();
  after_close();
}

bool Http2Session::receive(const char* data, std::size_t size) {
  auto rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(data), size);
  want_write();
  if (rv >= 0) return true;
  if (failing_) return false;  // a callback stopped the reading on purpose, its GOAWAY queued
  log_nghttp2_failure("HTTP/2 connection ended on bad input", side_, static_cast<int>(rv), peer());
  // nghttp2 queues no GOAWAY for these two: say why before the close.
  std::uint32_t code = NGHTTP2_NO_ERROR;
  std::string_view why;
  if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
    code = NGHTTP2_PROTOCOL_ERROR;  // RFC 9113 section 3.4
    why = "invalid connection preface";
  } else if (rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
    code = NGHTTP2_ENHANCE_YOUR_CALM;
    why = "too many CONTINUATION frames";
  }
  if (!why.empty()) {
    int sent = nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                     nghttp2_session_get_last_proc_stream_id(session_), code,
                                     reinterpret_cast<const std::uint8_t*>(why.data()), why.size());
    checked(sent, "nghttp2_submit_goaway");
    want_write();
  }
  return false;
}

asio::awaitable<void> Http2Session::read_loop([[maybe_unused]] std::shared_ptr<Http2Session> keep,
                                              std::string preread) {
  if (!preread.empty() && !receive(preread.data(), preread.size())) reading_done_ = true;
  std::string buffer(kReadBuffer, '\0');
  auto into = asio::buffer(buffer);
  while (!closed_ && !reading_done_) {
    std::size_t n = co_await stream_->read_some(into);
    if (n == 0 || closed_) break;
    last_read_ = Clock::now();
    // Protocol errors and floods: nghttp2 has queued a GOAWAY; flush it, then close.
    if (!receive(buffer.data(), n)) break;
  }
  reading_done_ = true;
  want_write();
}

asio::awaitable<void> Http2Session::write_loop(
    [[maybe_unused]] std::shared_ptr<Http2Session> keep) {
  std::string batch;
  while (!closed_) {
    batch.clear();
    while (batch.size() < kWriteBatch) {
      const std::uint8_t* data = nullptr;
      auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        log_nghttp2_failure("HTTP/2 send failed", side_, static_cast<int>(n), peer());
        close_now();
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
    // Done: the peer hung up, or GOAWAY went either way and no stream is left.
    bool done = reading_done_ ||
                (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_));
    if (done) break;
    co_await write_event_.wait();
  }
  close_now();
}

asio::awaitable<void> Http2Session::timer_loop(
    [[maybe_unused]] std::shared_ptr<Http2Session> keep) {
  while (!closed_) {
    timer_.expires_at(next_timer_deadline());
    co_await timer_.async_wait(kNoThrow);
    if (closed_ || !on_timer(Clock::now())) break;
  }
}

}  // namespace triplex::http
