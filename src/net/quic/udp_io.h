#pragma once
// Datagram I/O for QUIC sockets, with the kernel's batching where it has it:
// GSO (UDP_SEGMENT) sends a run of equal-sized packets in one call, GRO
// (UDP_GRO) and recvmmsg() bring many in per call. Each falls back to one
// datagram per system call when the kernel (or the environment variables
// TRIPLEX_QUIC_NO_GSO / TRIPLEX_QUIC_NO_GRO) say no.
//
// Concurrency: plain functions and a per-socket receiver; no locking.
#include <ngtcp2/ngtcp2.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/net/quic/quic_common.h"

namespace triplex::net::quic {

// What a socket can do; decided once per socket by enable_offloads().
struct UdpFeatures {
  bool gso = false;
  bool gro = false;
};

// Sizes the socket's buffers for bursts, turns on GRO when the kernel
// allows it and checks for GSO.
UdpFeatures enable_offloads(int fd);

// Packets of `packet_size` in one send at most: the kernel takes 64
// segments and an IP datagram's worth of bytes per GSO send.
std::size_t max_segments(const UdpFeatures& features, std::size_t packet_size);

enum class UdpSendResult { kSent, kBlocked };

// Sends `size` bytes as datagrams of `segment_size` (the last may be
// shorter) from `path.local` when `pin_source` (a socket bound to a
// wildcard address) to `path.remote`, with `ecn` already set on the socket.
// A kernel that refuses GSO turns `features.gso` off and the packets go one
// by one. Other errors lose the packets (QUIC recovers from loss).
UdpSendResult udp_send(int fd, UdpFeatures& features, bool pin_source, bool ipv6,
                       const ngtcp2_path& path, const std::uint8_t* data, std::size_t size,
                       std::size_t segment_size);

// One datagram as read, possibly several coalesced by GRO: `size` bytes in
// segments of `segment_size` (the last may be shorter), all on `path`.
struct ReceivedDatagram {
  PathStorage path;
  std::uint8_t ecn = 0;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t segment_size = 0;
};

// Reads datagrams in batches with recvmmsg().
class UdpReceiver {
 public:
  UdpReceiver();
  // Reads what is waiting, up to a batch. Returns how many datagrams were
  // read (0: none waiting). `local` fills in the local address where the
  // kernel does not say (packet info gives it on wildcard sockets).
  std::size_t receive(int fd, bool ipv6, const SocketAddress& local);
  // The errno of the last receive() that read nothing because of an error
  // (ECONNREFUSED: an ICMP port unreachable on a connected socket); else 0.
  int last_error() const { return last_error_; }
  ReceivedDatagram& operator[](std::size_t i) { return datagrams_[i]; }

 private:
  // Room for packet info, traffic class and the GRO segment size.
  static constexpr std::size_t kControlSize = 128;

  std::size_t batch_;
  std::size_t buffer_size_;
  std::vector<std::uint8_t> buffers_;
  std::vector<std::uint8_t> controls_;
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> headers_;
  std::vector<ReceivedDatagram> datagrams_;
  int last_error_ = 0;
};

}  // namespace triplex::net::quic
