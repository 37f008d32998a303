// How a QuicConnection ends: errors from ngtcp2 mapped to a close or a
// failure reason, CONNECTION_CLOSE and the closing period, draining after the
// peer's close, and telling the application once.
#include <gnutls/gnutls.h>

#include <asio/post.hpp>
#include <cstdio>
#include <string>

#include "src/log/log.h"
#include "src/net/quic/quic_connection.h"
#include "src/net/quic/quic_endpoint.h"

namespace triplex::net::quic {

void QuicConnection::handle_error(int liberr) {
  bool handshaking = !handshake_completed();
  switch (liberr) {
    case NGTCP2_ERR_DRAINING:
      if (handshaking) {
        ngtcp2_connection_close_error peer{};
        ngtcp2_conn_get_connection_close_error(conn_, &peer);
        char code[32];
        std::snprintf(code, sizeof code, "0x%llx",
                      static_cast<unsigned long long>(peer.error_code));
        failure_ =
            std::string("the server closed the connection during the handshake (") +
            (peer.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION ? "application"
                                                                              : "transport") +
            " error " + code + ")";
      }
      start_draining();
      return;
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
      failure_ = "no QUIC handshake within " +
                 std::to_string(endpoint_->config().settings.handshake_timeout.count()) + " ms";
      drop();
      return;
    case NGTCP2_ERR_RECV_VERSION_NEGOTIATION:  // a client: no version in common
      failure_ = "the server speaks no QUIC version we do";
      drop();
      return;
    case NGTCP2_ERR_DROP_CONN:
    case NGTCP2_ERR_IDLE_CLOSE:
      drop();
      return;
    case NGTCP2_ERR_CRYPTO:
      if (client_ && handshaking) failure_ = tls_failure();
      if (!error_set_) {
        ngtcp2_connection_close_error_set_transport_error_tls_alert(
            &error_, ngtcp2_conn_get_tls_alert(conn_), nullptr, 0);
        error_set_ = true;
      }
      break;
    default:
      if (!error_set_) {
        ngtcp2_connection_close_error_set_transport_error_liberr(&error_, liberr, nullptr, 0);
        error_set_ = true;
      }
      break;
  }
  // Bad packets and TLS alerts come from the peer (debug); out of memory or a
  // failed callback is ours (error).
  bool ours = liberr == NGTCP2_ERR_NOMEM || liberr == NGTCP2_ERR_CALLBACK_FAILURE ||
              liberr == NGTCP2_ERR_INTERNAL;
  auto remote = path_.remote.to_endpoint();
  TRIPLEX_LOG(ours ? LogLevel::kError : LogLevel::kDebug, "QUIC connection closing on an error",
              {{"peer", remote.address().to_string()},
               {"port", remote.port()},
               {"role", client_ ? "client" : "server"},
               {"error", ngtcp2_strerror(liberr)},
               {"tls", liberr == NGTCP2_ERR_CRYPTO ? tls_failure() : std::string()}});
  start_closing();
}

std::string QuicConnection::tls_failure() const {
  unsigned status = gnutls_session_get_verify_cert_status(tls_.native());
  if (status != 0) {
    gnutls_datum_t text{};
    std::string why = "certificate verify failed";
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
      why += std::string(": ") + reinterpret_cast<const char*>(text.data);
      gnutls_free(text.data);
    }
    return why;
  }
  std::uint8_t alert = ngtcp2_conn_get_tls_alert(conn_);
  const char* name = gnutls_alert_get_strname(static_cast<gnutls_alert_description_t>(alert));
  return std::string("TLS handshake failed") +
         (name != nullptr ? std::string(" (") + name + ")" : "");
}

void QuicConnection::on_port_unreachable() {
  if (!client_ || state_ != State::kOpen || handshake_completed()) return;
  failure_ = "connection refused: nothing answers on UDP port " +
             std::to_string(path_.remote.to_endpoint().port());
  drop();
}

void QuicConnection::set_application_error(std::uint64_t app_error_code) {
  if (error_set_) return;
  ngtcp2_connection_close_error_set_application_error(&error_, app_error_code, nullptr, 0);
  error_set_ = true;
}

void QuicConnection::close(std::uint64_t app_error_code) {
  if (state_ != State::kOpen) return;
  set_application_error(app_error_code);
  asio::post(executor(), [self = shared_from_this()] { self->start_closing(); });
}

void QuicConnection::close_now(std::uint64_t app_error_code) {
  if (state_ == State::kOpen) {
    set_application_error(app_error_code);
    start_closing();
  }
  drop();
}

void QuicConnection::start_closing() {
  if (state_ != State::kOpen) return;
  if (!error_set_) {
    ngtcp2_connection_close_error_set_transport_error(&error_, NGTCP2_INTERNAL_ERROR, nullptr, 0);
    error_set_ = true;
  }
  if (error_.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT_IDLE_CLOSE) {
    drop();
    return;
  }
  blocked_.clear();  // nothing else goes out after CONNECTION_CLOSE
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info info{};
  close_packet_.resize(std::max<std::size_t>(NGTCP2_MAX_UDP_PAYLOAD_SIZE,
                                             ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_)));
  ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &info, close_packet_.data(),
                                                      close_packet_.size(), &error_, now_ts());
  if (n <= 0) {
    drop();  // nothing can be said at this stage
    return;
  }
  close_packet_.resize(static_cast<std::size_t>(n));
  close_path_.assign(ps.path);
  close_ecn_ = info.ecn;
  state_ = State::kClosing;
  packets_while_closing_ = 0;
  endpoint_->send(ps.path, close_ecn_, close_packet_.data(), close_packet_.size());
  notify_closed();
  arm_period_timer();
}

void QuicConnection::start_draining() {
  if (state_ != State::kOpen) return;
  state_ = State::kDraining;
  blocked_.clear();
  notify_closed();
  arm_period_timer();
}

void QuicConnection::drop() {
  if (state_ == State::kClosed) return;
  notify_closed();
  finish();
}

void QuicConnection::abandon() {
  if (state_ == State::kClosed) return;
  notify_closed();
  state_ = State::kClosed;
  timer_.cancel();
  blocked_.clear();
  if (client_) endpoint_->shutdown();
}

void QuicConnection::finish() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  timer_.cancel();
  blocked_.clear();
  auto keep = shared_from_this();  // the map may hold the last reference
  for (const auto& cid : cids_) endpoint_->remove_cid(cid);
  cids_.clear();
  if (client_) endpoint_->shutdown();  // it served this connection only
}

void QuicConnection::notify_closed() {
  end_handshake_count();
  if (app_notified_) return;
  app_notified_ = true;
  if (app_ != nullptr) app_->on_connection_closed();
}

}  // namespace triplex::net::quic
