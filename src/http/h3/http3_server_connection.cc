#include "src/http/h3/http3_server_connection.h"

#include <algorithm>
#include <array>
#include <asio/post.hpp>
#include <chrono>

#include "src/http/h3/http3_stream.h"
#include "src/log/log.h"
#include "src/net/deadline.h"
#include "src/net/tls_context.h"

namespace triplex::http {
namespace {

constexpr std::size_t kQpackTableCapacity = 4096;
constexpr std::size_t kQpackBlockedStreams = 100;

// nghttp3's user data is the Http3Session base (see on_ready()).
Http3ServerConnection* self(void* user_data) {
  return static_cast<Http3ServerConnection*>(static_cast<Http3Session*>(user_data));
}

std::string_view view(nghttp3_rcbuf* buf) {
  nghttp3_vec v = nghttp3_rcbuf_get_buf(buf);
  return {reinterpret_cast<const char*>(v.base), v.len};
}

int stream_close_cb(nghttp3_conn*, std::int64_t id, std::uint64_t code, void* ud, void*) {
  return self(ud)->on_h3_stream_close(id, code);
}
int recv_data_cb(nghttp3_conn*, std::int64_t id, const std::uint8_t* data, std::size_t size,
                 void* ud, void*) {
  return self(ud)->on_body(id, data, size);
}
int deferred_consume_cb(nghttp3_conn*, std::int64_t id, std::size_t size, void* ud, void*) {
  return self(ud)->on_deferred_consume(id, size);
}
int begin_headers_cb(nghttp3_conn*, std::int64_t id, void* ud, void*) {
  return self(ud)->on_begin_headers(id);
}
int recv_header_cb(nghttp3_conn*, std::int64_t id, std::int32_t, nghttp3_rcbuf* name,
                   nghttp3_rcbuf* value, std::uint8_t, void* ud, void*) {
  return self(ud)->on_header(id, view(name), view(value));
}
int end_headers_cb(nghttp3_conn*, std::int64_t id, int fin, void* ud, void*) {
  return self(ud)->on_end_headers(id, fin != 0);
}
int end_stream_cb(nghttp3_conn*, std::int64_t id, void* ud, void*) {
  return self(ud)->on_end_stream(id);
}

bool is_client_bidi(std::int64_t id) { return (id & 0x3) == 0; }

net::PeerInfo make_peer(const net::quic::PathStorage& path) {
  net::PeerInfo peer;
  auto remote = path.remote.to_endpoint();
  auto local = path.local.to_endpoint();
  peer.remote = {remote.address(), remote.port()};
  peer.local = {local.address(), local.port()};
  peer.tls = true;
  peer.alpn = "h3";
  return peer;
}

}  // namespace

std::shared_ptr<Http3ServerConnection> Http3ServerConnection::start(
    std::shared_ptr<net::quic::QuicConnection> quic, const ConnectionOptions& options,
    ExchangeHandler handler) {
  std::shared_ptr<Http3ServerConnection> conn(
      new Http3ServerConnection(std::move(quic), options, std::move(handler)));
  conn->quic_->set_application(conn.get());
  return conn;
}

Http3ServerConnection::Http3ServerConnection(std::shared_ptr<net::quic::QuicConnection> quic,
                                             const ConnectionOptions& options,
                                             ExchangeHandler handler)
    : Http3Session(std::move(quic)),
      options_(options),
      handler_(std::move(handler)),
      peer_(make_peer(quic_->path())),
      drain_timer_(quic_->executor()),
      force_close_timer_(quic_->executor()) {}

Http3ServerConnection::~Http3ServerConnection() {
  for (auto& [id, s] : streams_) s->detach();
}

bool Http3ServerConnection::on_ready() {
  if (h3_ != nullptr) return true;
  ngtcp2_conn* conn = quic_->native();
  if (ngtcp2_conn_get_max_local_streams_uni(conn) < 3) {
    quic_->set_application_error(NGHTTP3_H3_STREAM_CREATION_ERROR);
    return false;
  }
  nghttp3_callbacks callbacks{};
  add_common_callbacks(callbacks);
  callbacks.stream_close = stream_close_cb;
  callbacks.recv_data = recv_data_cb;
  callbacks.deferred_consume = deferred_consume_cb;
  callbacks.begin_headers = begin_headers_cb;
  callbacks.recv_header = recv_header_cb;
  callbacks.end_headers = end_headers_cb;
  callbacks.end_stream = end_stream_cb;
  nghttp3_settings settings;
  nghttp3_settings_default(&settings);
  settings.max_field_section_size = options_.max_header_list_size;
  settings.qpack_max_dtable_capacity = kQpackTableCapacity;
  settings.qpack_blocked_streams = kQpackBlockedStreams;
  int rv = nghttp3_conn_server_new(&h3_, &callbacks, &settings, nullptr,
                                   static_cast<Http3Session*>(this));
  if (rv != 0) {
    h3_ = nullptr;
    return fail(rv);
  }
  const ngtcp2_transport_params* params = ngtcp2_conn_get_local_transport_params(conn);
  nghttp3_conn_set_max_client_streams_bidi(h3_, params->initial_max_streams_bidi);
  nghttp3_conn_set_max_concurrent_streams(h3_, options_.max_concurrent_streams);
  return bind_local_streams();
}

void Http3ServerConnection::on_handshake_completed() {
  // mTLS: GnuTLS verified the certificate during the handshake.
  std::string der = quic_->tls().peer_certificate_der();
  if (!der.empty()) {
    net::describe_certificate_der(reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                                  peer_.client_subject, peer_.client_sans);
  }
  for (auto& [id, s] : streams_) {
    if (s->is_early_data()) s->on_handshake_completed();
  }
}

Http3Stream* Http3ServerConnection::find_stream(std::int64_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

// --- nghttp3 callbacks ----------------------------------------------------------------------

int Http3ServerConnection::on_begin_headers(std::int64_t id) {
  if (!is_client_bidi(id) || find_stream(id) != nullptr) return 0;
  auto stream = std::make_shared<Http3Stream>(this, id, quic_->executor());
  int rv = nghttp3_conn_set_stream_user_data(h3_, id, stream.get());
  if (rv != 0) {
    call_failed("nghttp3_conn_set_stream_user_data", nghttp3_strerror(rv));
    return NGHTTP3_ERR_CALLBACK_FAILURE;
  }
  streams_.emplace(id, std::move(stream));
  if (streams_.size() == 1) update_keepalive();
  return 0;
}

void Http3ServerConnection::update_keepalive() {
  // The idle timeout is for connections without calls (as on HTTP/2): while
  // streams are open, PINGs keep a quiet call from timing the connection out.
  auto keepalive = options_.keepalive_time;
  if (!streams_.empty() && options_.idle_timeout != kNever) {
    keepalive = std::min(keepalive, options_.idle_timeout / 2);
  }
  ngtcp2_duration ns = 0;
  if (keepalive != kNever) {
    ns = static_cast<ngtcp2_duration>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(keepalive).count());
  }
  ngtcp2_conn_set_keep_alive_timeout(quic_->native(), ns);
}

int Http3ServerConnection::on_header(std::int64_t id, std::string_view name,
                                     std::string_view value) {
  Http3Stream* s = find_stream(id);
  if (s == nullptr || s->headers_too_large || s->dispatched) return 0;
  // RFC 9114 section 4.2.2: name + value + 32 per field.
  s->header_bytes() += name.size() + value.size() + 32;
  if (s->header_bytes() > options_.max_header_list_size) {
    s->headers_too_large = true;
    return 0;
  }
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

int Http3ServerConnection::on_end_headers(std::int64_t id, bool fin) {
  Http3Stream* s = find_stream(id);
  if (s == nullptr || s->dispatched) return 0;
  s->dispatched = true;
  if (!quic_->handshake_completed()) s->mark_early_data();  // 0-RTT: maybe a replay
  if (fin) on_request_end(*s);
  if (s->headers_too_large) {
    ResponseHead head;
    head.status = 431;
    s->respond(std::move(head));
  } else {
    run_handler(handler_, s->shared_from_this());
  }
  return 0;
}

int Http3ServerConnection::on_body(std::int64_t id, const std::uint8_t* data, std::size_t size) {
  Http3Stream* s = find_stream(id);
  if (s == nullptr || s->is_reset()) {
    consume(id, size);  // nobody will read it
    return 0;
  }
  s->on_data(data, size);
  return 0;
}

int Http3ServerConnection::on_deferred_consume(std::int64_t id, std::size_t size) {
  consume(id, size);  // framing nghttp3 held back while QPACK-blocked
  return 0;
}

int Http3ServerConnection::on_end_stream(std::int64_t id) {
  if (Http3Stream* s = find_stream(id)) on_request_end(*s);
  return 0;
}

void Http3ServerConnection::on_request_end(Http3Stream& s) {
  s.on_request_end();
  if (s.response_written) release_slot(s);
}

void Http3ServerConnection::release_slot(Http3Stream& s) {
  // The request is in and the response is all with QUIC: the client may
  // open another stream now. Waiting for the stream's full close would tie
  // the stream limit to the client's acknowledgements (an ACK delay per
  // request), which starves clients that keep the limit busy.
  if (s.slot_released || closed_) return;
  s.slot_released = true;
  ngtcp2_conn_extend_max_streams_bidi(quic_->native(), 1);
}

int Http3ServerConnection::on_h3_stream_close(std::int64_t id, std::uint64_t app_error_code) {
  auto it = streams_.find(id);
  bool released = false;
  if (it != streams_.end()) {
    auto stream = std::move(it->second);
    released = stream->slot_released;
    streams_.erase(it);
    // Body bytes nobody read still hold connection-level credit.
    if (!closed_) ngtcp2_conn_extend_max_offset(quic_->native(), stream->unconsumed());
    stream->on_closed(app_error_code);
    stream->detach();
  }
  if (is_client_bidi(id) && !closed_) {
    if (!released) ngtcp2_conn_extend_max_streams_bidi(quic_->native(), 1);
    if (streams_.empty()) update_keepalive();
  }
  maybe_close_drained();
  return 0;
}

void Http3ServerConnection::on_body_acked(std::int64_t id, std::uint64_t size) {
  if (Http3Stream* s = find_stream(id)) s->on_acked(size);
}

void Http3ServerConnection::on_peer_reset(std::int64_t id, std::uint64_t app_error_code) {
  if (Http3Stream* s = find_stream(id)) s->on_peer_reset(app_error_code);
}

void Http3ServerConnection::on_unknown_stream_closed(std::int64_t id) {
  // A request stream nghttp3 never saw a byte of: the peer may open another.
  if (is_client_bidi(id)) ngtcp2_conn_extend_max_streams_bidi(quic_->native(), 1);
}

// --- QUIC events ----------------------------------------------------------------------------

void Http3ServerConnection::on_max_remote_streams_bidi(std::uint64_t max_streams) {
  if (h3_ != nullptr) nghttp3_conn_set_max_client_streams_bidi(h3_, max_streams);
}

void Http3ServerConnection::on_stream_fin_written(std::int64_t id) {
  Http3Stream* s = find_stream(id);
  if (s == nullptr) return;
  s->response_written = true;
  maybe_close_drained();
  if (s->request_ended()) {
    release_slot(*s);
    return;
  }
  // A complete response before the complete request (an early error, or a
  // handler that did not need the body): ask the client to stop sending,
  // without error (RFC 9114 section 4.1). Not now: ngtcp2 is assembling a
  // packet and takes no other calls until it is done.
  asio::post(quic_->executor(), [weak = weak_from_this(), id] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    Http3Stream* s = self->find_stream(id);
    if (s == nullptr || s->request_ended()) return;
    int rv = ngtcp2_conn_shutdown_stream_read(self->quic_->native(), id, NGHTTP3_H3_NO_ERROR);
    if (rv != 0) {
      self->call_failed("ngtcp2_conn_shutdown_stream_read", ngtcp2_strerror(rv));
      self->close_failed();
      return;
    }
    rv = nghttp3_conn_shutdown_stream_read(self->h3_, id);
    if (rv != 0) {
      self->call_failed("nghttp3_conn_shutdown_stream_read", nghttp3_strerror(rv));
      self->close_failed();
      return;
    }
    self->want_write();
  });
}

void Http3ServerConnection::on_connection_closed() {
  if (closed_) return;
  closed_ = true;
  drain_timer_.cancel();
  force_close_timer_.cancel();
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) s->on_connection_lost(), s->detach();
  if (on_closed) on_closed(this);
}

