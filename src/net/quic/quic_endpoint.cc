#include "src/net/quic/quic_endpoint.h"

#include <netinet/ip.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <optional>

#include "src/log/log.h"
#include "src/net/quic/quic_connection.h"
#include "src/net/spawn.h"

namespace triplex::net::quic {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
// recvmmsg() batches per wake-up before other work on the worker gets a turn.
constexpr int kMaxBatchesPerWake = 4;
constexpr std::size_t kMaxResetsPerSecond = 100;
// RFC 9000 section 14.1: clients pad Initials to 1200 bytes; smaller
// datagrams never get a Version Negotiation.
constexpr std::size_t kMinInitialSize = 1200;
// A Retry token must come back within this (one round trip, with margin).
constexpr ngtcp2_duration kRetryTokenLifetime = 10 * NGTCP2_SECONDS;

void set_int_option(int fd, int level, int name, int value) {
  ::setsockopt(fd, level, name, &value, sizeof(value));
}

}  // namespace

QuicEndpoint::QuicEndpoint(asio::io_context& io, std::uint8_t worker,
                           std::shared_ptr<const Config> config, AcceptHandler on_accept)
    : socket_(io), worker_(worker), config_(std::move(config)), on_accept_(std::move(on_accept)) {}

QuicEndpoint::~QuicEndpoint() = default;

void QuicEndpoint::bind(const asio::ip::udp::endpoint& endpoint) {
  socket_.open(endpoint.protocol());
  socket_.set_option(asio::socket_base::reuse_address(true));
  socket_.set_option(ReusePort(true));
  ipv6_ = endpoint.address().is_v6();
  int fd = socket_.native_handle();
  if (ipv6_) {
    // "::" serves IPv4 too (as mapped addresses).
    socket_.set_option(asio::ip::v6_only(false));
    set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    set_int_option(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
  } else {
    set_int_option(fd, IPPROTO_IP, IP_PKTINFO, 1);
    set_int_option(fd, IPPROTO_IP, IP_RECVTOS, 1);
  }
  // Path MTU discovery is ngtcp2's job; the kernel must not fragment.
  if (ipv6_) {
    set_int_option(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
  } else {
    set_int_option(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
  }
  socket_.bind(endpoint);
  socket_.non_blocking(true);
  enable_offloads();
  local_ = socket_.local_endpoint();
  wildcard_ = local_.address().is_unspecified();
}

void QuicEndpoint::open_client(const asio::ip::udp::endpoint& remote) {
  client_ = true;
  accepting_ = false;
  socket_.open(remote.protocol());
  ipv6_ = remote.address().is_v6();
  int fd = socket_.native_handle();
  if (ipv6_) {
    set_int_option(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
    set_int_option(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
  } else {
    set_int_option(fd, IPPROTO_IP, IP_RECVTOS, 1);
    set_int_option(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
  }
  // Connecting fixes our local address, so every path ngtcp2 sees matches.
  socket_.connect(remote);
  socket_.non_blocking(true);
  enable_offloads();
  local_ = socket_.local_endpoint();
}

void QuicEndpoint::start() {
  asio::co_spawn(socket_.get_executor(), receive_loop(), log_on_exception("QUIC receive"));
}

void QuicEndpoint::shutdown() {
  accepting_ = false;
  asio::error_code ec;
  socket_.close(ec);
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [cid, conn] : connections) conn->abandon();
  waiting_writable_.clear();
}

asio::awaitable<void> QuicEndpoint::receive_loop() {
  auto keep = shared_from_this();
  auto receiver = std::make_unique<UdpReceiver>();
  while (socket_.is_open()) {
    auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !socket_.is_open()) co_return;
      continue;
    }
    for (int round = 0; round < kMaxBatchesPerWake && socket_.is_open(); ++round) {
      std::size_t count =
          receiver->receive(socket_.native_handle(), ipv6_, SocketAddress::from(local_));
      for (std::size_t i = 0; i < count && socket_.is_open(); ++i) on_received((*receiver)[i]);
      if (count == 0) {
        if (client_ && receiver->last_error() == ECONNREFUSED) on_port_unreachable();
        break;
      }
    }
  }
}

void QuicEndpoint::on_received(ReceivedDatagram& received) {
  for (std::size_t offset = 0; offset < received.size && socket_.is_open();
       offset += received.segment_size) {
    Datagram datagram;
    datagram.path = received.path;
    datagram.ecn = received.ecn;
    datagram.data = received.data + offset;
    datagram.size = std::min(received.segment_size, received.size - offset);
    on_datagram(datagram, false);
  }
}

void QuicEndpoint::on_port_unreachable() {
  std::vector<std::shared_ptr<QuicConnection>> connections;
  for (auto& [cid, conn] : connections_) connections.push_back(conn);
  for (auto& conn : connections) conn->on_port_unreachable();
}

void QuicEndpoint::enable_offloads() { features_ = quic::enable_offloads(socket_.native_handle()); }

void QuicEndpoint::on_datagram(Datagram& datagram, bool handed_over) {
  ngtcp2_version_cid vc;
  int rv = ngtcp2_pkt_decode_version_cid(&vc, datagram.data, datagram.size, kCidLength);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    send_version_negotiation(vc, datagram);
    return;
  }
  if (rv != 0 || vc.dcidlen > NGTCP2_MAX_CIDLEN) return;
  auto it = connections_.find(CidKey(vc.dcid, vc.dcidlen));
  if (it != connections_.end()) {
    auto conn = it->second;
    conn->on_datagram(datagram.path, datagram.ecn, datagram.data, datagram.size);
    conn->write_packets();
    return;
  }
  if (client_) return;  // not for our connection: nothing to say
  if (!handed_over && hand_over(vc, datagram)) return;
  if ((datagram.data[0] & 0x80) == 0) {
    // A short-header packet for a connection we do not know (any more).
    send_stateless_reset(vc, datagram);
    return;
  }
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, datagram.data, datagram.size) != 0) return;  // 0-RTT, junk: drop
  accept_initial(datagram, hd);
}

