#pragma once
// A server-side HTTP/2 connection on nghttp2: reads frames from a ByteStream,
// turns request streams into Http2Stream exchanges, writes what nghttp2
// queues, and runs gRPC-style keepalive, ping policing, idle/age limits and
// graceful two-phase GOAWAY. Lives on one worker; no locking.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "src/http/connection_options.h"
#include "src/http/exchange.h"
#include "src/http/h2/http2_session.h"
#include "src/http/server_connection.h"

namespace triplex::http {

class Http2Stream;

class Http2ServerConnection final : public ServerConnection,
                                    public Http2Session,
                                    public std::enable_shared_from_this<Http2ServerConnection> {
 public:
  // `preread` holds bytes already taken from the stream (the client preface).
  static std::shared_ptr<Http2ServerConnection> start(std::unique_ptr<net::ByteStream> stream,
                                                      std::string preread,
                                                      const ConnectionOptions& options,
                                                      ExchangeHandler handler);
  ~Http2ServerConnection() override;

  void drain() override;
  asio::any_io_executor executor() override { return executor_; }

  // For Http2Stream.
  const ConnectionOptions& options() const { return options_; }
  // Ends the connection with GOAWAY(error_code) once it is flushed.
  void fail(std::uint32_t error_code, std::string_view debug);

  int on_begin_headers(const nghttp2_frame* frame) override;
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value) override;
  int on_frame_recv(const nghttp2_frame* frame) override;
  int on_frame_send(const nghttp2_frame* frame) override;
  bool on_stream_data(std::int32_t id, const std::uint8_t* data, std::size_t length) override;
  std::size_t on_stream_close(std::int32_t id, std::uint32_t error_code) override;

 private:
  Http2ServerConnection(std::unique_ptr<net::ByteStream> stream, const ConnectionOptions& options,
                        ExchangeHandler handler);
  Clock::time_point next_timer_deadline() const override;
  bool on_timer(Clock::time_point now) override;
  void after_close() override;
  Http2Stream* find_stream(std::int32_t id);
  void on_ping(const nghttp2_frame* frame);
  void begin_graceful_goaway();
  void send_final_goaway();
  // The response to stream `id` ended before its request: drop the rest of
  // the request for a while (early_answer_discard), then reset the stream.
  void discard_rest_of_request(std::int32_t id);
  // RST_STREAM(NO_ERROR) for a stream answered early whose request has not ended.
  bool stop_discarding(std::int32_t id);

  ConnectionOptions options_;
  ExchangeHandler handler_;
  std::unordered_map<std::int32_t, std::shared_ptr<Http2Stream>> streams_;  // ownership
  // Streams answered early, oldest first, with when their discarding ends.
  std::deque<std::pair<Clock::time_point, std::int32_t>> discarding_;

  Clock::time_point created_;
  Clock::time_point idle_since_;
  std::optional<Clock::time_point> keepalive_ping_sent_;
  std::optional<Clock::time_point> last_client_ping_;
  int ping_strikes_ = 0;

  // Floods nghttp2 does not stop, or stops with a code of its choosing.
  struct TokenBucket {
    double tokens;
    Clock::time_point refilled;
    // False when the burst is spent at this rate (per second).
    bool take(Clock::time_point now, double burst, double rate);
  };
  TokenBucket resets_;      // RST_STREAM from the client (rapid reset)
  TokenBucket empty_data_;  // DATA frames with no data that do not end the stream

  // Graceful GOAWAY: notice sent, then the final GOAWAY after a PING round trip.
  enum class Goaway { kNone, kNoticeSent, kFinalSent } goaway_ = Goaway::kNone;
  std::optional<Clock::time_point> notice_sent_at_;
  std::optional<Clock::time_point> force_close_at_;
};

}  // namespace triplex::http
