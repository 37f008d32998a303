#pragma once
// A client-side HTTP/2 connection on nghttp2 over a connected ByteStream
// (TLS with ALPN h2, or h2c with prior knowledge on a PlainStream): opens
// request streams as Http2ClientStream exchanges, lets nghttp2 hold back
// requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS, returns
// flow-control credit only as callers read response bodies, fails requests
// a GOAWAY leaves unprocessed as refused (safe to retry), and runs
// gRPC-style keepalive pings while requests are active.
//
// Concurrency: lives on its stream's executor; call it only there. Owned by
// its user: dropping the last reference closes it. Exchanges outlive it
// (failing as if reset).
#include <memory>
#include <optional>
#include <unordered_map>

#include "src/http/client_connection.h"
#include "src/http/connection_options.h"
#include "src/http/h2/http2_session.h"
#include "src/net/event.h"

namespace triplex::http {

class Http2ClientStream;

struct Http2ClientOptions {
  // Response-body bytes in flight before the caller reads them, per stream
  // and for the whole connection (the server's defaults).
  std::uint32_t stream_window = 1 << 20;
  std::uint32_t connection_window = 16 << 20;
  std::uint32_t max_header_list_size = 64 * 1024;
  // write() suspends while more than this is queued on a stream.
  std::size_t stream_write_buffer = 256 * 1024;
  // PING after this much silence while requests are active (zero: never);
  // the connection dies if the ack takes longer than keepalive_timeout.
  Millis keepalive_time{0};
  Millis keepalive_timeout{20 * 1000};
  // The server's SETTINGS must arrive this soon after start(), or the
  // connection closes (zero: no limit). A peer that accepts TCP and never
  // speaks HTTP/2 would otherwise hold every request forever.
  Millis handshake_timeout{0};
};

class Http2ClientConnection final : public ClientConnection,
                                    public Http2Session,
                                    public std::enable_shared_from_this<Http2ClientConnection> {
 public:
  // Starts HTTP/2 on `stream` (the connection preface goes out at once).
  // Throws std::runtime_error if nghttp2 cannot set up a session.
  static std::shared_ptr<Http2ClientConnection> start(std::unique_ptr<net::ByteStream> stream,
                                                      const Http2ClientOptions& options = {});
  ~Http2ClientConnection() override;

  std::shared_ptr<ClientExchange> open(RequestHead head, bool end_stream = false) override;
  // True once the server's SETTINGS arrived (it speaks HTTP/2).
  asio::awaitable<bool> wait_connected() override;
  bool is_open() const override { return !closed_ && !closing_ && !goaway_ && !exhausted_; }
  std::size_t active_requests() const override { return streams_.size(); }
  // GOAWAY(NO_ERROR), then the socket closes; open exchanges fail.
  void close() override;
  HttpVersion version() const override { return HttpVersion::kHttp2; }
  asio::any_io_executor executor() const override { return executor_; }
  // The server said GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings"): a channel
  // should double keepalive_time for its next connections.
  bool told_too_many_pings() const override { return told_too_many_pings_; }
  // Closed because the server's SETTINGS did not come within handshake_timeout.
  bool handshake_timed_out() const { return handshake_timed_out_; }
  std::string failure() const override {
    if (!handshake_timed_out_) return {};
    return "no HTTP/2 handshake within " + std::to_string(options_.handshake_timeout.count()) +
           " ms";
  }

  // For Http2ClientStream.
  const Http2ClientOptions& options() const { return options_; }
  // The caller read `size` body bytes of stream `id`: the server may send more.
  void consumed(std::int32_t id, std::size_t size);

  int on_begin_headers(const nghttp2_frame* frame) override;
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value) override;
  int on_frame_recv(const nghttp2_frame* frame) override;
  bool on_stream_data(std::int32_t id, const std::uint8_t* data, std::size_t length) override;
  std::size_t on_stream_close(std::int32_t id, std::uint32_t error_code) override;
  ssize_t read_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                    std::uint32_t* data_flags);

 private:
  Http2ClientConnection(std::unique_ptr<net::ByteStream> stream, const Http2ClientOptions& options);
  Clock::time_point next_timer_deadline() const override;
  bool on_timer(Clock::time_point now) override;
  void after_close() override;
  Http2ClientStream* find_stream(std::int32_t id);
  bool on_goaway(const nghttp2_goaway& goaway);  // false: an nghttp2 call failed
  void on_ping_ack(const nghttp2_ping& ping);
  // Detaches every stream, failing those without a complete response.
  void fail_streams(ResetReason reason);
  bool keepalive_enabled() const { return options_.keepalive_time.count() > 0; }

  Http2ClientOptions options_;
  // Requests nghttp2 knows of (sent or held back by the stream limit).
  std::unordered_map<std::int32_t, std::shared_ptr<Http2ClientStream>> streams_;

  net::Event connected_;
  bool settings_received_ = false;
  bool closing_ = false;    // close() called: GOAWAY being flushed
  bool goaway_ = false;     // the server is shutting down: no new requests here
  bool exhausted_ = false;  // no stream IDs left
  bool told_too_many_pings_ = false;
  bool handshake_timed_out_ = false;

  // last_read_ counts from when requests became active, if later.
  std::optional<Clock::time_point> ping_sent_;
  std::optional<Clock::time_point> force_close_at_;
  std::optional<Clock::time_point> handshake_deadline_;  // until SETTINGS arrive
};

}  // namespace triplex::http
