#pragma once
// A client-side HTTP/3 connection (an Http3Session over a client
// QuicConnection with a UDP socket of its own): it opens request streams as
// Http3ClientStream exchanges, sends them as 0-RTT early data when resuming
// a session (again in 1-RTT if the server refuses the early data), queues
// them while the handshake or the server's stream limit holds them back, and
// returns flow-control credit only as callers read response bodies.
//
// Concurrency: lives on the io_context it was connected on; call it only
// there. Owned by its user; exchanges outlive it (failing as if reset).
#include <nghttp3/nghttp3.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <deque>
#include <memory>
#include <unordered_map>

#include "src/http/client_connection.h"
#include "src/http/h3/http3_session.h"
#include "src/net/event.h"

namespace triplex::http {

class Http3ClientStream;

struct Http3ClientOptions {
  net::quic::QuicSettings quic;  // windows, idle timeout, keepalive
  std::size_t stream_write_buffer = 256 * 1024;
  std::uint32_t max_header_list_size = 64 * 1024;
};

class Http3ClientConnection final : public ClientConnection,
                                    public Http3Session,
                                    public std::enable_shared_from_this<Http3ClientConnection> {
 public:
  // Starts connecting to `remote` on `io`. Throws std::system_error when no
  // socket can be opened and std::runtime_error when QUIC cannot be set up.
  static std::shared_ptr<Http3ClientConnection> connect(asio::io_context& io,
                                                        const asio::ip::udp::endpoint& remote,
                                                        net::quic::QuicClientParams params,
                                                        const Http3ClientOptions& options = {});
  ~Http3ClientConnection() override;

  // Sends a request. `end_stream`: no body follows the head. It goes out at
  // once (as 0-RTT when the session is being resumed), or as soon as the
  // handshake or the server's stream limit allows.
  std::shared_ptr<ClientExchange> open(RequestHead head, bool end_stream = false) override;
  // Completes once the handshake is done; false if the connection failed first.
  asio::awaitable<bool> wait_connected() override;
  bool is_open() const override { return !closed_ && !goaway_; }
  std::size_t active_requests() const override { return streams_.size() + waiting_.size(); }
  HttpVersion version() const override { return HttpVersion::kHttp3; }
  asio::any_io_executor executor() const override { return quic_->executor(); }
  bool handshake_completed() const { return quic_->handshake_completed(); }
  // The server took our 0-RTT data.
  bool early_data_accepted() const { return early_data_accepted_; }
  // CONNECTION_CLOSE with H3_NO_ERROR; open exchanges fail.
  void close() override;

  // For Http3ClientStream (also session(), want_write(), consume(), reset_stream()).
  const Http3ClientOptions& options() const { return options_; }

  // nghttp3 callbacks (reached through free functions casting user_data).
  int on_field(std::int64_t id, std::string_view name, std::string_view value, bool trailer);
  int on_head_end(std::int64_t id);
  int on_body(std::int64_t id, const std::uint8_t* data, std::size_t size);
  int on_end_stream(std::int64_t id);
  int on_h3_stream_close(std::int64_t id, std::uint64_t app_error_code);
  // GOAWAY: streams from `first_unprocessed` on were not and will not be served.
  void on_goaway(std::int64_t first_unprocessed);

  // net::quic::QuicApplication (the stream plumbing is Http3Session's).
  bool on_ready() override;
  void on_handshake_completed() override;
  void on_early_data_rejected() override;
  void on_max_remote_streams_bidi(std::uint64_t) override {}
  void on_max_local_streams_bidi() override;
  void on_connection_closed() override;
  std::string failure() const override { return quic_->failure(); }

 private:
  Http3ClientConnection(std::shared_ptr<net::quic::QuicConnection> quic,
                        const Http3ClientOptions& options);
  Http3ClientStream* find_stream(std::int64_t id);
  // Opens QUIC streams for waiting requests while the limits allow.
  void submit_waiting();
  bool submit(const std::shared_ptr<Http3ClientStream>& stream);
  // Http3Session hooks.
  void on_peer_reset(std::int64_t id, std::uint64_t app_error_code) override;
  void on_body_acked(std::int64_t id, std::uint64_t size) override;

  Http3ClientOptions options_;
  std::unordered_map<std::int64_t, std::shared_ptr<Http3ClientStream>> streams_;
  std::deque<std::shared_ptr<Http3ClientStream>> waiting_;  // no stream ID yet
  bool early_data_accepted_ = false;
  bool goaway_ = false;  // the server is shutting down: no new requests here
  net::Event connected_;
};

}  // namespace triplex::http