// --- graceful drain -------------------------------------------------------------------------

void Http3ServerConnection::drain() {
  if (closed_) return;
  if (h3_ == nullptr) {
    quic_->close(NGHTTP3_H3_NO_ERROR);  // still handshaking: no streams yet
    return;
  }
  if (drain_ == Drain::kNone) {
    // Phase one: GOAWAY with the largest stream ID, so requests already on
    // the wire are still served; the real GOAWAY follows after a few RTTs.
    int rv = nghttp3_conn_submit_shutdown_notice(h3_);
    if (rv != 0) {
      call_failed("nghttp3_conn_submit_shutdown_notice", nghttp3_strerror(rv));
      close_failed();
      return;
    }
    drain_ = Drain::kNoticeSent;
    want_write();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(2 * quic_->pto());
    drain_timer_.expires_after(
        std::clamp(wait, std::chrono::milliseconds(50), std::chrono::milliseconds(1000)));
    drain_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
      if (auto conn = weak.lock(); conn && !ec) conn->begin_shutdown();
    });
  }
  if (options_.drain_timeout == kNever) return;
  force_close_timer_.expires_at(
      net::deadline_after(asio::steady_timer::clock_type::now(), options_.drain_timeout));
  force_close_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (auto conn = weak.lock(); conn && !ec && !conn->closed_) {
      conn->quic_->close(NGHTTP3_H3_NO_ERROR);
    }
  });
}

