#pragma once
// TLS 1.3 for QUIC on GnuTLS (ngtcp2's crypto helpers drive the handshake):
// the server credentials a listener shares with all its connections, and one
// gnutls session per connection. ALPN is "h3" only; session tickets are
// issued after each handshake so clients can resume, and resumed clients may
// send 0-RTT requests, each ClientHello accepted once (anti-replay store).
//
// Concurrency: a QuicTlsContext is immutable after construction and read by
// every worker, except its anti-replay store (mutex); a QuicTlsSession
// belongs to one connection on one worker.
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <ctime>
#include <mutex>
#include <string>
#include <unordered_map>

#include "src/net/tls_context.h"

namespace triplex::net::quic {

class QuicTlsContext {
 public:
  // Loads the same certificate and key as the TCP listener. Throws
  // std::runtime_error with GnuTLS's reason when they do not load.
  explicit QuicTlsContext(const PemCredentials& credentials);
  ~QuicTlsContext();
  QuicTlsContext(const QuicTlsContext&) = delete;
  QuicTlsContext& operator=(const QuicTlsContext&) = delete;

  gnutls_certificate_credentials_t credentials() const { return credentials_; }
  gnutls_priority_t priority() const { return priority_; }
  const gnutls_datum_t* ticket_key() const { return &ticket_key_; }
  gnutls_anti_replay_t anti_replay() const { return anti_replay_; }

  // GnuTLS asks to record each 0-RTT ClientHello: false when it was seen
  // before (a replay) or the store is full (early data is then refused).
  bool remember_client_hello(std::string key, std::time_t expires);

 private:
  gnutls_certificate_credentials_t credentials_ = nullptr;
  gnutls_priority_t priority_ = nullptr;
  gnutls_datum_t ticket_key_{nullptr, 0};
  gnutls_anti_replay_t anti_replay_ = nullptr;
  std::mutex replay_mutex_;  // guards seen_ (once per 0-RTT attempt)
  std::unordered_map<std::string, std::time_t> seen_;
};

class QuicTlsSession {
 public:
  QuicTlsSession() = default;
  ~QuicTlsSession();
  QuicTlsSession(const QuicTlsSession&) = delete;
  QuicTlsSession& operator=(const QuicTlsSession&) = delete;

  // A server session whose callbacks find the ngtcp2 connection through
  // `conn_ref` (which must outlive the session). False on failure.
  bool init(const QuicTlsContext& context, ngtcp2_crypto_conn_ref* conn_ref);
  gnutls_session_t native() const { return session_; }
  // After the handshake: one NewSessionTicket for resumption.
  bool send_session_ticket();

 private:
  gnutls_session_t session_ = nullptr;
};

}  // namespace triplex::net::quic
