#pragma once
// One QUIC connection on ngtcp2, server or client side: it is fed the
// datagrams its endpoint routes to it, writes the packets ngtcp2 produces (pulling stream
// data from the application), runs ngtcp2's timers, and ends with
// CONNECTION_CLOSE and a closing period, a draining period after the peer's
// CONNECTION_CLOSE, or silently on idle timeout. It knows nothing of HTTP:
// stream events go to a QuicApplication (the HTTP/3 session).
//
// Concurrency: lives on its endpoint's worker and is only touched there.
// Owned by the endpoint's connection-ID map while it is reachable, and by
// the application; it never calls into ngtcp2 again once closed.
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <asio/any_io_executor.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/net/quic/gso_batch.h"
#include "src/net/quic/quic_common.h"
#include "src/net/quic/quic_tls.h"

namespace triplex::net::quic {

class QuicEndpoint;

// What a QuicConnection needs from the protocol on top. The bool callbacks
// return false to fail the connection; they call
// QuicConnection::set_application_error() first to choose the error code.
// All are called on the connection's worker, most from inside ngtcp2.
class QuicApplication {
 public:
  virtual ~QuicApplication() = default;

  // 1-RTT keys are installed: open the application's own streams.
  virtual bool on_ready() = 0;
  // The handshake is complete (for a server also confirmed): requests that
  // came as 0-RTT early data can no longer be replays.
  virtual void on_handshake_completed() {}
  // Client: the server refused our 0-RTT data. ngtcp2 has forgotten the
  // streams opened so far; what they carried must be sent again (or failed).
  virtual void on_early_data_rejected() {}
  virtual bool on_stream_data(std::int64_t id, const std::uint8_t* data, std::size_t size,
                              bool fin) = 0;
  // `size` more bytes of the stream were acknowledged by the peer.
  virtual bool on_stream_acked(std::int64_t id, std::uint64_t size) = 0;
  // The stream is gone in both directions; `app_error_code` is nullopt when
  // it ended without one.
  virtual bool on_stream_close(std::int64_t id, std::optional<std::uint64_t> app_error_code) = 0;
  virtual bool on_stream_reset(std::int64_t id, std::uint64_t app_error_code) = 0;
  virtual bool on_stream_stop_sending(std::int64_t id, std::uint64_t app_error_code) = 0;
  virtual void on_max_remote_streams_bidi(std::uint64_t max_streams) = 0;
  // The peer lets us open more bidirectional streams.
  virtual void on_max_local_streams_bidi() {}
  // The peer granted more flow-control credit on the stream.
  virtual bool on_stream_writable(std::int64_t id) = 0;

  // Writing, outside ngtcp2 callbacks: the next stream data to send, at most
  // `capacity` vectors. Returns how many were filled (`id` -1: none), or -1
  // to fail the connection.
  virtual std::ptrdiff_t pull_stream_data(std::int64_t& id, bool& fin, ngtcp2_vec* vec,
                                          std::size_t capacity) = 0;
  // ngtcp2 took `size` bytes of what pull_stream_data() offered.
  virtual bool on_stream_data_written(std::int64_t id, std::size_t size) = 0;
  virtual void on_stream_blocked(std::int64_t id) = 0;
  virtual void on_stream_write_closed(std::int64_t id) = 0;

  // Called once when the connection stops carrying streams (closing,
  // draining, idle timeout or a fatal error).
  virtual void on_connection_closed() = 0;
};

// What a client keeps from one connection to resume the next (TLS session
// ticket and the server's transport parameters, which 0-RTT needs).
struct QuicResumption {
  std::string ticket;
  ngtcp2_transport_params params{};
  bool usable() const { return !ticket.empty(); }
};

struct QuicClientParams {
  std::shared_ptr<const QuicClientTlsContext> tls;
  std::string server_name;  // SNI and the name the certificate must carry
  // Read to resume (and send 0-RTT), updated when the server issues a ticket.
  std::shared_ptr<QuicResumption> resumption;
  bool early_data = true;  // with a usable resumption, send requests as 0-RTT
  // A token for the first Initial (as NEW_TOKEN would give); tests forge one.
  std::string initial_token;
};

class QuicConnection final : public std::enable_shared_from_this<QuicConnection> {
 public:
  // A connection for an acceptable client Initial with header `hd` that
  // arrived on `path`; `original_dcid` when it came after our Retry (its
  // token was valid). Null when ngtcp2 or TLS cannot be set up.
  static std::shared_ptr<QuicConnection> accept(std::shared_ptr<QuicEndpoint> endpoint,
                                                const ngtcp2_pkt_hd& hd, const PathStorage& path,
                                                const ngtcp2_cid* original_dcid);
  // The endpoint counts this connection among handshakes in progress; it is
  // told once the handshake ends either way.
  void count_handshake() { handshake_counted_ = true; }
  // A client connection to `remote` over `endpoint` (which it then owns:
  // a client endpoint carries one connection). Null when ngtcp2 or TLS
  // cannot be set up. Set the application, then start().
  static std::shared_ptr<QuicConnection> connect(std::shared_ptr<QuicEndpoint> endpoint,
                                                 const asio::ip::udp::endpoint& remote,
                                                 QuicClientParams params);
  // Client: sends the first flight (with 0-RTT when resuming).
  void start();
  // Client: 0-RTT keys are set up, so requests may be sent before the
  // handshake completes.
  bool early_data_possible() const { return early_data_attempted_; }
  const QuicTlsSession& tls() const { return tls_; }
  ~QuicConnection();
  QuicConnection(const QuicConnection&) = delete;
  QuicConnection& operator=(const QuicConnection&) = delete;

