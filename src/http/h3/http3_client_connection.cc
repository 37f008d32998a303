#include "src/http/h3/http3_client_connection.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "src/http/h3/http3_client_stream.h"
#include "src/log/log.h"
#include "src/net/quic/quic_endpoint.h"

namespace triplex::http {
namespace {

constexpr std::size_t kQpackTableCapacity = 4096;
constexpr std::size_t kQpackBlockedStreams = 100;

// nghttp3's user data is the Http3Session base.
Http3ClientConnection* self(void* user_data) {
  return static_cast<Http3ClientConnection*>(static_cast<Http3Session*>(user_data));
}

std::string_view view(nghttp3_rcbuf* buf) {
  nghttp3_vec v = nghttp3_rcbuf_get_buf(buf);
  return {reinterpret_cast<const char*>(v.base), v.len};
}

int recv_header_cb(nghttp3_conn*, std::int64_t id, std::int32_t, nghttp3_rcbuf* name,
                   nghttp3_rcbuf* value, std::uint8_t, void* ud, void*) {
  return self(ud)->on_field(id, view(name), view(value), false);
}
int recv_trailer_cb(nghttp3_conn*, std::int64_t id, std::int32_t, nghttp3_rcbuf* name,
                    nghttp3_rcbuf* value, std::uint8_t, void* ud, void*) {
  return self(ud)->on_field(id, view(name), view(value), true);
}
int end_headers_cb(nghttp3_conn*, std::int64_t id, int, void* ud, void*) {
  return self(ud)->on_head_end(id);
}
int recv_data_cb(nghttp3_conn*, std::int64_t id, const std::uint8_t* data, std::size_t size,
                 void* ud, void*) {
  return self(ud)->on_body(id, data, size);
}
int deferred_consume_cb(nghttp3_conn*, std::int64_t id, std::size_t size, void* ud, void*) {
  self(ud)->consume(id, size);  // framing nghttp3 held back while QPACK-blocked
  return 0;
}
int end_stream_cb(nghttp3_conn*, std::int64_t id, void* ud, void*) {
  return self(ud)->on_end_stream(id);
}
int stream_close_cb(nghttp3_conn*, std::int64_t id, std::uint64_t code, void* ud, void*) {
  return self(ud)->on_h3_stream_close(id, code);
}
int shutdown_cb(nghttp3_conn*, std::int64_t id, void* ud) {
  self(ud)->on_goaway(id);
  return 0;
}

nghttp3_ssize read_body_cb(nghttp3_conn*, std::int64_t, nghttp3_vec* vec, std::size_t veccnt,
                           std::uint32_t* pflags, void*, void* stream_user_data) {
  return static_cast<Http3ClientStream*>(stream_user_data)->read_outbound(vec, veccnt, pflags);
}
constexpr nghttp3_data_reader kBodyReader{read_body_cb};

nghttp3_nv make_nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP3_NV_FLAG_NONE};
}

}  // namespace

std::shared_ptr<Http3ClientConnection> Http3ClientConnection::connect(
    asio::io_context& io, const asio::ip::udp::endpoint& remote, net::quic::QuicClientParams params,
    const Http3ClientOptions& options) {
  auto config = std::make_shared<net::quic::QuicEndpoint::Config>();
  config->settings = options.quic;
  net::quic::random_bytes(config->reset_secret.data(), config->reset_secret.size());
  auto endpoint = std::make_shared<net::quic::QuicEndpoint>(io, 0, config, nullptr);
  endpoint->open_client(remote);
  auto quic = net::quic::QuicConnection::connect(endpoint, remote, std::move(params));
  if (!quic) throw std::runtime_error("QUIC: cannot set up a client connection");
  std::shared_ptr<Http3ClientConnection> conn(new Http3ClientConnection(quic, options));
  quic->set_application(conn.get());
  endpoint->start();
  quic->start();
  return conn;
}

Http3ClientConnection::Http3ClientConnection(std::shared_ptr<net::quic::QuicConnection> quic,
                                             const Http3ClientOptions& options)
    : Http3Session(std::move(quic)), options_(options), connected_(quic_->executor()) {}

Http3ClientConnection::~Http3ClientConnection() {
  for (auto& [id, s] : streams_) s->detach();
  for (auto& s : waiting_) s->detach();
  // Nobody is left to run a closing period: say goodbye and let go now, or
  // the socket and the connection would keep each other alive.
  quic_->close_now(NGHTTP3_H3_NO_ERROR);
}

