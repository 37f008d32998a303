// Datagram batching on loopback: a GSO send arrives as the same packets, in
// order, whether the receiver takes them coalesced (GRO) or one by one, and
// the one-by-one fallback carries the same bytes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "src/net/quic/udp_io.h"

namespace triplex::net::quic {
namespace {

struct Socket {
  int fd = -1;
  sockaddr_in address{};
  Socket() {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  }
  ~Socket() { ::close(fd); }
};

// Packets of `sizes`, each filled with its own index.
std::string make_packets(const std::vector<std::size_t>& sizes) {
  std::string data;
  for (std::size_t i = 0; i < sizes.size(); ++i) data.append(sizes[i], static_cast<char>('a' + i));
  return data;
}

// Reads until `expected` packets arrived (or a second passed); returns them.
std::vector<std::string> receive_packets(Socket& socket, bool gro, std::size_t expected) {
  UdpFeatures features;
  if (gro) features = enable_offloads(socket.fd);
  UdpReceiver receiver;
  SocketAddress local;
  local.assign(reinterpret_cast<sockaddr*>(&socket.address), sizeof(socket.address));
  std::vector<std::string> packets;
  while (packets.size() < expected) {
    pollfd p{socket.fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) break;
    std::size_t count = receiver.receive(socket.fd, false, local);
    for (std::size_t i = 0; i < count; ++i) {
      ReceivedDatagram& d = receiver[i];
      for (std::size_t offset = 0; offset < d.size; offset += d.segment_size) {
        packets.emplace_back(reinterpret_cast<const char*>(d.data) + offset,
                             std::min(d.segment_size, d.size - offset));
      }
    }
  }
  return packets;
}

void send_and_check(bool gso, bool gro) {
  Socket sender;
  Socket receiver;
  if (gro) enable_offloads(receiver.fd);
  UdpFeatures features = enable_offloads(sender.fd);
  if (!gso) features.gso = false;
  std::vector<std::size_t> sizes(20, 1200);
  sizes.back() = 345;  // the last segment of a GSO send may be shorter
  std::string data = make_packets(sizes);
  SocketAddress from;
  from.assign(reinterpret_cast<sockaddr*>(&sender.address), sizeof(sender.address));
  SocketAddress to;
  to.assign(reinterpret_cast<sockaddr*>(&receiver.address), sizeof(receiver.address));
  ngtcp2_path path{{from.get(), from.length}, {to.get(), to.length}, nullptr};
  ASSERT_EQ(udp_send(sender.fd, features, false, false, path,
                     reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), 1200),
            UdpSendResult::kSent);
  std::vector<std::string> packets = receive_packets(receiver, gro, sizes.size());
  ASSERT_EQ(packets.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(packets[i], std::string(sizes[i], static_cast<char>('a' + i))) << "packet " << i;
  }
}

TEST(UdpIoTest, GsoSendArrivesAsTheSamePacketsWithGro) { send_and_check(true, true); }
TEST(UdpIoTest, GsoSendArrivesAsTheSamePacketsWithoutGro) { send_and_check(true, false); }
TEST(UdpIoTest, OneByOneFallbackCarriesTheSameBytes) { send_and_check(false, true); }

TEST(UdpIoTest, BatchesStayWithinTheKernelsLimits) {
  UdpFeatures gso{true, false};
  EXPECT_EQ(max_segments(gso, 1200), 54u);  // 65527 bytes at most
  EXPECT_EQ(max_segments(gso, 100), 64u);   // 64 segments at most
  EXPECT_EQ(max_segments(UdpFeatures{}, 1200), 1u);
}

}  // namespace
}  // namespace triplex::net::quic
