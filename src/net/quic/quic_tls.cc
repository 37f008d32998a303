#include "src/net/quic/quic_tls.h"

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace triplex::net::quic {
namespace {

// TLS 1.3 only (QUIC requires it), the AEADs QUIC defines, and no middlebox
// compatibility mode (RFC 9001 section 8.4).
constexpr const char* kPriority =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
    "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
    "+GROUP-SECP384R1:+GROUP-SECP521R1";
constexpr std::string_view kAlpnH3 = "h3";

// ClientHellos remembered for 0-RTT anti-replay (beyond this, refuse 0-RTT).
constexpr std::size_t kMaxRememberedHellos = 100000;

std::runtime_error tls_error(const char* what, int rv) {
  return std::runtime_error(std::string("QUIC TLS: ") + what + ": " + gnutls_strerror(rv));
}

gnutls_datum_t datum(const std::string& text) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
          static_cast<unsigned int>(text.size())};
}

// After the ClientHello: the client must have offered h3.
int check_alpn(gnutls_session_t session, unsigned int, unsigned int, unsigned int,
               const gnutls_datum_t*) {
  gnutls_datum_t selected;
  if (gnutls_alpn_get_selected_protocol(session, &selected) != 0) {
    return GNUTLS_E_NO_APPLICATION_PROTOCOL;
  }
  std::string_view alpn(reinterpret_cast<const char*>(selected.data), selected.size);
  return alpn == kAlpnH3 ? 0 : GNUTLS_E_NO_APPLICATION_PROTOCOL;
}

int remember_client_hello(void* context, std::time_t expires, const gnutls_datum_t* key,
                          const gnutls_datum_t*) {
  std::string k(reinterpret_cast<const char*>(key->data), key->size);
  bool fresh = static_cast<QuicTlsContext*>(context)->remember_client_hello(std::move(k), expires);
  return fresh ? 0 : GNUTLS_E_DB_ENTRY_EXISTS;
}

int client_hook(gnutls_session_t session, unsigned int type, unsigned int, unsigned int,
                const gnutls_datum_t*) {
  if (type != GNUTLS_HANDSHAKE_NEW_SESSION_TICKET) return 0;
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  auto* self = static_cast<QuicTlsSession*>(gnutls_db_get_ptr(session));
  if (ref != nullptr && self != nullptr) self->on_ticket(ref);
  return 0;
}

}  // namespace

QuicTlsContext::QuicTlsContext(const PemCredentials& pem) {
  int rv = gnutls_certificate_allocate_credentials(&credentials_);
  if (rv != 0) throw tls_error("credentials", rv);
  gnutls_datum_t cert = datum(pem.cert_pem);
  gnutls_datum_t key = datum(pem.key_pem);
  rv = gnutls_certificate_set_x509_key_mem(credentials_, &cert, &key, GNUTLS_X509_FMT_PEM);
  if (rv < 0) {
    gnutls_certificate_free_credentials(credentials_);
    throw tls_error("certificate and key", rv);
  }
  if (!pem.client_ca_pem.empty()) {
    gnutls_datum_t cas = datum(pem.client_ca_pem);
    rv = gnutls_certificate_set_x509_trust_mem(credentials_, &cas, GNUTLS_X509_FMT_PEM);
    if (rv < 0) {
      gnutls_certificate_free_credentials(credentials_);
      throw tls_error("client CA file", rv);
    }
    client_auth_ = pem.require_client_cert ? GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST;
  }
  rv = gnutls_priority_init(&priority_, kPriority, nullptr);
  if (rv != 0) {
    gnutls_certificate_free_credentials(credentials_);
    throw tls_error("priorities", rv);
  }
  rv = gnutls_session_ticket_key_generate(&ticket_key_);
  if (rv == 0) rv = gnutls_anti_replay_init(&anti_replay_);
  if (rv != 0) {
    if (ticket_key_.data != nullptr) gnutls_free(ticket_key_.data);
    gnutls_priority_deinit(priority_);
    gnutls_certificate_free_credentials(credentials_);
    throw tls_error("session tickets", rv);
  }
  gnutls_anti_replay_set_add_function(anti_replay_, net::quic::remember_client_hello);
  gnutls_anti_replay_set_ptr(anti_replay_, this);
}

bool QuicTlsContext::remember_client_hello(std::string key, std::time_t expires) {
  std::lock_guard lock(replay_mutex_);
  std::time_t now = std::time(nullptr);
  if (seen_.size() >= kMaxRememberedHellos) {
    std::erase_if(seen_, [now](const auto& entry) { return entry.second < now; });
    if (seen_.size() >= kMaxRememberedHellos) return false;
  }
  return seen_.emplace(std::move(key), expires).second;
}

QuicTlsContext::~QuicTlsContext() {
  gnutls_anti_replay_deinit(anti_replay_);
  if (ticket_key_.data != nullptr) {
    gnutls_memset(ticket_key_.data, 0, ticket_key_.size);
    gnutls_free(ticket_key_.data);
  }
  gnutls_priority_deinit(priority_);
  gnutls_certificate_free_credentials(credentials_);
}

QuicTlsSession::~QuicTlsSession() {
  if (session_ != nullptr) gnutls_deinit(session_);
}

