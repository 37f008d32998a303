#pragma once
// Helpers for tests that drive the HTTP/3 client from the test thread: client
// parameters for the self-signed test server, and (client_test_kit.h) whole
// replies, fetch() and the drivers that run the client's io_context.
#include <memory>

#include "src/http/h3/http3_client_connection.h"
#include "src/net/quic/quic_connection.h"
#include "tests/support/client_test_kit.h"

namespace triplex::http::testing {

using namespace std::chrono_literals;

inline net::quic::QuicClientParams client_params(
    std::shared_ptr<net::quic::QuicResumption> resumption = nullptr, bool insecure = true) {
  net::quic::QuicClientTlsOptions tls;
  tls.insecure = insecure;
  net::quic::QuicClientParams params;
  params.tls = std::make_shared<const net::quic::QuicClientTlsContext>(tls);
  params.server_name = "localhost";
  params.resumption = std::move(resumption);
  return params;
}

}  // namespace triplex::http::testing
