#pragma once
// A server-side HTTP/1.1 (and 1.0) connection: reads one request at a time
// from a ByteStream, hands it to the ExchangeHandler as an Http1Exchange,
// writes its response, and only then parses the next one, so pipelined
// requests are answered in order (their bytes wait in the input buffer).
//
// Strict parsing, because framing leniency is a request-smuggling hazard:
// malformed or ambiguous heads and chunked bodies get `400 Bad Request`
// (so does a Transfer-Encoding whose last coding is not chunked), a request
// line plus header section larger than max_header_list_size gets `431
// Request Header Fields Too Large` (one answer for both), versions other
// than 1.0/1.1 get 505, codings before chunked and CONNECT get 501; each
// with `connection: close`, then the connection closes.
//
// Timers: the request head must arrive within Http1Timeouts::header_read of
// the connection start (first request) or of its first byte (later ones),
// else 408 (or a silent close if nothing came); a keep-alive connection
// waiting for its next request closes after ConnectionOptions::idle_timeout;
// a handler waiting in read() while no body bytes arrive for body_idle is
// reset (kCancel), the client gets 408 if no response started, and the
// connection closes.
//
// A client EOF closes the connection: the exchange in flight is reset with
// kConnectionLost, as an HTTP/2 stream is when its connection goes away.
// Our own closes half-close first and drop input until the client's EOF
// (briefly), so that unread input does not turn the close into a RST that
// destroys the last response.
//
// Lives on one worker; no locking. Owned by shared_ptr (its coroutines hold
// references); the exchange in flight may outlive it and then fails like a
// reset stream.
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "src/http/connection_options.h"
#include "src/http/exchange.h"
#include "src/http/h1/http1_parser.h"
#include "src/http/server_connection.h"
#include "src/net/byte_stream.h"
#include "src/net/event.h"

namespace triplex::http {

class Http1Exchange;

// Until ConnectionOptions carries them.
inline constexpr Millis kHeaderReadTimeout{10'000};
inline constexpr Millis kBodyIdleTimeout{30'000};

// The HTTP/1.1-only timers (slow heads, stalled bodies), separate so tests can
// shorten them. A plain value, copied into each connection.
struct Http1Timeouts {
  Millis header_read = kHeaderReadTimeout;
  Millis body_idle = kBodyIdleTimeout;
};

class Http1ServerConnection final : public ServerConnection,
                                    public std::enable_shared_from_this<Http1ServerConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  // `preread` holds bytes already taken from the stream (protocol sniffing).
  static std::shared_ptr<Http1ServerConnection> start(std::unique_ptr<net::ByteStream> stream,
                                                      std::string preread,
                                                      const ConnectionOptions& options,
                                                      ExchangeHandler handler,
                                                      Http1Timeouts timeouts = {});
  ~Http1ServerConnection() override;

  // Finishes the exchange in flight (its response says `connection: close`
  // if not yet sent), then closes; an idle connection closes at once.
  void drain() override;
  asio::any_io_executor executor() override { return stream_->executor(); }

  // For Http1Exchange.
  const net::PeerInfo& peer() const { return stream_->peer(); }
  const ConnectionOptions& options() const { return options_; }
  bool keep_alive() const { return keep_alive_; }
  void disable_keep_alive() { keep_alive_ = false; }
  // Queues response bytes, in order.
  void enqueue(std::string bytes);
  // Bytes queued and not yet written.
  std::size_t queued() const { return queued_; }
  // The exchange's response is complete once the queue drains.
  void end_response();
  // The exchange gave up (reset, framing error): close now.
  void abort();
  // The handler took buffered body bytes: reading may resume.
  void body_consumed();
  // The handler is about to wait for body bytes: the body-idle timer starts.
  void waiting_for_body();

 private:
  enum class Phase : std::uint8_t {
    kHead,      // waiting for a request head
    kBody,      // the exchange's request body is arriving
    kResponse,  // request complete; waiting for its response to be written
    kRejected,  // an error response is being flushed
  };

  Http1ServerConnection(std::unique_ptr<net::ByteStream> stream, const ConnectionOptions& options,
                        ExchangeHandler handler, Http1Timeouts timeouts);
  asio::awaitable<void> read_loop(std::string preread);
  asio::awaitable<void> write_loop();
  asio::awaitable<void> timer_loop();
  bool want_read() const;
  void process_input();
  void start_exchange();
  void decode_body();
  void finish_exchange();
  // Answers `status` with `reason` as its body, then closes.
  void reject(int status, std::string_view reason);
  void on_timer(Clock::time_point now);
  Clock::time_point next_deadline() const;
  void rearm_timer();
  void begin_close();
  void close();

  std::unique_ptr<net::ByteStream> stream_;
  ConnectionOptions options_;
  ExchangeHandler handler_;
  Http1Timeouts timeouts_;

  Phase phase_ = Phase::kHead;
  std::string inbuf_;  // read, not yet parsed
  Http1HeadParser head_parser_;
  Http1BodyDecoder body_decoder_;
  std::shared_ptr<Http1Exchange> current_;
  bool keep_alive_ = true;
  bool draining_ = false;

  std::deque<std::string> out_;
  std::size_t queued_ = 0;
  bool response_done_ = false;
  bool close_after_flush_ = false;

  net::Event read_event_;
  net::Event write_event_;
  asio::steady_timer timer_;
  Clock::time_point armed_ = Clock::time_point::max();
  bool closing_ = false;  // response flushed, lingering for the peer's EOF
  bool closed_ = false;

  std::optional<Clock::time_point> request_started_;  // header-read clock
  Clock::time_point idle_since_;
  Clock::time_point body_progress_;
  std::optional<Clock::time_point> force_close_at_;
};

}  // namespace triplex::http
