#pragma once
// A server-side HTTP/2 connection on nghttp2: reads frames from a ByteStream,
// turns request streams into Http2Stream exchanges, writes what nghttp2
// queues, and runs gRPC-style keepalive, ping policing, idle/age limits and
// graceful two-phase GOAWAY. Lives on one worker; no locking.
#include <nghttp2/nghttp2.h>

#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "src/http/connection_options.h"
#include "src/http/exchange.h"
#include "src/http/server_connection.h"
#include "src/net/byte_stream.h"
#include "src/net/event.h"

namespace triplex::http {

class Http2Stream;

class Http2ServerConnection final : public ServerConnection,
                                    public std::enable_shared_from_this<Http2ServerConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  // `preread` holds bytes already taken from the stream (the client preface).
  static std::shared_ptr<Http2ServerConnection> start(std::unique_ptr<net::ByteStream> stream,
                                                      std::string preread,
                                                      const ConnectionOptions& options,
                                                      ExchangeHandler handler);
  ~Http2ServerConnection() override;

  void drain() override;
  asio::any_io_executor executor() override { return stream_->executor(); }

  // For Http2Stream.
  nghttp2_session* session() { return session_; }
  const net::PeerInfo& peer() const { return stream_->peer(); }
  const ConnectionOptions& options() const { return options_; }
  void want_write() { write_event_.notify(); }
  // Ends the connection with GOAWAY(error_code) once it is flushed.
  void fail(std::uint32_t error_code, std::string_view debug);

  // nghttp2 callbacks (called through tiny free functions).
  int on_begin_headers(const nghttp2_frame* frame);
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t length);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  int on_frame_send(const nghttp2_frame* frame);

 private:
  Http2ServerConnection(std::unique_ptr<net::ByteStream> stream, const ConnectionOptions& options,
                        ExchangeHandler handler);
  bool init_session();
  asio::awaitable<void> read_loop(std::string preread);
  asio::awaitable<void> write_loop();
  asio::awaitable<void> timer_loop();
  Http2Stream* find_stream(std::int32_t id);
  void on_ping(const nghttp2_frame* frame);
  void begin_graceful_goaway();
  void send_final_goaway();
  void close();
  // Logs a failed nghttp2 call of ours; true when it succeeded.
  bool checked(int rv, const char* call);
  Clock::time_point next_timer_deadline() const;

  std::unique_ptr<net::ByteStream> stream_;
  ConnectionOptions options_;
  ExchangeHandler handler_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, std::shared_ptr<Http2Stream>> streams_;  // ownership

  net::Event write_event_;
  asio::steady_timer timer_;
  bool closed_ = false;
  bool reading_done_ = false;

  Clock::time_point created_;
  Clock::time_point last_read_;
  Clock::time_point idle_since_;
  std::optional<Clock::time_point> keepalive_ping_sent_;
  std::optional<Clock::time_point> last_client_ping_;
  int ping_strikes_ = 0;

  // Graceful GOAWAY: notice sent, then the final GOAWAY after a PING round trip.
  enum class Goaway { kNone, kNoticeSent, kFinalSent } goaway_ = Goaway::kNone;
  std::optional<Clock::time_point> notice_sent_at_;
  std::optional<Clock::time_point> force_close_at_;
};

}  // namespace triplex::http
