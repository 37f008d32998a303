#pragma once
// What the HTTP/2 client and server connections share: the nghttp2 session
// with its options, first SETTINGS and connection window; the read, write
// and timer loops over a ByteStream; connection-level flow control; and the
// check of every nghttp2 return. Each side adds its own frames' meaning
// (Http2ServerConnection, Http2ClientConnection).
//
// Concurrency: lives on its stream's executor; call it only there.
#include <nghttp2/nghttp2.h>

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "src/net/byte_stream.h"
#include "src/net/event.h"

namespace triplex::http {

// The settings and limits a side gives its session.
struct Http2SessionSetup {
  std::uint32_t stream_window = 0;
  std::uint32_t connection_window = 0;
  std::uint32_t max_header_list_size = 0;
  std::uint32_t max_concurrent_streams = 0;  // zero: not announced (the client)
  std::size_t max_continuations = 8;
  // RST_STREAM from the peer per second, and the burst allowed (zero: nghttp2's default).
  std::uint64_t reset_burst = 0;
  std::uint64_t reset_rate = 0;
};

class Http2Session {
 public:
  using Clock = std::chrono::steady_clock;

  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  nghttp2_session* session() { return session_; }
  const net::PeerInfo& peer() const { return stream_->peer(); }
  void want_write() { write_event_.notify(); }
  // Logs a failed nghttp2 call of ours; true when it succeeded.
  bool checked(int rv, const char* call);
  // The application read `size` body bytes of stream `id`: the peer may
  // send as much again. Returns nghttp2's result, for the caller to check.
  int consume(std::int32_t id, std::size_t size);
  // Closes the socket at once; the side fails what was in flight.
  void close_now();

  // nghttp2's callbacks, for the side.
  virtual int on_begin_headers(const nghttp2_frame* frame) = 0;
  virtual int on_header(const nghttp2_frame* frame, std::string_view name,
                        std::string_view value) = 0;
  virtual int on_frame_recv(const nghttp2_frame* frame) = 0;
  virtual int on_frame_send(const nghttp2_frame*) { return 0; }
  // Body bytes for stream `id`; false when nobody will read them (the
  // session then gives their connection-level credit back).
  virtual bool on_stream_data(std::int32_t id, const std::uint8_t* data, std::size_t length) = 0;
  // The stream closed; returns the bytes it had received and nobody read,
  // whose connection-level credit the session gives back.
  virtual std::size_t on_stream_close(std::int32_t id, std::uint32_t error_code) = 0;

 protected:
  // `side` names the connection in logs ("server" or "client").
  Http2Session(std::unique_ptr<net::ByteStream> stream, const char* side);
  virtual ~Http2Session();

  // Creates the session and queues the first SETTINGS and WINDOW_UPDATE.
  bool init_session(bool server, const Http2SessionSetup& setup);
  // Starts the read, write and timer loops; they hold `self` until they end.
  // `preread`: bytes already read from the stream (a server's sniffed preface).
  static void start_loops(const std::shared_ptr<Http2Session>& self, std::string preread);

  // The side's timers: when to wake next, and what to do then (false: stop).
  virtual Clock::time_point next_timer_deadline() const = 0;
  virtual bool on_timer(Clock::time_point now) = 0;
  // After close_now() closed the socket: fail or detach the streams.
  virtual void after_close() = 0;

  std::unique_ptr<net::ByteStream> stream_;
  asio::any_io_executor executor_;
  nghttp2_session* session_ = nullptr;
  net::Event write_event_;
  asio::steady_timer timer_;
  bool closed_ = false;        // the socket is closed
  bool reading_done_ = false;  // the peer hung up or sent what ends the session
  bool failing_ = false;       // the side queued its final GOAWAY: read no further frames
  Clock::time_point last_read_;

  static constexpr std::uint8_t kKeepalivePingData[8] = {'k', 'e', 'e', 'p', 'a', 'l', 'i', 'v'};

 private:
  asio::awaitable<void> read_loop(std::shared_ptr<Http2Session> keep, std::string preread);
  asio::awaitable<void> write_loop(std::shared_ptr<Http2Session> keep);
  asio::awaitable<void> timer_loop(std::shared_ptr<Http2Session> keep);
  // Feeds received bytes to nghttp2; false on a protocol error or flood
  // (nghttp2 has queued the GOAWAY).
  bool receive(const char* data, std::size_t size);

  const char* side_;
};

}  // namespace triplex::http
