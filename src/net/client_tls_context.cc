#include "src/net/client_tls_context.h"

#include <openssl/ssl.h>

#include <stdexcept>

namespace triplex::net {

ClientTlsContext::ClientTlsContext(const ClientTlsOptions& options)
    : context_(asio::ssl::context::tls_client), insecure_(options.insecure) {
  context_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  asio::error_code ec;
  if (!options.insecure) {
    if (options.ca_file.empty()) {
      context_.set_default_verify_paths(ec);
      if (ec) throw std::runtime_error("cannot load the system trust store: " + ec.message());
    } else {
      context_.load_verify_file(options.ca_file, ec);
      if (ec) throw std::runtime_error("bad CA file " + options.ca_file + ": " + ec.message());
    }
    context_.set_verify_mode(asio::ssl::verify_peer);
  } else {
    context_.set_verify_mode(asio::ssl::verify_none);
  }

  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (options.cert_file.empty() || options.key_file.empty()) {
      throw std::runtime_error("a client certificate needs both a certificate and a key file");
    }
    context_.use_certificate_chain_file(options.cert_file, ec);
    if (ec) throw std::runtime_error("bad client certificate: " + ec.message());
    context_.use_private_key_file(options.key_file, asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("bad client key: " + ec.message());
  }

  if (!options.alpn.empty()) {
    std::vector<unsigned char> wire;  // length-prefixed, as the extension carries it
    for (const auto& proto : options.alpn) {
      if (proto.empty() || proto.size() > 255) throw std::runtime_error("bad ALPN protocol name");
      wire.push_back(static_cast<unsigned char>(proto.size()));
      wire.insert(wire.end(), proto.begin(), proto.end());
    }
    // Unlike most of OpenSSL, 0 means success here.
    if (SSL_CTX_set_alpn_protos(context_.native_handle(), wire.data(),
                                static_cast<unsigned>(wire.size())) != 0) {
      throw std::runtime_error("cannot set the ALPN protocols");
    }
  }
}

}  // namespace triplex::net