void Http3ServerConnection::begin_shutdown() {
  if (closed_ || drain_ != Drain::kNoticeSent) return;
  int rv = nghttp3_conn_shutdown(h3_);
  if (rv != 0) {
    call_failed("nghttp3_conn_shutdown", nghttp3_strerror(rv));
    close_failed();
    return;
  }
  drain_ = Drain::kShutdown;
  want_write();
  maybe_close_drained();
}

void Http3ServerConnection::maybe_close_drained() {
  if (closed_ || drain_ != Drain::kShutdown) return;
  for (const auto& [id, s] : streams_) {
    if (!s->response_written) return;
  }
  // Every response is with QUIC. Close a little later, not now: an ACK says
  // the peer's QUIC stack has the bytes, not that its application has read
  // them, and some stacks (quic-go) drop unread stream data when the
  // CONNECTION_CLOSE arrives; a client that vanished never acknowledges at
  // all. The client usually closes first, which ends the wait.
  if (lingering_) return;
  lingering_ = true;
  auto linger = std::chrono::duration_cast<std::chrono::milliseconds>(3 * quic_->pto());
  drain_timer_.expires_after(
      std::clamp(linger, std::chrono::milliseconds(250), std::chrono::milliseconds(1000)));
  drain_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (auto conn = weak.lock(); conn && !ec && !conn->closed_) {
      conn->quic_->close(NGHTTP3_H3_NO_ERROR);
    }
  });
}

}  // namespace triplex::http
