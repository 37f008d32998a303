#include "src/net/quic/quic_connection.h"

#include <asio/post.hpp>
#include <cstdio>
#include <cstring>

#include "src/log/log.h"
#include "src/net/quic/quic_callbacks.h"
#include "src/net/quic/quic_endpoint.h"

namespace triplex::net::quic {
namespace {

// Packets per write pass before other connections on the worker get a turn.
constexpr std::size_t kMaxPacketsPerPass = 64;
constexpr std::size_t kMaxVectors = 16;

}  // namespace

std::shared_ptr<QuicConnection> QuicConnection::accept(std::shared_ptr<QuicEndpoint> endpoint,
                                                       const ngtcp2_pkt_hd& hd,
                                                       const PathStorage& path,
                                                       const ngtcp2_cid* original_dcid) {
  std::shared_ptr<QuicConnection> conn(new QuicConnection(std::move(endpoint)));
  if (!conn->init(hd, path, original_dcid)) return nullptr;
  return conn;
}

QuicConnection::QuicConnection(std::shared_ptr<QuicEndpoint> endpoint)
    : endpoint_(std::move(endpoint)), timer_(endpoint_->executor()) {}

QuicConnection::~QuicConnection() {
  if (conn_ != nullptr) ngtcp2_conn_del(conn_);
}

bool QuicConnection::init(const ngtcp2_pkt_hd& hd, const PathStorage& path,
                          const ngtcp2_cid* original_dcid) {
  const QuicSettings& limits = endpoint_->config().settings;
  path_ = path;

  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now_ts();
  settings.handshake_timeout = to_duration(limits.handshake_timeout);

  ngtcp2_cid scid;
  ngtcp2_transport_params params;
  fill_transport_params(params);
  if (!endpoint_->new_cid(scid, params.stateless_reset_token)) return false;
  params.stateless_reset_token_present = 1;
  if (original_dcid != nullptr) {
    // After a Retry: the client checks both IDs (RFC 9000 section 7.3), and
    // its address counts as validated.
    params.original_dcid = *original_dcid;
    params.retry_scid = hd.dcid;
    params.retry_scid_present = 1;
    settings.token = hd.token;
  } else {
    params.original_dcid = hd.dcid;
  }

  ngtcp2_callbacks callbacks = make_quic_callbacks(false);
  PathStorage storage = path;
  ngtcp2_path view = storage.view();
  if (ngtcp2_conn_server_new(&conn_, &hd.scid, &scid, &view, hd.version, &callbacks, &settings,
                             &params, nullptr, this) != 0) {
    conn_ = nullptr;
    return false;
  }
  conn_ref_.get_conn = quic_conn_of_ref;
  conn_ref_.user_data = this;
  if (!tls_.init(*endpoint_->config().tls, &conn_ref_)) return false;
  ngtcp2_conn_set_tls_native_handle(conn_, tls_.native());
  if (limits.keepalive.count() > 0) {
    ngtcp2_conn_set_keep_alive_timeout(conn_, to_duration(limits.keepalive));
  }
  // The client's first DCID routes its retransmitted Initials (and 0-RTT)
  // until it switches to ours.
  cids_.emplace_back(hd.dcid);
  cids_.emplace_back(scid);
  return true;
}

void QuicConnection::fill_transport_params(ngtcp2_transport_params& params) const {
  const QuicSettings& limits = endpoint_->config().settings;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = limits.stream_window;
  params.initial_max_stream_data_bidi_remote = limits.stream_window;
  params.initial_max_stream_data_uni = limits.uni_stream_window;
  params.initial_max_data = limits.connection_window;
  params.initial_max_streams_bidi = client_ ? 0 : limits.max_streams_bidi;
  params.initial_max_streams_uni = limits.max_streams_uni;
  params.max_idle_timeout = to_duration(limits.idle_timeout);
  params.active_connection_id_limit = 4;
  params.grease_quic_bit = 1;
}

asio::any_io_executor QuicConnection::executor() const { return endpoint_->executor(); }

std::chrono::nanoseconds QuicConnection::pto() const {
  return std::chrono::nanoseconds(conn_ ? ngtcp2_conn_get_pto(conn_) : NGTCP2_SECONDS);
}

void QuicConnection::on_datagram(PathStorage& path, std::uint8_t ecn, const std::uint8_t* data,
                                 std::size_t size) {
  switch (state_) {
    case State::kClosing:
      // Repeat our CONNECTION_CLOSE, less and less often (1st, 2nd, 4th...).
      ++packets_while_closing_;
      if ((packets_while_closing_ & (packets_while_closing_ - 1)) == 0) {
        ngtcp2_path view = close_path_.view();
        endpoint_->send(view, close_ecn_, close_packet_.data(), close_packet_.size());
      }
      return;
    case State::kDraining:
    case State::kClosed:
      return;
    case State::kOpen:
      break;
  }
  ngtcp2_path view = path.view();
  ngtcp2_pkt_info info{};
  info.ecn = ecn;
  // The whole datagram, coalesced packets included: ngtcp2 counts what it
  // receives on a path for the anti-amplification limit.
  int rv = ngtcp2_conn_read_pkt(conn_, &view, &info, data, size, now_ts());
  if (rv != 0) handle_error(rv);
}

void QuicConnection::schedule_write() {
  if (write_posted_ || state_ != State::kOpen) return;
  write_posted_ = true;
  asio::post(executor(), [self = shared_from_this()] {
    self->write_posted_ = false;
    self->write_packets();
  });
}

bool QuicConnection::send(const ngtcp2_path& path, std::uint8_t ecn, const std::uint8_t* data,
                          std::size_t size, std::size_t segment_size) {
  if (blocked_.empty() &&
      endpoint_->send(path, ecn, data, size, segment_size) == QuicEndpoint::SendResult::kSent) {
    return true;
  }
  Blocked& blocked = blocked_.emplace_back();
  blocked.path.assign(path);
  blocked.ecn = ecn;
  blocked.data.assign(data, data + size);
  blocked.segment_size = segment_size;
  if (blocked_.size() == 1) endpoint_->wait_writable(weak_from_this());
  return false;
}

void QuicConnection::on_writable() {
  if (state_ == State::kClosed) return;
  while (!blocked_.empty()) {
    Blocked& blocked = blocked_.front();
    ngtcp2_path view = blocked.path.view();
    if (endpoint_->send(view, blocked.ecn, blocked.data.data(), blocked.data.size(),
                        blocked.segment_size) != QuicEndpoint::SendResult::kSent) {
      endpoint_->wait_writable(weak_from_this());
      return;
    }
    blocked_.pop_front();
  }
  write_packets();
}

void QuicConnection::write_packets() {
  if (state_ != State::kOpen || !blocked_.empty()) return;
  std::size_t max_size = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  // Packets are gathered into one buffer and go out together (GSO) while
  // they share a path, an ECN mark and a size; the pacer's quantum bounds
  // how many leave at once.
  std::size_t max_batch = endpoint_->max_segments(max_size);
  std::size_t quantum = std::max<std::size_t>(1, ngtcp2_conn_get_send_quantum(conn_) / max_size);
  std::size_t max_packets = std::min(kMaxPacketsPerPass, std::max(quantum, max_batch));
  batch_.reserve(max_size, max_batch);
  auto send_batch = [this](const ngtcp2_path& path, std::uint8_t ecn, const std::uint8_t* data,
                           std::size_t size,
                           std::size_t segment) { return send(path, ecn, data, size, segment); };
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info info{};
  ngtcp2_tstamp ts = now_ts();
  std::size_t packets = 0;
  for (;;) {
    std::int64_t stream_id = -1;
    bool fin = false;
    std::array<ngtcp2_vec, kMaxVectors> vec{};
    std::ptrdiff_t count = 0;
    if (app_ != nullptr && ngtcp2_conn_get_max_data_left(conn_) > 0) {
      count = app_->pull_stream_data(stream_id, fin, vec.data(), vec.size());
      if (count < 0) {
        start_closing();
        return;
      }
    }
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    if (fin) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    ngtcp2_ssize accepted = -1;
    std::uint8_t* out = batch_.next();
    ngtcp2_ssize n =
        ngtcp2_conn_writev_stream(conn_, &ps.path, &info, out, max_size, &accepted, flags,
                                  stream_id, vec.data(), static_cast<std::size_t>(count), ts);
    if (n < 0) {
      switch (n) {
        case NGTCP2_ERR_STREAM_DATA_BLOCKED:
          if (app_ != nullptr) app_->on_stream_blocked(stream_id);
          continue;
        case NGTCP2_ERR_STREAM_SHUT_WR:
          if (app_ != nullptr) app_->on_stream_write_closed(stream_id);
          continue;
        case NGTCP2_ERR_WRITE_MORE:
          if (app_ != nullptr &&
              !app_->on_stream_data_written(stream_id, static_cast<std::size_t>(accepted))) {
            start_closing();
            return;
          }
          continue;
        default:
          batch_.flush(send_batch);
          handle_error(static_cast<int>(n));
          return;
      }
    }
    if (accepted >= 0 && app_ != nullptr &&
        !app_->on_stream_data_written(stream_id, static_cast<std::size_t>(accepted))) {
      start_closing();
      return;
    }
    if (n == 0) break;  // nothing more, or congestion-limited
    ++packets;
    if (!batch_.add(ps.path, info.ecn, static_cast<std::size_t>(n), send_batch)) break;
    if (packets == max_packets) {
      schedule_write();
      break;
    }
  }
  batch_.flush(send_batch);
  ngtcp2_conn_update_pkt_tx_time(conn_, ts);
  arm_timer();
}

void QuicConnection::arm_timer() {
  if (state_ != State::kOpen) return;
  ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(conn_);
  // ngtcp2's expiry moves with nearly every packet sent. A timer already
  // due no later is kept: firing early costs one look at ngtcp2 (which
  // re-arms for the real expiry), re-arming costs a timerfd update each time.
  if (expiry >= armed_expiry_) return;
  armed_expiry_ = expiry;
  timer_.expires_at(to_time_point(expiry));
  wait_timer();
}

void QuicConnection::wait_timer() {
  // A wait that already completed is not cancelled by re-arming: the
  // generation tells a stale completion from the current one.
  auto generation = ++timer_generation_;
  timer_.async_wait([weak = weak_from_this(), generation](const asio::error_code& ec) {
    if (ec) return;
    auto conn = weak.lock();
    if (conn && conn->timer_generation_ == generation) conn->on_timer();
  });
}

void QuicConnection::arm_period_timer() {
  armed_expiry_ = UINT64_MAX;
  // Closing and draining last three PTOs (RFC 9000 section 10.2).
  timer_.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(3 * pto()));
  wait_timer();
}

