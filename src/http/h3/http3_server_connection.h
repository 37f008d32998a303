#pragma once
// A server-side HTTP/3 connection: nghttp3 on top of one QuicConnection. It
// turns request streams into Http3Stream exchanges, feeds nghttp3 what QUIC
// receives and QUIC what nghttp3 writes, returns flow-control credit only as
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
#include "src/http/server_connection.h"
#include "src/net/quic/quic_connection.h"

namespace triplex::http {

class Http3Stream;

class Http3ServerConnection final : public ServerConnection,
                                    public net::quic::QuicApplication,
                                    public std::enable_shared_from_this<Http3ServerConnection> {
 public:
  // Becomes `quic`'s application; call before its first datagram.
  static std::shared_ptr<Http3ServerConnection> start(
      std::shared_ptr<net::quic::QuicConnection> quic, const ConnectionOptions& options,
      ExchangeHandler handler);
  ~Http3ServerConnection() override;

  void drain() override;
  asio::any_io_executor executor() override { return quic_->executor(); }

  // For Http3Stream.
  nghttp3_conn* session() { return h3_; }
  const net::PeerInfo& peer() const { return peer_; }
  const ConnectionOptions& options() const { return options_; }
  bool handshake_completed() const { return quic_->handshake_completed(); }
  void want_write() { quic_->schedule_write(); }
  // The handler read `size` request-body bytes: the peer may send as many more.
  void consume(std::int64_t id, std::size_t size);
  // RESET_STREAM and STOP_SENDING with `app_error_code`.
  void reset_stream(std::int64_t id, std::uint64_t app_error_code);

  // nghttp3 callbacks (reached through free functions casting user_data).
  int on_begin_headers(std::int64_t id);
  int on_header(std::int64_t id, std::string_view name, std::string_view value);
  int on_end_headers(std::int64_t id, bool fin);
  int on_body(std::int64_t id, const std::uint8_t* data, std::size_t size);
  int on_deferred_consume(std::int64_t id, std::size_t size);
  int on_end_stream(std::int64_t id);
  int on_h3_stream_close(std::int64_t id, std::uint64_t app_error_code);
  int on_body_acked(std::int64_t id, std::uint64_t size);
  int on_send_stop_sending(std::int64_t id, std::uint64_t app_error_code);
  int on_send_reset(std::int64_t id, std::uint64_t app_error_code);

  // net::quic::QuicApplication.
  bool on_ready() override;
  void on_handshake_completed() override;
  bool on_stream_data(std::int64_t id, const std::uint8_t* data, std::size_t size,
                      bool fin) override;
  bool on_stream_acked(std::int64_t id, std::uint64_t size) override;
  bool on_stream_close(std::int64_t id, std::optional<std::uint64_t> app_error_code) override;
  bool on_stream_reset(std::int64_t id, std::uint64_t app_error_code) override;
  bool on_stream_stop_sending(std::int64_t id, std::uint64_t app_error_code) override;
  void on_max_remote_streams_bidi(std::uint64_t max_streams) override;
  bool on_stream_writable(std::int64_t id) override;
  std::ptrdiff_t pull_stream_data(std::int64_t& id, bool& fin, ngtcp2_vec* vec,
                                  std::size_t capacity) override;
  bool on_stream_data_written(std::int64_t id, std::size_t size) override;
  void on_stream_blocked(std::int64_t id) override;
  void on_stream_write_closed(std::int64_t id) override;
  void on_connection_closed() override;

 private:
  Http3ServerConnection(std::shared_ptr<net::quic::QuicConnection> quic,
                        const ConnectionOptions& options, ExchangeHandler handler);
  Http3Stream* find_stream(std::int64_t id);
  void update_keepalive();
  bool fail(int liberr);
  // The stream's last response byte (or FIN) went to QUIC.
  void after_response_sent(std::int64_t id);
  void begin_shutdown();
  void maybe_close_drained();

  std::shared_ptr<net::quic::QuicConnection> quic_;
  ConnectionOptions options_;
  ExchangeHandler handler_;
  nghttp3_conn* h3_ = nullptr;
  net::PeerInfo peer_;
  std::unordered_map<std::int64_t, std::shared_ptr<Http3Stream>> streams_;  // ownership
  bool closed_ = false;

  // What pull_stream_data() last offered, to see when a stream's FIN is out.
  std::int64_t offered_id_ = -1;
  std::size_t offered_size_ = 0;
  bool offered_fin_ = false;

  // Graceful GOAWAY: a notice first, the real GOAWAY a few round trips
  // later, CONNECTION_CLOSE once the accepted streams are done.
  enum class Drain { kNone, kNoticeSent, kShutdown } drain_ = Drain::kNone;
  bool lingering_ = false;  // only acknowledgements are still awaited
  asio::steady_timer drain_timer_;
  asio::steady_timer force_close_timer_;
};

}  // namespace triplex::http
