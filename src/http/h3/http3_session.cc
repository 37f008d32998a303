#include "src/http/h3/http3_session.h"

#include <array>

#include "src/log/log.h"

namespace triplex::http {
namespace {

Http3Session* self(void* user_data) { return static_cast<Http3Session*>(user_data); }

}  // namespace

// The nghttp3 user data is the session; these reach its protected hooks.
struct Http3SessionCallbacks {
  static int acked(nghttp3_conn*, std::int64_t id, std::uint64_t size, void* ud, void*) {
    self(ud)->on_body_acked(id, size);
    return 0;
  }
  static int stop_sending(nghttp3_conn*, std::int64_t id, std::uint64_t code, void* ud, void*) {
    return self(ud)->send_stop_sending(id, code) ? 0 : NGHTTP3_ERR_CALLBACK_FAILURE;
  }
  static int reset_stream(nghttp3_conn*, std::int64_t id, std::uint64_t code, void* ud, void*) {
    return self(ud)->send_reset(id, code) ? 0 : NGHTTP3_ERR_CALLBACK_FAILURE;
  }
};

Http3Session::Http3Session(std::shared_ptr<net::quic::QuicConnection> quic)
    : quic_(std::move(quic)) {}

Http3Session::~Http3Session() {
  quic_->set_application(nullptr);
  if (h3_ != nullptr) nghttp3_conn_del(h3_);
}

void Http3Session::add_common_callbacks(nghttp3_callbacks& callbacks) {
  callbacks.acked_stream_data = Http3SessionCallbacks::acked;
  callbacks.stop_sending = Http3SessionCallbacks::stop_sending;
  callbacks.reset_stream = Http3SessionCallbacks::reset_stream;
}

bool Http3Session::bind_local_streams() {
  ngtcp2_conn* conn = quic_->native();
  std::array<std::int64_t, 3> ids{};
  for (auto& id : ids) {
    if (ngtcp2_conn_open_uni_stream(conn, &id, nullptr) != 0) {
      quic_->set_application_error(NGHTTP3_H3_STREAM_CREATION_ERROR);
      return false;
    }
  }
  int rv = nghttp3_conn_bind_control_stream(h3_, ids[0]);
  if (rv == 0) rv = nghttp3_conn_bind_qpack_streams(h3_, ids[1], ids[2]);
  return rv == 0 || fail(rv);
}

bool Http3Session::fail(int liberr) {
  // Malformed frames and QPACK come from the peer (debug); running out of
  // memory or a failed callback is ours (error).
  bool ours = liberr == NGHTTP3_ERR_NOMEM || liberr == NGHTTP3_ERR_CALLBACK_FAILURE;
  if (log::enabled(ours ? LogLevel::kError : LogLevel::kDebug)) {
    auto remote = quic_->path().remote.to_endpoint();
    TRIPLEX_LOG(ours ? LogLevel::kError : LogLevel::kDebug, "HTTP/3 connection failing",
                {{"peer", remote.address().to_string()},
                 {"port", remote.port()},
                 {"error", nghttp3_strerror(liberr)}});
  }
  quic_->set_application_error(nghttp3_err_infer_quic_app_error_code(liberr));
  return false;
}

bool Http3Session::call_failed(const char* call, const char* error) {
  auto remote = quic_->path().remote.to_endpoint();
  TRIPLEX_LOG(LogLevel::kError, "HTTP/3 connection failing",
              {{"peer", remote.address().to_string()},
               {"port", remote.port()},
               {"call", call},
               {"error", error}});
  quic_->set_application_error(NGHTTP3_H3_INTERNAL_ERROR);
  return false;
}

void Http3Session::close_failed() {
  if (!closed_) quic_->close(NGHTTP3_H3_INTERNAL_ERROR);
}

void Http3Session::consume(std::int64_t id, std::size_t size) {
  if (closed_ || size == 0) return;
  int rv = ngtcp2_conn_extend_max_stream_offset(quic_->native(), id, size);
  if (rv != 0) {
    call_failed("ngtcp2_conn_extend_max_stream_offset", ngtcp2_strerror(rv));
    close_failed();
    return;
  }
  ngtcp2_conn_extend_max_offset(quic_->native(), size);
  want_write();  // MAX_STREAM_DATA / MAX_DATA may be due
}

void Http3Session::reset_stream(std::int64_t id, std::uint64_t app_error_code) {
  if (closed_) return;
  int rv = ngtcp2_conn_shutdown_stream(quic_->native(), id, app_error_code);
  if (rv != 0) {
    call_failed("ngtcp2_conn_shutdown_stream", ngtcp2_strerror(rv));
    close_failed();
    return;
  }
  if (h3_ != nullptr) {
    rv = nghttp3_conn_shutdown_stream_read(h3_, id);
    if (rv != 0) {
      call_failed("nghttp3_conn_shutdown_stream_read", nghttp3_strerror(rv));
      close_failed();
      return;
    }
    nghttp3_conn_shutdown_stream_write(h3_, id);
  }
  want_write();
}

bool Http3Session::send_stop_sending(std::int64_t id, std::uint64_t app_error_code) {
  int rv = ngtcp2_conn_shutdown_stream_read(quic_->native(), id, app_error_code);
  return rv == 0 || call_failed("ngtcp2_conn_shutdown_stream_read", ngtcp2_strerror(rv));
}

bool Http3Session::send_reset(std::int64_t id, std::uint64_t app_error_code) {
  int rv = ngtcp2_conn_shutdown_stream_write(quic_->native(), id, app_error_code);
  return rv == 0 || call_failed("ngtcp2_conn_shutdown_stream_write", ngtcp2_strerror(rv));
}

bool Http3Session::on_stream_data(std::int64_t id, const std::uint8_t* data, std::size_t size,
                                  bool fin) {
  if (h3_ == nullptr) {
    quic_->set_application_error(NGHTTP3_H3_INTERNAL_ERROR);
    return false;
  }
  nghttp3_ssize consumed = nghttp3_conn_read_stream(h3_, id, data, size, fin);
  if (consumed < 0) return fail(static_cast<int>(consumed));
  // Framing and QPACK bytes are done with; body bytes wait for the application.
  int rv = ngtcp2_conn_extend_max_stream_offset(quic_->native(), id,
                                                static_cast<std::uint64_t>(consumed));
  if (rv != 0) return call_failed("ngtcp2_conn_extend_max_stream_offset", ngtcp2_strerror(rv));
  ngtcp2_conn_extend_max_offset(quic_->native(), static_cast<std::uint64_t>(consumed));
  return true;
}

bool Http3Session::on_stream_acked(std::int64_t id, std::uint64_t size) {
  if (h3_ == nullptr) return true;
  int rv = nghttp3_conn_add_ack_offset(h3_, id, size);
  return rv == 0 || fail(rv);
}

bool Http3Session::on_stream_close(std::int64_t id, std::optional<std::uint64_t> app_error_code) {
  if (h3_ == nullptr) return true;
  int rv = nghttp3_conn_close_stream(h3_, id, app_error_code.value_or(NGHTTP3_H3_NO_ERROR));
  if (rv == NGHTTP3_ERR_STREAM_NOT_FOUND) {
    on_unknown_stream_closed(id);
    return true;
  }
  return rv == 0 || fail(rv);
}

bool Http3Session::on_stream_reset(std::int64_t id, std::uint64_t app_error_code) {
  if (h3_ == nullptr) return true;
  on_peer_reset(id, app_error_code);
  int rv = nghttp3_conn_shutdown_stream_read(h3_, id);
  return rv == 0 || fail(rv);
}

bool Http3Session::on_stream_stop_sending(std::int64_t id, std::uint64_t app_error_code) {
  if (h3_ == nullptr) return true;
  // ngtcp2 answers with RESET_STREAM itself; nghttp3 stops producing.
  on_peer_reset(id, app_error_code);
  nghttp3_conn_shutdown_stream_write(h3_, id);
  return true;
}

bool Http3Session::on_stream_writable(std::int64_t id) {
  if (h3_ == nullptr) return true;
  int rv = nghttp3_conn_unblock_stream(h3_, id);
  return rv == 0 || fail(rv);
}

std::ptrdiff_t Http3Session::pull_stream_data(std::int64_t& id, bool& fin, ngtcp2_vec* vec,
                                              std::size_t capacity) {
  static_assert(sizeof(ngtcp2_vec) == sizeof(nghttp3_vec));
  id = -1;
  fin = false;
  offered_id_ = -1;
  if (h3_ == nullptr || closed_) return 0;
  int pfin = 0;
  auto* v = reinterpret_cast<nghttp3_vec*>(vec);
  nghttp3_ssize n = nghttp3_conn_writev_stream(h3_, &id, &pfin, v, capacity);
  if (n < 0) {
    fail(static_cast<int>(n));
    return -1;
  }
  fin = pfin != 0;
  offered_id_ = id;
  offered_fin_ = fin;
  offered_size_ = static_cast<std::size_t>(nghttp3_vec_len(v, static_cast<std::size_t>(n)));
  return n;
}

bool Http3Session::on_stream_data_written(std::int64_t id, std::size_t size) {
  if (h3_ == nullptr || id < 0) return true;
  int rv = nghttp3_conn_add_write_offset(h3_, id, size);
  if (rv != 0) return fail(rv);
  if (id == offered_id_ && offered_fin_ && size == offered_size_) {
    offered_id_ = -1;
    on_stream_fin_written(id);
  }
  return true;
}

void Http3Session::on_stream_blocked(std::int64_t id) {
  if (h3_ != nullptr) nghttp3_conn_block_stream(h3_, id);
}

void Http3Session::on_stream_write_closed(std::int64_t id) {
  if (h3_ != nullptr) nghttp3_conn_shutdown_stream_write(h3_, id);
}

}  // namespace triplex::http