bool QuicEndpoint::hand_over(const ngtcp2_version_cid& vc, const Datagram& datagram) {
  // Our connection IDs name their worker in the first byte.
  if (vc.dcidlen != kCidLength || vc.dcid[0] == worker_ || vc.dcid[0] >= peers_.size()) {
    return false;
  }
  auto peer = peers_[vc.dcid[0]].lock();
  if (!peer) return false;
  auto copy =
      std::make_shared<std::vector<std::uint8_t>>(datagram.data, datagram.data + datagram.size);
  asio::post(peer->executor(), [peer, copy, path = datagram.path, ecn = datagram.ecn]() mutable {
    Datagram handed;
    handed.path = path;
    handed.ecn = ecn;
    handed.data = copy->data();
    handed.size = copy->size();
    peer->on_datagram(handed, true);
  });
  return true;
}

void QuicEndpoint::accept_initial(Datagram& datagram, const ngtcp2_pkt_hd& hd) {
  if (!accepting_) {
    send_refusal(hd, datagram);
    return;
  }
  // A Retry token proves the client owns its address; NEW_TOKEN tokens are
  // not issued here, so any other token counts as none.
  std::optional<ngtcp2_cid> original_dcid;
  if (hd.token.len > 0 && hd.token.base[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
    ngtcp2_cid odcid;
    const SocketAddress& remote = datagram.path.remote;
    if (ngtcp2_crypto_verify_retry_token(&odcid, hd.token.base, hd.token.len,
                                         config_->token_secret.data(), config_->token_secret.size(),
                                         hd.version, remote.get(), remote.length, &hd.dcid,
                                         kRetryTokenLifetime, now_ts()) != 0) {
      send_refusal(hd, datagram, NGTCP2_INVALID_TOKEN);
      return;
    }
    original_dcid = odcid;
  } else if (retry_required()) {
    send_retry(hd, datagram);
    return;
  }
  auto conn = QuicConnection::accept(shared_from_this(), hd, datagram.path,
                                     original_dcid ? &*original_dcid : nullptr);
  if (!conn) return;
  if (!on_accept_ || !on_accept_(conn)) {
    conn->abandon();
    send_refusal(hd, datagram);
    return;
  }
  ++handshakes_;
  conn->count_handshake();
  for (const auto& cid : conn->cids()) add_cid(cid, conn);
  conn->on_datagram(datagram.path, datagram.ecn, datagram.data, datagram.size);
  conn->write_packets();
}

bool QuicEndpoint::retry_required() const {
  const QuicSettings& settings = config_->settings;
  switch (settings.retry) {
    case RetryPolicy::kNever:
      return false;
    case RetryPolicy::kAlways:
      return true;
    case RetryPolicy::kUnderLoad:
      return handshakes_ >= settings.retry_threshold;
  }
  return false;
}

void QuicEndpoint::send_retry(const ngtcp2_pkt_hd& hd, Datagram& datagram) {
  // Nothing is kept: the token carries the original DCID, sealed and bound
  // to the client's address, and the client's next Initial brings it back.
  ngtcp2_cid scid;
  scid.datalen = kCidLength;
  scid.data[0] = worker_;
  random_bytes(scid.data + 1, kCidLength - 1);
  std::array<std::uint8_t, NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN> token;
  const SocketAddress& remote = datagram.path.remote;
  ngtcp2_ssize token_size = ngtcp2_crypto_generate_retry_token(
      token.data(), config_->token_secret.data(), config_->token_secret.size(), hd.version,
      remote.get(), remote.length, &scid, &hd.dcid, now_ts());
  if (token_size < 0) return;
  std::array<std::uint8_t, NGTCP2_MAX_UDP_PAYLOAD_SIZE> packet;
  ngtcp2_ssize n =
      ngtcp2_crypto_write_retry(packet.data(), packet.size(), hd.version, &hd.scid, &scid, &hd.dcid,
                                token.data(), static_cast<std::size_t>(token_size));
  if (n <= 0) return;
  ngtcp2_path path = datagram.path.view();
  send(path, 0, packet.data(), static_cast<std::size_t>(n));
  retries_sent_.fetch_add(1, std::memory_order_relaxed);
}

void QuicEndpoint::send_version_negotiation(const ngtcp2_version_cid& vc, Datagram& datagram) {
  if (datagram.size < kMinInitialSize) return;
  std::uint8_t grease;
  random_bytes(&grease, 1);
  // A reserved version (0x?a?a?a?a) keeps clients from relying on the list.
  std::uint32_t versions[] = {0x0a1a2a3au | ((grease & 0xf0u) << 24), NGTCP2_PROTO_VER_V1};
  std::array<std::uint8_t, NGTCP2_MAX_UDP_PAYLOAD_SIZE> packet;
  ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(packet.data(), packet.size(), grease,
                                                        vc.scid, vc.scidlen, vc.dcid, vc.dcidlen,
                                                        versions, std::size(versions));
  if (n <= 0) return;
  ngtcp2_path path = datagram.path.view();
  send(path, 0, packet.data(), static_cast<std::size_t>(n));
}

void QuicEndpoint::send_stateless_reset(const ngtcp2_version_cid& vc, Datagram& datagram) {
  // Only for what could be one of our short-header packets, and always
  // smaller than it so that resets cannot loop between two endpoints.
  if (vc.dcidlen != kCidLength || datagram.size < kCidLength + 22) return;
  ngtcp2_tstamp now = now_ts();
  if (now - reset_window_start_ > NGTCP2_SECONDS) {
    reset_window_start_ = now;
    resets_this_second_ = 0;
  }
  if (++resets_this_second_ > kMaxResetsPerSecond) return;
  ngtcp2_cid cid;
  ngtcp2_cid_init(&cid, vc.dcid, vc.dcidlen);
  std::uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
  if (!reset_token(cid, token)) return;
  std::size_t rand_size = std::min<std::size_t>(
      NGTCP2_MAX_CIDLEN + 6, datagram.size - NGTCP2_STATELESS_RESET_TOKENLEN - 2);
  std::uint8_t rand[NGTCP2_MAX_CIDLEN + 6];
  random_bytes(rand, rand_size);
  std::array<std::uint8_t, 64> packet;
  ngtcp2_ssize n =
      ngtcp2_pkt_write_stateless_reset(packet.data(), packet.size(), token, rand, rand_size);
  if (n <= 0) return;
  ngtcp2_path path = datagram.path.view();
  send(path, 0, packet.data(), static_cast<std::size_t>(n));
}

void QuicEndpoint::send_refusal(const ngtcp2_pkt_hd& hd, Datagram& datagram, std::uint64_t error) {
  // CONNECTION_CLOSE in an Initial, without any state; its keys derive from
  // the client's first DCID.
  std::array<std::uint8_t, NGTCP2_MAX_UDP_PAYLOAD_SIZE> packet;
  ngtcp2_ssize n = ngtcp2_crypto_write_connection_close(packet.data(), packet.size(), hd.version,
                                                        &hd.scid, &hd.dcid, error, nullptr, 0);
  if (n <= 0) return;
  ngtcp2_path path = datagram.path.view();
  send(path, 0, packet.data(), static_cast<std::size_t>(n));
}

void QuicEndpoint::set_ecn(std::uint8_t ecn) {
  if (ecn_ == ecn) return;
  ecn_ = ecn;
  int fd = socket_.native_handle();
  if (ipv6_) set_int_option(fd, IPPROTO_IPV6, IPV6_TCLASS, ecn);
  // Mapped IPv4 traffic on an IPv6 socket takes the IPv4 option.
  set_int_option(fd, IPPROTO_IP, IP_TOS, ecn);
}

QuicEndpoint::SendResult QuicEndpoint::send(const ngtcp2_path& path, std::uint8_t ecn,
                                            const std::uint8_t* data, std::size_t size,
                                            std::size_t segment_size) {
  if (!socket_.is_open()) return SendResult::kSent;  // dropped: we are going away
  set_ecn(ecn);
  // A wildcard socket answers from the address the client wrote to.
  UdpSendResult result = udp_send(socket_.native_handle(), features_, wildcard_, ipv6_, path, data,
                                  size, segment_size);
  return result == UdpSendResult::kSent ? SendResult::kSent : SendResult::kBlocked;
}

void QuicEndpoint::wait_writable(std::weak_ptr<QuicConnection> connection) {
  waiting_writable_.push_back(std::move(connection));
  if (write_wait_armed_) return;
  write_wait_armed_ = true;
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](const asio::error_code&) {
                       self->write_wait_armed_ = false;
                       self->flush_writable();
                     });
}