bool QuicTlsSession::init(const QuicTlsContext& context, ngtcp2_crypto_conn_ref* conn_ref) {
  if (gnutls_init(&session_, GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_AUTO_SEND_TICKET |
                                 GNUTLS_NO_END_OF_EARLY_DATA) != 0) {
    session_ = nullptr;
    return false;
  }
  if (gnutls_priority_set(session_, context.priority()) != 0) return false;
  // Installs the secret, handshake-read and alert callbacks and the
  // quic_transport_parameters extension; they reach ngtcp2 via conn_ref.
  if (ngtcp2_crypto_gnutls_configure_server_session(session_) != 0) return false;
  gnutls_session_set_ptr(session_, conn_ref);
  if (gnutls_session_ticket_enable_server(session_, context.ticket_key()) != 0) return false;
  // 0-RTT: QUIC requires the TLS early-data limit to be 0xffffffff (RFC 9001
  // section 4.6.1); each ClientHello is accepted once.
  gnutls_anti_replay_enable(session_, context.anti_replay());
  gnutls_record_set_max_early_data_size(session_, 0xffffffffu);
  gnutls_handshake_set_hook_function(session_, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_POST,
                                     check_alpn);
  if (gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, context.credentials()) != 0) {
    return false;
  }
  if (context.client_auth() != GNUTLS_CERT_IGNORE) {
    // mTLS as on TCP: a certificate that does not verify fails the handshake.
    gnutls_certificate_server_set_request(session_, context.client_auth());
    gnutls_session_set_verify_cert(session_, nullptr, 0);
  }
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>(kAlpnH3.data())),
                      static_cast<unsigned int>(kAlpnH3.size())};
  return gnutls_alpn_set_protocols(session_, &alpn, 1, GNUTLS_ALPN_MANDATORY) == 0;
}

std::string QuicTlsSession::peer_certificate_der() const {
  unsigned int count = 0;
  const gnutls_datum_t* certs =
      session_ != nullptr ? gnutls_certificate_get_peers(session_, &count) : nullptr;
  if (certs == nullptr || count == 0) return {};
  return std::string(reinterpret_cast<const char*>(certs[0].data), certs[0].size);
}

QuicClientTlsContext::QuicClientTlsContext(const QuicClientTlsOptions& options)
    : insecure_(options.insecure) {
  int rv = gnutls_certificate_allocate_credentials(&credentials_);
  if (rv != 0) throw tls_error("credentials", rv);
  auto fail = [this](const char* what, int code) {
    gnutls_certificate_free_credentials(credentials_);
    return tls_error(what, code);
  };
  if (!options.insecure) {
    rv = options.ca_file.empty() ? gnutls_certificate_set_x509_system_trust(credentials_)
                                 : gnutls_certificate_set_x509_trust_file(
                                       credentials_, options.ca_file.c_str(), GNUTLS_X509_FMT_PEM);
    if (rv < 0) throw fail("trusted certificates", rv);
  }
  if (!options.cert_file.empty()) {
    rv = gnutls_certificate_set_x509_key_file(credentials_, options.cert_file.c_str(),
                                              options.key_file.c_str(), GNUTLS_X509_FMT_PEM);
    if (rv < 0) throw fail("client certificate and key", rv);
  }
  rv = gnutls_priority_init(&priority_, kPriority, nullptr);
  if (rv != 0) throw fail("priorities", rv);
}

QuicClientTlsContext::~QuicClientTlsContext() {
  gnutls_priority_deinit(priority_);
  gnutls_certificate_free_credentials(credentials_);
}

bool QuicTlsSession::init_client(const QuicClientTlsContext& context,
                                 ngtcp2_crypto_conn_ref* conn_ref, const std::string& server_name,
                                 const std::string& ticket, TicketHandler on_ticket) {
  if (gnutls_init(&session_,
                  GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA) != 0) {
    session_ = nullptr;
    return false;
  }
  if (gnutls_priority_set(session_, context.priority()) != 0) return false;
  if (ngtcp2_crypto_gnutls_configure_client_session(session_) != 0) return false;
  gnutls_session_set_ptr(session_, conn_ref);
  if (on_ticket != nullptr) {
    // The session pointer belongs to ngtcp2's glue; clients have no session
    // database, so its pointer carries us to the hook.
    on_ticket_ = on_ticket;
    gnutls_db_set_ptr(session_, this);
    gnutls_handshake_set_hook_function(session_, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET,
                                       GNUTLS_HOOK_POST, client_hook);
  }
  if (!ticket.empty()) {
    // A stale or foreign ticket only costs a full handshake.
    gnutls_session_set_data(session_, ticket.data(), ticket.size());
  }
  if (gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, context.credentials()) != 0) {
    return false;
  }
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>(kAlpnH3.data())),
                      static_cast<unsigned int>(kAlpnH3.size())};
  if (gnutls_alpn_set_protocols(session_, &alpn, 1, GNUTLS_ALPN_MANDATORY) != 0) return false;
  if (!server_name.empty()) {
    gnutls_server_name_set(session_, GNUTLS_NAME_DNS, server_name.data(), server_name.size());
  }
  if (!context.insecure()) {
    // The certificate must be valid for the name we asked for. GnuTLS keeps
    // the pointer, not a copy.
    server_name_ = server_name;
    gnutls_session_set_verify_cert(session_, server_name_.empty() ? nullptr : server_name_.c_str(),
                                   0);
  }
  return true;
}

bool QuicTlsSession::early_data_accepted() const {
  return session_ != nullptr && (gnutls_session_get_flags(session_) & GNUTLS_SFLAGS_EARLY_DATA);
}

std::string QuicTlsSession::resumption_data() const {
  gnutls_datum_t data{nullptr, 0};
  if (session_ == nullptr || gnutls_session_get_data2(session_, &data) != 0) return {};
  std::string out(reinterpret_cast<const char*>(data.data), data.size);
  gnutls_free(data.data);
  return out;
}

bool QuicTlsSession::send_session_ticket() {
  return session_ != nullptr && gnutls_session_ticket_send(session_, 1, 0) == 0;
}

}  // namespace triplex::net::quic
