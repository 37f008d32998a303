#include "src/net/quic/quic_common.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <stdexcept>

namespace triplex::net::quic {

void random_bytes(std::uint8_t* out, std::size_t size) {
  if (gnutls_rnd(GNUTLS_RND_RANDOM, out, size) != 0) {
    // Only when the system has no entropy source at all.
    throw std::runtime_error("no random bytes from the system");
  }
}

asio::ip::udp::endpoint SocketAddress::to_endpoint() const {
  asio::ip::udp::endpoint endpoint;
  if (length > 0 && length <= endpoint.capacity()) {
    std::memcpy(endpoint.data(), &storage, length);
    endpoint.resize(length);
  }
  return endpoint;
}

SocketAddress SocketAddress::from(const asio::ip::udp::endpoint& endpoint) {
  SocketAddress address;
  address.assign(endpoint.data(), static_cast<socklen_t>(endpoint.size()));
  return address;
}

}  // namespace triplex::net::quic