void QuicConnection::on_timer() {
  armed_expiry_ = UINT64_MAX;
  if (state_ == State::kClosing || state_ == State::kDraining) {
    finish();
    return;
  }
  if (state_ != State::kOpen) return;
  int rv = ngtcp2_conn_handle_expiry(conn_, now_ts());
  if (rv != 0) {
    handle_error(rv);
    return;
  }
  write_packets();
}

void QuicConnection::end_handshake_count() {
  if (!handshake_counted_) return;
  handshake_counted_ = false;
  endpoint_->handshake_ended();
}

int QuicConnection::on_handshake_completed() {
  end_handshake_count();
  if (!client_) {
    // A ticket for resumption; a failure only costs the client a full handshake.
    tls_.send_session_ticket();
  } else if (early_data_attempted_ && !tls_.early_data_accepted()) {
    int rv = ngtcp2_conn_early_data_rejected(conn_);
    if (rv != 0) return rv;
    if (app_ != nullptr) app_->on_early_data_rejected();
  }
  if (app_ != nullptr) app_->on_handshake_completed();
  return 0;
}

int QuicConnection::on_tx_key(ngtcp2_crypto_level level) {
  if (level != NGTCP2_CRYPTO_LEVEL_APPLICATION || app_ == nullptr) return 0;
  return app_->on_ready() ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int QuicConnection::on_new_connection_id(ngtcp2_cid* cid, std::uint8_t* token, std::size_t cidlen) {
  if (cidlen != kCidLength) return NGTCP2_ERR_CALLBACK_FAILURE;
  if (!endpoint_->new_cid(*cid, token)) return NGTCP2_ERR_CALLBACK_FAILURE;
  CidKey key(*cid);
  cids_.push_back(key);
  endpoint_->add_cid(key, shared_from_this());
  return 0;
}

int QuicConnection::on_remove_connection_id(const ngtcp2_cid* cid) {
  CidKey key(*cid);
  for (auto it = cids_.begin(); it != cids_.end(); ++it) {
    if (*it == key) {
      cids_.erase(it);
      endpoint_->remove_cid(key);
      break;
    }
  }
  return 0;
}

}  // namespace triplex::net::quic