  // Must be set before the first datagram; cleared by an application that
  // goes away first.
  void set_application(QuicApplication* app) { app_ = app; }

  // From the endpoint.
  void on_datagram(PathStorage& path, std::uint8_t ecn, const std::uint8_t* data, std::size_t size);
  void write_packets();
  void on_writable();
  // The connection IDs to route here (the client's first DCID and ours).
  const std::vector<CidKey>& cids() const { return cids_; }
  // The endpoint is going away, or refused the connection: stop at once,
  // without a word to the peer.
  void abandon();
  // Client: an ICMP port unreachable came back. Unauthenticated, so heeded
  // only before the handshake completes: then nothing answers there.
  void on_port_unreachable();
  // Why the connection ended before or instead of carrying requests, in
  // words ("certificate verify failed: ...", "no handshake within 300 ms");
  // empty while open or when it ended normally.
  const std::string& failure() const { return failure_; }

  // From the application.
  ngtcp2_conn* native() const { return conn_; }
  asio::any_io_executor executor() const;
  const PathStorage& path() const { return path_; }
  bool is_open() const { return state_ == State::kOpen; }
  bool handshake_completed() const {
    return conn_ != nullptr && ngtcp2_conn_get_handshake_completed(conn_) != 0;
  }
  // A write pass soon; safe from inside callbacks.
  void schedule_write();
  // Ends the connection with an application CONNECTION_CLOSE (soon, never
  // from inside a callback).
  void close(std::uint64_t app_error_code);
  // Client going away (its owner is destroyed): CONNECTION_CLOSE now, then
  // forget the connection and its socket without a closing period, since
  // the event loop may not run again. Never from inside a callback.
  void close_now(std::uint64_t app_error_code);
  void set_application_error(std::uint64_t app_error_code);
  std::chrono::nanoseconds pto() const;

  // ngtcp2 callbacks (reached through free functions casting user_data).
  QuicApplication* app() const { return app_; }
  int on_handshake_completed();
  int on_tx_key(ngtcp2_crypto_level level);
  int on_new_connection_id(ngtcp2_cid* cid, std::uint8_t* token, std::size_t cidlen);
  int on_remove_connection_id(const ngtcp2_cid* cid);
  void on_session_ticket();

 private:
  enum class State { kOpen, kClosing, kDraining, kClosed };

  explicit QuicConnection(std::shared_ptr<QuicEndpoint> endpoint);
  bool init(const ngtcp2_pkt_hd& hd, const PathStorage& path, const ngtcp2_cid* original_dcid);
  void end_handshake_count();
  bool init_client(const asio::ip::udp::endpoint& remote, QuicClientParams params);
  void fill_transport_params(ngtcp2_transport_params& params) const;
  // False when the socket is full (the packets are kept and sent first later).
  bool send(const ngtcp2_path& path, std::uint8_t ecn, const std::uint8_t* data, std::size_t size,
            std::size_t segment_size);
  void handle_error(int liberr);
  // Client: failure_ for a handshake that failed in TLS.
  std::string tls_failure() const;
  void start_closing();
  void start_draining();
  void drop();
  void finish();
  void notify_closed();
  void arm_timer();
  void arm_period_timer();
  void wait_timer();
  void on_timer();

  std::shared_ptr<QuicEndpoint> endpoint_;
  ngtcp2_conn* conn_ = nullptr;
  ngtcp2_crypto_conn_ref conn_ref_{};
  QuicTlsSession tls_;
  QuicApplication* app_ = nullptr;
  bool client_ = false;
  std::shared_ptr<QuicResumption> resumption_;  // client only
  std::shared_ptr<const QuicClientTlsContext> client_tls_;
  bool early_data_attempted_ = false;
  bool handshake_counted_ = false;
  PathStorage path_;          // where the connection started
  std::vector<CidKey> cids_;  // every ID the endpoint routes to us
  ngtcp2_connection_close_error error_{};
  std::string failure_;
  bool error_set_ = false;
  State state_ = State::kOpen;
  bool app_notified_ = false;
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  // The expiry the timer waits for (UINT64_MAX: none).
  ngtcp2_tstamp armed_expiry_ = UINT64_MAX;
  bool write_posted_ = false;
  GsoBatch batch_;  // packets gathered for one GSO send

  // Closing period: the CONNECTION_CLOSE packet, repeated as packets arrive.
  std::vector<std::uint8_t> close_packet_;
  PathStorage close_path_;
  std::uint8_t close_ecn_ = 0;
  std::size_t packets_while_closing_ = 0;

  // Packets the socket did not take yet.
  struct Blocked {
    PathStorage path;
    std::uint8_t ecn = 0;
    std::vector<std::uint8_t> data;
    std::size_t segment_size = 0;
  };
  std::deque<Blocked> blocked_;  // in sending order
};

}  // namespace triplex::net::quic
