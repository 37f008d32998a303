#pragma once
/// @file
/// Server TLS settings. The same certificate serves TCP (OpenSSL) and QUIC.
#include <string>
#include <vector>

namespace triplex {

struct TlsOptions {
  std::string cert_file;
  std::string key_file;
  bool self_signed = false;    ///< make a certificate for localhost and 127.0.0.1
  std::string client_ca_file;  ///< when set, client certificates are verified
  bool require_client_cert = false;
  std::vector<std::string> alpn = {"h2", "http/1.1"};  ///< in order of preference
};

}  // namespace triplex
