#pragma once
// Our listeners bind one socket per worker with SO_REUSEPORT so the kernel
// spreads connections over the workers. That option would also let a second
// process (the same program started twice, say) bind the same port and take
// half the connections. Before binding, a socket without SO_REUSEPORT checks
// that nobody holds the port; it fails with "Address already in use" as
// grpc-go, nginx and net/http do. With port 0 it also picks the port.
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/ip/v6_only.hpp>
#include <cstdint>
#include <type_traits>

namespace triplex::net {

// Throws std::system_error (EADDRINUSE among others) when the port is taken.
// Returns the port to bind (the one asked for, or a free one for port 0).
template <class Protocol>
std::uint16_t check_port_free(asio::io_context& io, const typename Protocol::endpoint& endpoint) {
  typename Protocol::socket probe(io);
  probe.open(endpoint.protocol());
  // TCP: connections of an earlier run in TIME_WAIT do not count, a listener
  // does. UDP: without SO_REUSEADDR any bound socket counts.
  if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
    probe.set_option(asio::socket_base::reuse_address(true));
  }
  if (endpoint.address().is_v6()) probe.set_option(asio::ip::v6_only(false));
  probe.bind(endpoint);
  return probe.local_endpoint().port();
}

}  // namespace triplex::net
