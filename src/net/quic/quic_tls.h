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
  // Loads the same certificate, key and client CAs as the TCP listener. Throws
  // std::runtime_error with GnuTLS's reason when they do not load.
  explicit QuicTlsContext(const PemCredentials& credentials);
  ~QuicTlsContext();
  QuicTlsContext(const QuicTlsContext&) = delete;
  QuicTlsContext& operator=(const QuicTlsContext&) = delete;

  gnutls_certificate_credentials_t credentials() const { return credentials_; }
  gnutls_priority_t priority() const { return priority_; }
  const gnutls_datum_t* ticket_key() const { return &ticket_key_; }
  gnutls_anti_replay_t anti_replay() const { return anti_replay_; }
  // Whether sessions ask clients for a certificate (from the client CAs).
  gnutls_certificate_request_t client_auth() const { return client_auth_; }

  // GnuTLS asks to record each 0-RTT ClientHello: false when it was seen
  // before (a replay) or the store is full (early data is then refused).
  bool remember_client_hello(std::string key, std::time_t expires);

 private:
  gnutls_certificate_credentials_t credentials_ = nullptr;
  gnutls_priority_t priority_ = nullptr;
  gnutls_datum_t ticket_key_{nullptr, 0};
  gnutls_anti_replay_t anti_replay_ = nullptr;
  gnutls_certificate_request_t client_auth_ = GNUTLS_CERT_IGNORE;
  std::mutex replay_mutex_;  // guards seen_ (once per 0-RTT attempt)
  std::unordered_map<std::string, std::time_t> seen_;
};

// What a client needs to verify servers (and, optionally, to present a
// certificate of its own). Immutable after construction.
struct QuicClientTlsOptions {
  std::string ca_file;    // empty: the system's trust store
  bool insecure = false;  // accept any server certificate
  std::string cert_file;  // client certificate (mTLS), with key_file
  std::string key_file;
};

class QuicClientTlsContext {
 public:
  // Throws std::runtime_error with GnuTLS's reason when files do not load.
  explicit QuicClientTlsContext(const QuicClientTlsOptions& options);
  ~QuicClientTlsContext();
  QuicClientTlsContext(const QuicClientTlsContext&) = delete;
  QuicClientTlsContext& operator=(const QuicClientTlsContext&) = delete;

  gnutls_certificate_credentials_t credentials() const { return credentials_; }
  gnutls_priority_t priority() const { return priority_; }
  bool insecure() const { return insecure_; }

 private:
  gnutls_certificate_credentials_t credentials_ = nullptr;
  gnutls_priority_t priority_ = nullptr;
  bool insecure_ = false;
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
  // A client session for `server_name` (SNI and certificate name), resuming
  // `ticket` (resumption_data() of an earlier session) when not empty.
  // `on_ticket` runs each time the server issues a ticket.
  using TicketHandler = void (*)(ngtcp2_crypto_conn_ref* conn_ref);
  bool init_client(const QuicClientTlsContext& context, ngtcp2_crypto_conn_ref* conn_ref,
                   const std::string& server_name, const std::string& ticket,
                   TicketHandler on_ticket);
  gnutls_session_t native() const { return session_; }
  // After the handshake: one NewSessionTicket for resumption.
  bool send_session_ticket();
  // Client: the server accepted the early data we sent.
  bool early_data_accepted() const;
  // Server: the client's certificate (DER), verified during the handshake;
  // empty when it sent none.
  std::string peer_certificate_der() const;
  // The session data to resume this session later (empty if none).
  std::string resumption_data() const;
  // From GnuTLS: a NewSessionTicket arrived.
  void on_ticket(ngtcp2_crypto_conn_ref* conn_ref) {
    if (on_ticket_ != nullptr) on_ticket_(conn_ref);
  }

 private:
  gnutls_session_t session_ = nullptr;
  TicketHandler on_ticket_ = nullptr;
  std::string server_name_;  // what the server's certificate is checked against
};

}  // namespace triplex::net::quic
