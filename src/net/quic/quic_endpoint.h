#pragma once
// The UDP side of one worker: a socket bound with SO_REUSEPORT to the same
// port as every other worker's (and as the TCP listener), receiving datagrams
// with their ECN bits and local address, routing them by destination
// connection ID, accepting new connections from client Initials, answering
// unknown versions with Version Negotiation and unknown short-header packets
// with a Stateless Reset, and sending what connections write.
//
// Concurrency: everything runs on the worker's io_context, except the
// constructor and bind(). Connections keep their endpoint alive; the
// endpoint keeps its connections while their IDs are routable.
#include <ngtcp2/ngtcp2.h>

#include <array>
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "src/net/quic/quic_common.h"
#include "src/net/quic/quic_tls.h"
#include "src/net/quic/udp_io.h"

namespace triplex::net::quic {

class QuicConnection;

class QuicEndpoint final : public std::enable_shared_from_this<QuicEndpoint> {
 public:
  // What all endpoints of a listener share; read-only once built.
  struct Config {
    std::shared_ptr<const QuicTlsContext> tls;
    QuicSettings settings;
    // Stateless reset tokens are derived from it, so any worker (or a
    // restarted process with the same secret) can reset any connection.
    std::array<std::uint8_t, 32> reset_secret{};
    // Retry tokens are sealed with it: any worker can check any token.
    std::array<std::uint8_t, 32> token_secret{};
  };
  // Called for each new connection before its first packet is processed, to
  // attach the application. False refuses it (CONNECTION_REFUSED).
  using AcceptHandler = std::function<bool(const std::shared_ptr<QuicConnection>&)>;

  QuicEndpoint(asio::io_context& io, std::uint8_t worker, std::shared_ptr<const Config> config,
               AcceptHandler on_accept);
  ~QuicEndpoint();

  // Binds; throws std::system_error.
  void bind(const asio::ip::udp::endpoint& endpoint);
  // Client side instead: a socket of our own, connected to `remote`, for
  // one outgoing connection (QuicConnection::connect). Never accepts, never
  // answers unknown packets. Throws std::system_error.
  void open_client(const asio::ip::udp::endpoint& remote);
  // The endpoints of all workers, indexed by worker (this one included), so
  // that a datagram for another worker's connection can be handed over: the
  // kernel spreads datagrams by address, and a client's address may change.
  // Set before start().
  void set_peers(std::vector<std::weak_ptr<QuicEndpoint>> peers) { peers_ = std::move(peers); }
  void start();
  asio::ip::udp::endpoint local_endpoint() const { return local_; }
  // New connections are refused from now on; existing ones go on.
  void stop_accepting() { accepting_ = false; }
  // Closes the socket and drops every connection without a word (on the
  // worker, or once the worker no longer runs).
  void shutdown();

  // For connections.
  enum class SendResult { kSent, kBlocked };
  // `size` bytes of packets of `segment_size` each (the last may be
  // shorter; 0: one packet), all for `path` with `ecn`.
  SendResult send(const ngtcp2_path& path, std::uint8_t ecn, const std::uint8_t* data,
                  std::size_t size, std::size_t segment_size = 0);
  // How many packets of `packet_size` one send() may carry.
  std::size_t max_segments(std::size_t packet_size) const {
    return quic::max_segments(features_, packet_size);
  }
  // on_writable() on `connection` once the socket takes packets again.
  void wait_writable(std::weak_ptr<QuicConnection> connection);
  void add_cid(const CidKey& cid, const std::shared_ptr<QuicConnection>& connection);
  void remove_cid(const CidKey& cid);
  // A fresh connection ID of ours (worker byte, then random) and its token.
  // False (logged) when the stateless reset token cannot be derived.
  bool new_cid(ngtcp2_cid& cid, std::uint8_t* reset_token);
  const Config& config() const { return *config_; }
  // A server connection's handshake ended (completed or failed).
  void handshake_ended() { --handshakes_; }
  // Thread-safe.
  std::uint64_t retries_sent() const { return retries_sent_.load(std::memory_order_relaxed); }
  std::uint8_t worker() const { return worker_; }
  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  struct Datagram {
    PathStorage path;
    std::uint8_t ecn = 0;
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
  };

  asio::awaitable<void> receive_loop();
  // Each packet of a (possibly GRO-coalesced) datagram in turn.
  void on_received(ReceivedDatagram& received);
  void enable_offloads();
  // Client: the server's host said nothing listens on the port.
  void on_port_unreachable();
  // `handed_over`: it came from another worker, which found no connection.
  void on_datagram(Datagram& datagram, bool handed_over);
  bool hand_over(const ngtcp2_version_cid& vc, const Datagram& datagram);
  void accept_initial(Datagram& datagram, const ngtcp2_pkt_hd& hd);
  bool retry_required() const;
  void send_retry(const ngtcp2_pkt_hd& hd, Datagram& datagram);
  void send_version_negotiation(const ngtcp2_version_cid& vc, Datagram& datagram);
  void send_stateless_reset(const ngtcp2_version_cid& vc, Datagram& datagram);
  // CONNECTION_CLOSE with a transport error, without any connection state.
  void send_refusal(const ngtcp2_pkt_hd& hd, Datagram& datagram,
                    std::uint64_t error = NGTCP2_CONNECTION_REFUSED);
  bool reset_token(const ngtcp2_cid& cid, std::uint8_t* token) const;
  void set_ecn(std::uint8_t ecn);
  void flush_writable();

  asio::ip::udp::socket socket_;
  std::uint8_t worker_;
  std::shared_ptr<const Config> config_;
  AcceptHandler on_accept_;
  std::vector<std::weak_ptr<QuicEndpoint>> peers_;
  asio::ip::udp::endpoint local_;
  bool wildcard_ = false;  // bound to any address: say which one we send from
  bool ipv6_ = false;
  bool accepting_ = true;
  bool client_ = false;
  int ecn_ = -1;  // what the socket currently marks outgoing packets with
  UdpFeatures features_;
  std::unordered_map<CidKey, std::shared_ptr<QuicConnection>, CidKeyHash> connections_;
  std::vector<std::weak_ptr<QuicConnection>> waiting_writable_;
  bool write_wait_armed_ = false;
  // Stateless resets are rate-limited: at most this many per second.
  std::size_t resets_this_second_ = 0;
  ngtcp2_tstamp reset_window_start_ = 0;
  std::size_t handshakes_ = 0;  // server connections still in their handshake
  std::atomic<std::uint64_t> retries_sent_{0};
};

}  // namespace triplex::net::quic