bool Http3ClientConnection::on_ready() {
  if (h3_ != nullptr) return true;
  nghttp3_callbacks callbacks{};
  add_common_callbacks(callbacks);
  callbacks.recv_header = recv_header_cb;
  callbacks.recv_trailer = recv_trailer_cb;
  callbacks.end_headers = end_headers_cb;
  callbacks.end_trailers = end_headers_cb;  // trailers end the head for nothing
  callbacks.recv_data = recv_data_cb;
  callbacks.deferred_consume = deferred_consume_cb;
  callbacks.end_stream = end_stream_cb;
  callbacks.stream_close = stream_close_cb;
  callbacks.shutdown = shutdown_cb;
  nghttp3_settings settings;
  nghttp3_settings_default(&settings);
  settings.max_field_section_size = options_.max_header_list_size;
  settings.qpack_max_dtable_capacity = kQpackTableCapacity;
  settings.qpack_blocked_streams = kQpackBlockedStreams;
  int rv = nghttp3_conn_client_new(&h3_, &callbacks, &settings, nullptr,
                                   static_cast<Http3Session*>(this));
  if (rv != 0) {
    h3_ = nullptr;
    return fail(rv);
  }
  if (!bind_local_streams()) return false;
  submit_waiting();
  return true;
}

std::shared_ptr<ClientExchange> Http3ClientConnection::open(RequestHead head, bool end_stream) {
  auto stream =
      std::make_shared<Http3ClientStream>(this, std::move(head), end_stream, quic_->executor());
  if (closed_ || goaway_) {
    if (goaway_) {
      stream->on_peer_reset(NGHTTP3_H3_REQUEST_REJECTED);
    } else {
      stream->on_connection_lost();
    }
    stream->detach();
    return stream;
  }
  waiting_.push_back(stream);
  submit_waiting();
  return stream;
}

void Http3ClientConnection::submit_waiting() {
  if (h3_ == nullptr || closed_) return;
  while (!waiting_.empty()) {
    if (waiting_.front()->is_reset()) {
      waiting_.front()->detach();
      waiting_.pop_front();
      continue;
    }
    if (!submit(waiting_.front())) return;  // the stream limit; more credit comes later
    waiting_.pop_front();
  }
}

bool Http3ClientConnection::submit(const std::shared_ptr<Http3ClientStream>& stream) {
  std::int64_t id = -1;
  if (ngtcp2_conn_open_bidi_stream(quic_->native(), &id, nullptr) != 0) return false;
  stream->bind(id);
  const RequestHead& head = stream->request();
  std::vector<nghttp3_nv> nva;
  nva.reserve(head.headers.size() + 4);
  nva.push_back(make_nv(":method", head.method));
  // A view of the head's own string, or of a literal: never of a temporary.
  std::string_view scheme = head.scheme.empty() ? std::string_view("https") : head.scheme;
  nva.push_back(make_nv(":scheme", scheme));
  nva.push_back(make_nv(":authority", head.authority));
  nva.push_back(make_nv(":path", head.path));
  for (const auto& h : head.headers) nva.push_back(make_nv(h.name, h.value));
  int rv = nghttp3_conn_submit_request(h3_, id, nva.data(), nva.size(),
                                       stream->has_body() ? &kBodyReader : nullptr, stream.get());
  if (rv != 0) {
    TRIPLEX_LOG(LogLevel::kError, "HTTP/3 request failed",
                {{"call", "nghttp3_conn_submit_request"}, {"error", nghttp3_strerror(rv)}});
    rv = ngtcp2_conn_shutdown_stream(quic_->native(), id, NGHTTP3_H3_INTERNAL_ERROR);
    if (rv != 0) {
      call_failed("ngtcp2_conn_shutdown_stream", ngtcp2_strerror(rv));
      close_failed();
    }
    stream->on_connection_lost();
    return true;
  }
  // Sent before the handshake completed: 0-RTT, if the server takes it.
  stream->set_early_data(!quic_->handshake_completed());
  streams_.emplace(id, stream);
  want_write();
  return true;
}

