#pragma once
// Server TLS configuration shared by every listener: certificate and key (from
// files, or made in memory for localhost), ALPN selection, and optional
// client-certificate verification (mTLS).
#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "triplex/tls_options.h"

namespace triplex::net {

using triplex::TlsOptions;

// The certificate and key in PEM, as both TLS stacks (TCP and QUIC) load them.
struct PemCredentials {
  std::string cert_pem;
  std::string key_pem;
  // mTLS: client certificates are verified against these CAs when not empty.
  std::string client_ca_pem;
  bool require_client_cert = false;
};

// A self-signed P-256 certificate for localhost / 127.0.0.1 / ::1, valid for a day.
PemCredentials make_self_signed_credentials();

class TlsContext {
 public:
  // Throws std::runtime_error with a readable reason when files do not load.
  explicit TlsContext(const TlsOptions& options);
  asio::ssl::context& native() { return context_; }
  const PemCredentials& credentials() const { return credentials_; }

 private:
  asio::ssl::context context_;
  PemCredentials credentials_;
  std::vector<unsigned char> alpn_wire_;  // length-prefixed list for the select callback
};

std::string negotiated_alpn(SSL* ssl);
void describe_peer_certificate(SSL* ssl, std::string& subject, std::vector<std::string>& sans);
// The same description of a certificate another stack verified (DER bytes).
void describe_certificate_der(const unsigned char* der, std::size_t size, std::string& subject,
                              std::vector<std::string>& sans);

}  // namespace triplex::net