void QuicEndpoint::flush_writable() {
  auto waiting = std::move(waiting_writable_);
  waiting_writable_.clear();
  for (auto& weak : waiting) {
    if (auto conn = weak.lock()) conn->on_writable();
  }
}

void QuicEndpoint::add_cid(const CidKey& cid, const std::shared_ptr<QuicConnection>& connection) {
  connections_[cid] = connection;
}

void QuicEndpoint::remove_cid(const CidKey& cid) { connections_.erase(cid); }

bool QuicEndpoint::new_cid(ngtcp2_cid& cid, std::uint8_t* token) {
  cid.datalen = kCidLength;
  do {
    cid.data[0] = worker_;
    random_bytes(cid.data + 1, kCidLength - 1);
  } while (connections_.count(CidKey(cid)) != 0);
  return reset_token(cid, token);
}

bool QuicEndpoint::reset_token(const ngtcp2_cid& cid, std::uint8_t* token) const {
  if (ngtcp2_crypto_generate_stateless_reset_token(token, config_->reset_secret.data(),
                                                   config_->reset_secret.size(), &cid) != 0) {
    TRIPLEX_LOG(LogLevel::kError, "QUIC stateless reset token could not be derived");
    return false;
  }
  return true;
}

}  // namespace triplex::net::quic