Http3ClientStream* Http3ClientConnection::find_stream(std::int64_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

asio::awaitable<bool> Http3ClientConnection::wait_connected() {
  auto keep = shared_from_this();
  for (;;) {
    if (closed_) co_return false;
    if (quic_->handshake_completed()) co_return true;
    co_await connected_.wait();
  }
}

void Http3ClientConnection::close() {
  if (closed_) return;
  quic_->close(NGHTTP3_H3_NO_ERROR);
}

void Http3ClientConnection::on_handshake_completed() {
  timeline.secured = std::chrono::steady_clock::now();
  early_data_accepted_ =
      quic_->early_data_possible() && !ngtcp2_conn_get_early_data_rejected(quic_->native());
  if (!early_data_accepted_) {
    for (auto& [id, s] : streams_) s->set_early_data(false);
  }
  connected_.notify();
}

void Http3ClientConnection::on_early_data_rejected() {
  // ngtcp2 forgot every stream; nghttp3 must start over too, and the
  // requests go out again, in 1-RTT, on new streams.
  nghttp3_conn_del(h3_);
  h3_ = nullptr;
  std::vector<std::shared_ptr<Http3ClientStream>> resend;
  for (auto& [id, s] : streams_) resend.push_back(s);
  streams_.clear();
  std::sort(resend.begin(), resend.end(),
            [](const auto& a, const auto& b) { return a->id() < b->id(); });
  for (auto it = resend.rbegin(); it != resend.rend(); ++it) {
    (*it)->rewind();
    (*it)->set_early_data(false);
    waiting_.push_front(*it);
  }
  on_ready();
}

void Http3ClientConnection::on_goaway(std::int64_t first_unprocessed) {
  goaway_ = true;
  // Requests the server will not process fail as refused, which callers may
  // safely retry elsewhere; the rest finish here.
  std::vector<std::shared_ptr<Http3ClientStream>> refused(waiting_.begin(), waiting_.end());
  waiting_.clear();
  for (auto& [id, s] : streams_) {
    if (id >= first_unprocessed) refused.push_back(s);
  }
  for (auto& s : refused) {
    if (s->id() >= 0) {
      reset_stream(s->id(), NGHTTP3_H3_REQUEST_CANCELLED);
      streams_.erase(s->id());
    }
    s->on_peer_reset(NGHTTP3_H3_REQUEST_REJECTED);
    s->detach();
  }
}

void Http3ClientConnection::on_max_local_streams_bidi() {
  submit_waiting();  // requests held back by the server's stream limit
}

int Http3ClientConnection::on_field(std::int64_t id, std::string_view name, std::string_view value,
                                    bool trailer) {
  if (Http3ClientStream* s = find_stream(id)) s->on_field(name, value, trailer);
  return 0;
}

int Http3ClientConnection::on_head_end(std::int64_t id) {
  if (Http3ClientStream* s = find_stream(id)) s->on_head_end();
  return 0;
}

int Http3ClientConnection::on_body(std::int64_t id, const std::uint8_t* data, std::size_t size) {
  Http3ClientStream* s = find_stream(id);
  if (s == nullptr || s->is_reset()) {
    consume(id, size);  // nobody will read it
    return 0;
  }
  s->on_data(data, size);
  return 0;
}

int Http3ClientConnection::on_end_stream(std::int64_t id) {
  if (Http3ClientStream* s = find_stream(id)) s->on_end();
  return 0;
}

int Http3ClientConnection::on_h3_stream_close(std::int64_t id, std::uint64_t app_error_code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return 0;
  auto stream = std::move(it->second);
  streams_.erase(it);
  // Body bytes nobody read still hold connection-level credit.
  if (!closed_) ngtcp2_conn_extend_max_offset(quic_->native(), stream->unconsumed());
  stream->on_closed(app_error_code);
  stream->detach();
  return 0;
}

void Http3ClientConnection::on_peer_reset(std::int64_t id, std::uint64_t app_error_code) {
  if (Http3ClientStream* s = find_stream(id)) s->on_peer_reset(app_error_code);
}

void Http3ClientConnection::on_body_acked(std::int64_t id, std::uint64_t size) {
  if (Http3ClientStream* s = find_stream(id)) s->on_acked(size);
}

void Http3ClientConnection::on_connection_closed() {
  if (closed_) return;
  closed_ = true;
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) s->on_connection_lost(), s->detach();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& s : waiting) s->on_connection_lost(), s->detach();
  connected_.notify();
}

}  // namespace triplex::http
