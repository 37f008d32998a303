#pragma once
// What both ends of an HTTP/3 connection do the same way: nghttp3 on top of
// one QuicConnection. It feeds nghttp3 what QUIC receives (returning credit
// for framing at once, for body bytes only when the application consumes
// them), feeds QUIC what nghttp3 writes, passes acknowledgements, stream
// closes, resets and flow-control events between the two, and opens the
// control and QPACK streams. Http3ServerConnection and Http3ClientConnection
// add requests or responses on top.
//
// Concurrency: lives on its QUIC connection's worker; no locking.
#include <nghttp3/nghttp3.h>

#include <memory>
#include <optional>

#include "src/net/quic/quic_connection.h"

namespace triplex::http {

class Http3Session : public net::quic::QuicApplication {
 public:
  nghttp3_conn* session() { return h3_; }
  void want_write() { quic_->schedule_write(); }
  // The application read `size` body bytes of stream `id`: the peer may
  // send as many more.
  void consume(std::int64_t id, std::size_t size);
  // RESET_STREAM and STOP_SENDING with `app_error_code`.
  void reset_stream(std::int64_t id, std::uint64_t app_error_code);
  // A call of ours into ngtcp2/nghttp3 failed (`error` is its strerror):
  // logged, and the connection closes with H3_INTERNAL_ERROR. Returns false.
  // Inside ngtcp2's callbacks the caller then returns its failure; outside
  // them it calls close_failed() to send the CONNECTION_CLOSE.
  bool call_failed(const char* call, const char* error);
  void close_failed();

  // net::quic::QuicApplication: the plumbing between QUIC and nghttp3.
  bool on_stream_data(std::int64_t id, const std::uint8_t* data, std::size_t size,
                      bool fin) override;
  bool on_stream_acked(std::int64_t id, std::uint64_t size) override;
  bool on_stream_close(std::int64_t id, std::optional<std::uint64_t> app_error_code) override;
  bool on_stream_reset(std::int64_t id, std::uint64_t app_error_code) override;
  bool on_stream_stop_sending(std::int64_t id, std::uint64_t app_error_code) override;
  bool on_stream_writable(std::int64_t id) override;
  std::ptrdiff_t pull_stream_data(std::int64_t& id, bool& fin, ngtcp2_vec* vec,
                                  std::size_t capacity) override;
  bool on_stream_data_written(std::int64_t id, std::size_t size) override;
  void on_stream_blocked(std::int64_t id) override;
  void on_stream_write_closed(std::int64_t id) override;

 protected:
  friend struct Http3SessionCallbacks;
  explicit Http3Session(std::shared_ptr<net::quic::QuicConnection> quic);
  ~Http3Session() override;

  // nghttp3 callbacks every session needs; the rest are the subclass's.
  static void add_common_callbacks(nghttp3_callbacks& callbacks);
  // Opens our control and QPACK streams and binds them.
  bool bind_local_streams();
  // Sets the QUIC error from an nghttp3 error; returns false.
  bool fail(int liberr);

  // Hooks for the subclass.
  virtual void on_peer_reset(std::int64_t id, std::uint64_t app_error_code) = 0;
  virtual void on_body_acked(std::int64_t id, std::uint64_t size) = 0;
  // Every byte of stream `id` and its FIN went to QUIC.
  virtual void on_stream_fin_written(std::int64_t) {}
  // A stream nghttp3 never saw a byte of closed.
  virtual void on_unknown_stream_closed(std::int64_t) {}
  // nghttp3 stopped reading / writing stream `id` (we asked it to).
  bool send_stop_sending(std::int64_t id, std::uint64_t app_error_code);
  bool send_reset(std::int64_t id, std::uint64_t app_error_code);

  std::shared_ptr<net::quic::QuicConnection> quic_;
  nghttp3_conn* h3_ = nullptr;
  bool closed_ = false;

 private:
  // What pull_stream_data() last offered, to see when a stream's FIN is out.
  std::int64_t offered_id_ = -1;
  std::size_t offered_size_ = 0;
  bool offered_fin_ = false;
};

}  // namespace triplex::http
