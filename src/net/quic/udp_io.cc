#include "src/net/quic/udp_io.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace triplex::net::quic {
namespace {

// Datagrams per recvmmsg() call, each with room for a full GRO batch.
constexpr std::size_t kReceiveBatch = 16;
constexpr std::size_t kMaxDatagram = 65536;
constexpr std::size_t kMaxGsoSegments = 64;
constexpr int kSocketBuffer = 4 << 20;
// An IPv6 datagram's payload less the UDP header.
constexpr std::size_t kMaxGsoBytes = 65535 - 8;

bool disabled_by_environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
}

// Adds packet info naming the source address to `msg`.
void add_source(msghdr& msg, cmsghdr* c, bool ipv6, const ngtcp2_path& path) {
  if (ipv6) {
    in6_pktinfo info{};
    info.ipi6_addr = reinterpret_cast<const sockaddr_in6*>(path.local.addr)->sin6_addr;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    msg.msg_controllen += CMSG_SPACE(sizeof(info));
  } else {
    in_pktinfo info{};
    info.ipi_spec_dst = reinterpret_cast<const sockaddr_in*>(path.local.addr)->sin_addr;
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    msg.msg_controllen += CMSG_SPACE(sizeof(info));
  }
}

// One sendmsg(): 0 sent, else the errno.
int send_one(int fd, bool pin_source, bool ipv6, const ngtcp2_path& path, const std::uint8_t* data,
             std::size_t size, std::uint16_t segment_size) {
  iovec iov{const_cast<std::uint8_t*>(data), size};
  msghdr msg{};
  msg.msg_name = path.remote.addr;
  msg.msg_namelen = path.remote.addrlen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr)
      std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(std::uint16_t))] =
          {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  msg.msg_controllen = 0;
  if (pin_source) {
    add_source(msg, c, ipv6, path);
    c = reinterpret_cast<cmsghdr*>(control + msg.msg_controllen);
  }
  if (segment_size != 0) {
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(segment_size));
    std::memcpy(CMSG_DATA(c), &segment_size, sizeof(segment_size));
    msg.msg_controllen += CMSG_SPACE(sizeof(segment_size));
  }
  if (msg.msg_controllen == 0) msg.msg_control = nullptr;
  ssize_t n;
  do {
    n = ::sendmsg(fd, &msg, 0);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? errno : 0;
}

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

}  // namespace

UdpFeatures enable_offloads(int fd) {
  // Bursts of requests (hundreds of streams opening at once) and of
  // acknowledgements overflow the default 208 KiB buffers, and every
  // datagram lost there costs a retransmission timeout. The kernel caps the
  // request at net.core.rmem_max / wmem_max.
  int buffer = kSocketBuffer;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  UdpFeatures features;
  if (!disabled_by_environment("TRIPLEX_QUIC_NO_GSO")) {
    int value = 0;
    socklen_t length = sizeof(value);
    features.gso = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &value, &length) == 0;
  }
  if (!disabled_by_environment("TRIPLEX_QUIC_NO_GRO")) {
    int on = 1;
    features.gro = ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == 0;
  }
  return features;
}

std::size_t max_segments(const UdpFeatures& features, std::size_t packet_size) {
  if (!features.gso || packet_size == 0) return 1;
  return std::clamp<std::size_t>(kMaxGsoBytes / packet_size, 1, kMaxGsoSegments);
}

UdpSendResult udp_send(int fd, UdpFeatures& features, bool pin_source, bool ipv6,
                       const ngtcp2_path& path, const std::uint8_t* data, std::size_t size,
                       std::size_t segment_size) {
  if (segment_size == 0 || segment_size > size) segment_size = size;
  if (size > segment_size && features.gso) {
    int error =
        send_one(fd, pin_source, ipv6, path, data, size, static_cast<std::uint16_t>(segment_size));
    if (error == 0) return UdpSendResult::kSent;
    if (would_block(error)) return UdpSendResult::kBlocked;
    // EIO: the device cannot segment. Never again on this socket.
    if (error != EIO && error != EINVAL) return UdpSendResult::kSent;
    features.gso = false;
  }
  for (std::size_t offset = 0; offset < size; offset += segment_size) {
    std::size_t length = std::min(segment_size, size - offset);
    int error = send_one(fd, pin_source, ipv6, path, data + offset, length, 0);
    // Blocked on the first: the caller keeps the lot. Later: lost packets.
    if (would_block(error) && offset == 0) return UdpSendResult::kBlocked;
  }
  return UdpSendResult::kSent;
}

UdpReceiver::UdpReceiver()
    : batch_(kReceiveBatch),
      buffer_size_(kMaxDatagram),
      buffers_(batch_ * buffer_size_),
      controls_(batch_ * kControlSize),
      iovecs_(batch_),
      headers_(batch_),
      datagrams_(batch_) {}

std::size_t UdpReceiver::receive(int fd, bool ipv6, const SocketAddress& local) {
  for (std::size_t i = 0; i < batch_; ++i) {
    iovecs_[i] = {buffers_.data() + i * buffer_size_, buffer_size_};
    msghdr& msg = headers_[i].msg_hdr;
    msg = {};
    datagrams_[i] = {};
    msg.msg_name = datagrams_[i].path.remote.get();
    msg.msg_namelen = sizeof(datagrams_[i].path.remote.storage);
    msg.msg_iov = &iovecs_[i];
    msg.msg_iovlen = 1;
    msg.msg_control = controls_.data() + i * kControlSize;
    msg.msg_controllen = kControlSize;
    headers_[i].msg_len = 0;
  }
  int n;
  do {
    n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(batch_), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  last_error_ = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? errno : 0;
  if (n <= 0) return 0;
  std::size_t kept = 0;
  for (int i = 0; i < n; ++i) {
    msghdr& msg = headers_[i].msg_hdr;
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) continue;
    ReceivedDatagram& out = datagrams_[kept];
    if (static_cast<std::size_t>(i) != kept) {
      out.path.remote = datagrams_[i].path.remote;
    }
    out.path.remote.length = msg.msg_namelen;
    out.path.local = local;
    out.ecn = 0;
    out.data = buffers_.data() + i * buffer_size_;
    out.size = headers_[i].msg_len;
    out.segment_size = out.size;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && !ipv6) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof(info));
        reinterpret_cast<sockaddr_in*>(out.path.local.get())->sin_addr = info.ipi_addr;
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
        out.ecn = *CMSG_DATA(c) & IPTOS_ECN_MASK;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && ipv6) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof(info));
        reinterpret_cast<sockaddr_in6*>(out.path.local.get())->sin6_addr = info.ipi6_addr;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
        int tclass = 0;
        std::memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
        out.ecn = static_cast<std::uint8_t>(tclass & IPTOS_ECN_MASK);
      } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int segment = 0;
        std::memcpy(&segment, CMSG_DATA(c), sizeof(segment));
        if (segment > 0) out.segment_size = static_cast<std::size_t>(segment);
      }
    }
    if (out.size == 0) continue;
    ++kept;
  }
  return kept;
}

}  // namespace triplex::net::quic
