// The client's side of QuicConnection: connecting, the first flight (with
// 0-RTT when resuming) and keeping session tickets for the next connection.
#include "src/net/quic/quic_callbacks.h"
#include "src/net/quic/quic_connection.h"
#include "src/net/quic/quic_endpoint.h"

namespace triplex::net::quic {

std::shared_ptr<QuicConnection> QuicConnection::connect(std::shared_ptr<QuicEndpoint> endpoint,
                                                        const asio::ip::udp::endpoint& remote,
                                                        QuicClientParams params) {
  std::shared_ptr<QuicConnection> conn(new QuicConnection(std::move(endpoint)));
  conn->client_ = true;
  if (!conn->init_client(remote, std::move(params))) return nullptr;
  for (const auto& cid : conn->cids_) conn->endpoint_->add_cid(cid, conn);
  return conn;
}

bool QuicConnection::init_client(const asio::ip::udp::endpoint& remote, QuicClientParams params) {
  const QuicSettings& limits = endpoint_->config().settings;
  resumption_ = std::move(params.resumption);
  client_tls_ = std::move(params.tls);
  path_.local = SocketAddress::from(endpoint_->local_endpoint());
  path_.remote = SocketAddress::from(remote);

  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now_ts();
  settings.handshake_timeout = to_duration(limits.handshake_timeout);
  if (!params.initial_token.empty()) {  // ngtcp2 copies it
    settings.token.base = reinterpret_cast<std::uint8_t*>(params.initial_token.data());
    settings.token.len = params.initial_token.size();
  }

  ngtcp2_transport_params local;
  fill_transport_params(local);
  ngtcp2_cid scid;
  std::uint8_t unused_token[NGTCP2_STATELESS_RESET_TOKENLEN];
  if (!endpoint_->new_cid(scid, unused_token)) return false;
  ngtcp2_cid dcid;
  dcid.datalen = kCidLength;
  random_bytes(dcid.data, dcid.datalen);

  ngtcp2_callbacks callbacks = make_quic_callbacks(true);
  ngtcp2_path view = path_.view();
  if (ngtcp2_conn_client_new(&conn_, &dcid, &scid, &view, NGTCP2_PROTO_VER_V1, &callbacks,
                             &settings, &local, nullptr, this) != 0) {
    conn_ = nullptr;
    return false;
  }
  conn_ref_.get_conn = quic_conn_of_ref;
  conn_ref_.user_data = this;
  bool resuming = resumption_ && resumption_->usable();
  if (!tls_.init_client(*client_tls_, &conn_ref_, params.server_name,
                        resuming ? resumption_->ticket : std::string(),
                        resumption_ ? quic_session_ticket_cb : nullptr)) {
    return false;
  }
  ngtcp2_conn_set_tls_native_handle(conn_, tls_.native());
  if (resuming && params.early_data) {
    // 0-RTT is sent under the limits the server gave last time.
    ngtcp2_conn_set_early_remote_transport_params(conn_, &resumption_->params);
    early_data_attempted_ = true;
  }
  if (limits.keepalive.count() > 0) {
    ngtcp2_conn_set_keep_alive_timeout(conn_, to_duration(limits.keepalive));
  }
  cids_.emplace_back(scid);
  return true;
}

void QuicConnection::start() {
  // With 0-RTT the application's streams go out in the first flight.
  if (early_data_attempted_ && app_ != nullptr && !app_->on_ready()) {
    start_closing();
    return;
  }
  // Posted: requests opened right after connect() join the first flight
  // (as 0-RTT beside the ClientHello when resuming).
  schedule_write();
}

void QuicConnection::on_session_ticket() {
  if (!resumption_) return;
  const ngtcp2_transport_params* params = ngtcp2_conn_get_remote_transport_params(conn_);
  std::string ticket = tls_.resumption_data();
  if (params == nullptr || ticket.empty()) return;
  resumption_->ticket = std::move(ticket);
  resumption_->params = *params;
  // It points into a buffer of this connection; 0-RTT does not need it.
  resumption_->params.version_info_present = 0;
  resumption_->params.version_info = {};
}

}  // namespace triplex::net::quic
