#include "src/net/tls_context.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace triplex::net {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  auto* ours = static_cast<std::vector<unsigned char>*>(arg);
  unsigned char* selected = nullptr;
  // Our preference order wins: SSL_select_next_proto walks the server list first.
  if (SSL_select_next_proto(&selected, outlen, ours->data(), static_cast<unsigned>(ours->size()),
                            in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

PemCredentials make_self_signed_credentials() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error("cannot generate a key");
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const char* exts[][2] = {{"subjectAltName", "DNS:localhost,IP:127.0.0.1,IP:::1"},
                           {"basicConstraints", "critical,CA:TRUE"},
                           {"keyUsage", "critical,digitalSignature,keyCertSign"},
                           {"extendedKeyUsage", "serverAuth"}};
  for (auto& [ext_name, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf(nullptr, &ctx, ext_name, value);
    if (ext == nullptr) throw std::runtime_error("cannot build certificate extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("cannot sign certificate");
  }
  PemCredentials pem;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  pem.cert_pem = bio_to_string(cert_bio.get());
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  pem.key_pem = bio_to_string(key_bio.get());
  return pem;
}

TlsContext::TlsContext(const TlsOptions& options) : context_(asio::ssl::context::tls_server) {
  context_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  if (options.self_signed) {
    credentials_ = make_self_signed_credentials();
  } else {
    if (options.cert_file.empty() || options.key_file.empty()) {
      throw std::runtime_error("TLS needs both a certificate and a key file");
    }
    credentials_.cert_pem = read_file(options.cert_file);
    credentials_.key_pem = read_file(options.key_file);
  }
  asio::error_code ec;
  context_.use_certificate_chain(asio::buffer(credentials_.cert_pem), ec);
  if (ec) throw std::runtime_error("bad certificate: " + ec.message());
  context_.use_private_key(asio::buffer(credentials_.key_pem), asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("bad private key: " + ec.message());

  if (!options.client_ca_file.empty()) {
    context_.load_verify_file(options.client_ca_file, ec);
    if (ec) throw std::runtime_error("bad client CA file: " + ec.message());
    credentials_.client_ca_pem = read_file(options.client_ca_file);
    credentials_.require_client_cert = options.require_client_cert;
    auto mode = asio::ssl::verify_peer;
    if (options.require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    context_.set_verify_mode(mode);
  }

  for (const auto& proto : options.alpn) {
    alpn_wire_.push_back(static_cast<unsigned char>(proto.size()));
    alpn_wire_.insert(alpn_wire_.end(), proto.begin(), proto.end());
  }
  SSL_CTX_set_alpn_select_cb(context_.native_handle(), select_alpn, &alpn_wire_);
}

std::string negotiated_alpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

namespace {

void describe_certificate(X509* cert, std::string& subject, std::vector<std::string>& sans) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  subject = buf;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_DNS || gn->type == GEN_URI || gn->type == GEN_EMAIL) {
      const ASN1_IA5STRING* s = gn->d.ia5;
      sans.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                        static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  }
  GENERAL_NAMES_free(names);
}

}  // namespace

void describe_peer_certificate(SSL* ssl, std::string& subject, std::vector<std::string>& sans) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return;
  describe_certificate(cert, subject, sans);
}

void describe_certificate_der(const unsigned char* der, std::size_t size, std::string& subject,
                              std::vector<std::string>& sans) {
  X509* cert = d2i_X509(nullptr, &der, static_cast<long>(size));
  if (cert == nullptr) return;
  describe_certificate(cert, subject, sans);
  X509_free(cert);
}

}  // namespace triplex::net
