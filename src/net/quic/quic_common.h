#pragma once
// Small pieces the QUIC layer shares: the clock ngtcp2 runs on, connection
// IDs as map keys, socket addresses that ngtcp2 paths point into, and the
// transport limits a listener gives every connection. Plain values, no I/O.
#include <netinet/in.h>
#include <ngtcp2/ngtcp2.h>
#include <sys/socket.h>

#include <array>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace triplex::net::quic {

// Connection IDs we issue are this long; their first byte is the index of
// the worker that owns the connection, so a datagram that reaches another
// worker's socket can be handed over.
inline constexpr std::size_t kCidLength = 18;

// ngtcp2 timestamps: nanoseconds of the steady clock.
inline ngtcp2_duration to_duration(std::chrono::milliseconds ms) {
  return static_cast<ngtcp2_duration>(ms.count()) * NGTCP2_MILLISECONDS;
}

inline ngtcp2_tstamp now_ts() {
  return static_cast<ngtcp2_tstamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

inline std::chrono::steady_clock::time_point to_time_point(ngtcp2_tstamp ts) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::nanoseconds(ts)));
}

// Fills `out` from the system CSPRNG.
void random_bytes(std::uint8_t* out, std::size_t size);

// A connection ID as a hash-map key.
struct CidKey {
  std::array<std::uint8_t, NGTCP2_MAX_CIDLEN> bytes{};
  std::uint8_t size = 0;

  CidKey() = default;
  CidKey(const std::uint8_t* data, std::size_t length) : size(static_cast<std::uint8_t>(length)) {
    std::memcpy(bytes.data(), data, length);
  }
  explicit CidKey(const ngtcp2_cid& cid) : CidKey(cid.data, cid.datalen) {}
  bool operator==(const CidKey& other) const {
    return size == other.size && std::memcmp(bytes.data(), other.bytes.data(), size) == 0;
  }
};

struct CidKeyHash {
  std::size_t operator()(const CidKey& key) const {
    return std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(key.bytes.data()), key.size));
  }
};

// A socket address with room for IPv6.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  void assign(const sockaddr* address, socklen_t size) {
    length = std::min<socklen_t>(size, sizeof(storage));
    std::memcpy(&storage, address, length);
  }
  asio::ip::udp::endpoint to_endpoint() const;
  static SocketAddress from(const asio::ip::udp::endpoint& endpoint);
};

// Both ends of a datagram. ngtcp2 copies paths it keeps, so a path made by
// view() only has to live for the call it is passed to.
struct PathStorage {
  SocketAddress local;
  SocketAddress remote;

  ngtcp2_path view() {
    return {{local.get(), local.length}, {remote.get(), remote.length}, nullptr};
  }
  void assign(const ngtcp2_path& path) {
    local.assign(path.local.addr, path.local.addrlen);
    remote.assign(path.remote.addr, path.remote.addrlen);
  }
};

// When a server makes a client prove its address with a Retry round trip
// before keeping any state for it (RFC 9000 section 8.1.2).
enum class RetryPolicy { kNever, kAlways, kUnderLoad };

// Transport limits of every connection on a listener.
struct QuicSettings {
  std::uint64_t max_streams_bidi = 100;
  std::uint64_t max_streams_uni = 3;  // the peer's control and QPACK streams
  std::uint64_t stream_window = 1 << 20;
  std::uint64_t uni_stream_window = 256 * 1024;
  std::uint64_t connection_window = 16 << 20;
  std::chrono::milliseconds idle_timeout{0};  // 0: none
  std::chrono::milliseconds keepalive{0};     // 0: no PINGs of our own
  std::chrono::milliseconds handshake_timeout{10000};
  RetryPolicy retry = RetryPolicy::kUnderLoad;
  // kUnderLoad: Retry once a worker has this many handshakes in progress.
  std::size_t retry_threshold = 100;
};

}  // namespace triplex::net::quic
