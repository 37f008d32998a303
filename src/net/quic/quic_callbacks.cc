#include "src/net/quic/quic_callbacks.h"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "src/net/quic/quic_connection.h"

namespace triplex::net::quic {
namespace {

QuicConnection* self(void* user_data) { return static_cast<QuicConnection*>(user_data); }

// ngtcp2 callbacks: each forwards to the connection or its application.
int recv_stream_data_cb(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id, std::uint64_t,
                        const std::uint8_t* data, std::size_t datalen, void* ud, void*) {
  QuicApplication* app = self(ud)->app();
  if (app == nullptr) return 0;
  bool fin = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;
  return app->on_stream_data(stream_id, data, datalen, fin) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int acked_stream_data_offset_cb(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t,
                                std::uint64_t datalen, void* ud, void*) {
  QuicApplication* app = self(ud)->app();
  if (app == nullptr) return 0;
  return app->on_stream_acked(stream_id, datalen) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int stream_close_cb(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id,
                    std::uint64_t app_error_code, void* ud, void*) {
  QuicApplication* app = self(ud)->app();
  if (app == nullptr) return 0;
  std::optional<std::uint64_t> code;
  if (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) code = app_error_code;
  return app->on_stream_close(stream_id, code) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int stream_reset_cb(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t,
                    std::uint64_t app_error_code, void* ud, void*) {
  QuicApplication* app = self(ud)->app();
  if (app == nullptr) return 0;
  return app->on_stream_reset(stream_id, app_error_code) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int stream_stop_sending_cb(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t app_error_code,
                           void* ud, void*) {
  QuicApplication* app = self(ud)->app();
  if (app == nullptr) return 0;
  return app->on_stream_stop_sending(stream_id, app_error_code) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int extend_max_remote_streams_bidi_cb(ngtcp2_conn*, std::uint64_t max_streams, void* ud) {
  if (QuicApplication* app = self(ud)->app()) app->on_max_remote_streams_bidi(max_streams);
  return 0;
}

int extend_max_local_streams_bidi_cb(ngtcp2_conn*, std::uint64_t, void* ud) {
  if (QuicApplication* app = self(ud)->app()) app->on_max_local_streams_bidi();
  return 0;
}

int extend_max_stream_data_cb(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t, void* ud,
                              void*) {
  QuicApplication* app = self(ud)->app();
  if (app == nullptr) return 0;
  return app->on_stream_writable(stream_id) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

void rand_cb(std::uint8_t* dest, std::size_t destlen, const ngtcp2_rand_ctx*) {
  // Only for non-cryptographic uses (padding, GREASE, PATH_CHALLENGE is separate).
  gnutls_rnd(GNUTLS_RND_NONCE, dest, destlen);
}

int get_new_connection_id_cb(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token, std::size_t cidlen,
                             void* ud) {
  return self(ud)->on_new_connection_id(cid, token, cidlen);
}

int remove_connection_id_cb(ngtcp2_conn*, const ngtcp2_cid* cid, void* ud) {
  return self(ud)->on_remove_connection_id(cid);
}

int handshake_completed_cb(ngtcp2_conn*, void* ud) { return self(ud)->on_handshake_completed(); }

int recv_tx_key_cb(ngtcp2_conn*, ngtcp2_crypto_level level, void* ud) {
  return self(ud)->on_tx_key(level);
}

}  // namespace

ngtcp2_conn* quic_conn_of_ref(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<QuicConnection*>(ref->user_data)->native();
}

void quic_session_ticket_cb(ngtcp2_crypto_conn_ref* ref) {
  static_cast<QuicConnection*>(ref->user_data)->on_session_ticket();
}

ngtcp2_callbacks make_quic_callbacks(bool client) {
  ngtcp2_callbacks cb{};
  if (client) {
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  } else {
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  }
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.handshake_completed = handshake_completed_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.recv_stream_data = recv_stream_data_cb;
  cb.acked_stream_data_offset = acked_stream_data_offset_cb;
  cb.stream_close = stream_close_cb;
  cb.rand = rand_cb;
  cb.get_new_connection_id = get_new_connection_id_cb;
  cb.remove_connection_id = remove_connection_id_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.stream_reset = stream_reset_cb;
  cb.extend_max_remote_streams_bidi = extend_max_remote_streams_bidi_cb;
  cb.extend_max_local_streams_bidi = extend_max_local_streams_bidi_cb;
  cb.extend_max_stream_data = extend_max_stream_data_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.stream_stop_sending = stream_stop_sending_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.recv_tx_key = recv_tx_key_cb;
  return cb;
}

}  // namespace triplex::net::quic
