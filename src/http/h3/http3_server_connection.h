#pragma once
// A server-side HTTP/3 connection (an Http3Session): it turns request
// streams into Http3Stream exchanges, returns flow-control credit only as
// handlers read request bodies, answers oversized header sections with 431,
// and drains with a two-phase GOAWAY before CONNECTION_CLOSE.
//
// Concurrency: lives on its QUIC connection's worker; no locking. Owned by
// whoever tracks it (the listener) and by pending timer handlers; streams
// point back to it until detached.
#include <nghttp3/nghttp3.h>

#include <asio/steady_timer.hpp>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "src/http/connection_options.h"
#include "src/http/exchange.h"
#include "src/http/h3/http3_session.h"
#include "src/http/server_connection.h"

namespace triplex::http {

class Http3Stream;

class Http3ServerConnection final : public ServerConnection,
                                    public Http3Session,
                                    public std::enable_shared_from_this<Http3ServerConnection> {
 public:
  // Becomes `quic`'s application; call before its first datagram.
  static std::shared_ptr<Http3ServerConnection> start(
      std::shared_ptr<net::quic::QuicConnection> quic, const ConnectionOptions& options,
      ExchangeHandler handler);
  ~Http3ServerConnection() override;

  void drain() override;
  asio::any_io_executor executor() override { return quic_->executor(); }

  // For Http3Stream (also session(), want_write(), consume(), reset_stream()).
  const net::PeerInfo& peer() const { return peer_; }
  const ConnectionOptions& options() const { return options_; }
  bool handshake_completed() const { return quic_->handshake_completed(); }

  // nghttp3 callbacks (reached through free functions casting user_data).
  int on_begin_headers(std::int64_t id);
  int on_header(std::int64_t id, std::string_view name, std::string_view value);
  int on_end_headers(std::int64_t id, bool fin);
  int on_body(std::int64_t id, const std::uint8_t* data, std::size_t size);
  int on_deferred_consume(std::int64_t id, std::size_t size);
  int on_end_stream(std::int64_t id);
  void on_request_end(Http3Stream& s);
  // Gives the stream's place in the peer's stream limit back (once).
  void release_slot(Http3Stream& s);
  int on_h3_stream_close(std::int64_t id, std::uint64_t app_error_code);

  // net::quic::QuicApplication (the stream plumbing is Http3Session's).
  bool on_ready() override;
  void on_handshake_completed() override;
  void on_max_remote_streams_bidi(std::uint64_t max_streams) override;
  void on_connection_closed() override;

 private:
  Http3ServerConnection(std::shared_ptr<net::quic::QuicConnection> quic,
                        const ConnectionOptions& options, ExchangeHandler handler);
  Http3Stream* find_stream(std::int64_t id);
  void update_keepalive();
  // Http3Session hooks.
  void on_peer_reset(std::int64_t id, std::uint64_t app_error_code) override;
  void on_body_acked(std::int64_t id, std::uint64_t size) override;
  // The stream's last response byte (or FIN) went to QUIC.
  void on_stream_fin_written(std::int64_t id) override;
  void on_unknown_stream_closed(std::int64_t id) override;
  void begin_shutdown();
  void maybe_close_drained();

  ConnectionOptions options_;
  ExchangeHandler handler_;
  net::PeerInfo peer_;
  std::unordered_map<std::int64_t, std::shared_ptr<Http3Stream>> streams_;  // ownership

  // Graceful GOAWAY: a notice first, the real GOAWAY a few round trips
  // later, CONNECTION_CLOSE once the accepted streams are done.
  enum class Drain { kNone, kNoticeSent, kShutdown } drain_ = Drain::kNone;
  bool lingering_ = false;  // only acknowledgements are still awaited
  asio::steady_timer drain_timer_;
  asio::steady_timer force_close_timer_;
};

}  // namespace triplex::http
