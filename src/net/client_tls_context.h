#pragma once
// Client TLS configuration for TCP connections (OpenSSL): which servers to
// trust, an optional client certificate (mTLS) and the ALPN protocols to
// offer. One context serves every connection a channel makes; the server
// name each connection checks is set per connection (connect_tcp).
//
// Concurrency: immutable after construction; OpenSSL lets any number of
// threads make connections from one SSL_CTX at once.
#include <asio/ssl/context.hpp>
#include <string>
#include <vector>

namespace triplex::net {

struct ClientTlsOptions {
  std::string ca_file;    // empty: the system's trust store
  bool insecure = false;  // accept any server certificate (tests, local development)
  std::string cert_file;  // client certificate (mTLS), with key_file
  std::string key_file;
  // Offered in order of preference; the caller picks the HTTP version from
  // ByteStream::peer().alpn.
  std::vector<std::string> alpn = {"h2", "http/1.1"};
};

class ClientTlsContext {
 public:
  // Throws std::runtime_error with a readable reason when files do not load.
  explicit ClientTlsContext(const ClientTlsOptions& options);
  ClientTlsContext(const ClientTlsContext&) = delete;
  ClientTlsContext& operator=(const ClientTlsContext&) = delete;

  // Non-const because asio's streams take a context reference; connections
  // only create SSL objects from it.
  asio::ssl::context& native() const { return context_; }
  bool insecure() const { return insecure_; }

 private:
  mutable asio::ssl::context context_;
  bool insecure_;
};

}  // namespace triplex::net
