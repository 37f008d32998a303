#pragma once
// A client-side HTTP/1.1 connection over a connected ByteStream (plain TCP,
// or TLS with ALPN http/1.1): one request at a time. Requests opened while
// another is in flight wait in order and go out once the previous response
// is complete (keep-alive reuse); the response framing decides whether the
// connection can be reused at all. HTTP/1.1 cannot abandon one request
// without abandoning the connection, so a reset, a malformed response
// (ExchangeReset(kProtocol); kConnectionLost when the reply is not HTTP/1.x
// at all, with the parser's reason as detail) or a request body that breaks
// its own framing closes it. Requests that were never written fail with kRefused, which
// callers may safely retry elsewhere; a request on the wire when the
// connection dies fails with kConnectionLost.
//
// A read loop always reads, also between requests, so that a server closing
// an idle connection is noticed (is_open() turns false) before a request is
// wasted on it; bytes arriving with no request outstanding are an error.
// Reading stops while the caller leaves max_buffered_body unread.
//
// Concurrency: lives on its stream's executor; call it only there. Owned by
// its user: dropping the last reference closes it. Exchanges outlive it
// (failing as if reset); an exchange its caller drops before it completed
// is reset (kCancel), so that it does not block the requests behind it.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "src/http/client_connection.h"
#include "src/http/h1/http1_response_parser.h"
#include "src/net/byte_stream.h"
#include "src/net/event.h"

namespace triplex::http {

class Http1ClientExchange;

struct Http1ClientOptions {
  std::size_t max_head_size = 64 * 1024;  // status line + header section (at most 80 KiB)
  std::size_t max_trailer_size = 16 * 1024;
  // write() suspends while more than this is written and not yet on the socket.
  std::size_t write_buffer = 64 * 1024;
  // Response-body bytes held for a caller that does not read; beyond this
  // the socket is left unread (TCP flow control stops the server).
  std::size_t max_buffered_body = 256 * 1024;
};

class Http1ClientConnection final : public ClientConnection,
                                    public std::enable_shared_from_this<Http1ClientConnection> {
 public:
  // Starts HTTP/1.1 on `stream`; nothing is sent until a request is opened.
  static std::shared_ptr<Http1ClientConnection> start(std::unique_ptr<net::ByteStream> stream,
                                                      const Http1ClientOptions& options = {});
  ~Http1ClientConnection() override;

  // Sends a request, at once or after the requests opened before it.
  // `end_stream`: no body (POST and PUT then say `content-length: 0`).
  std::shared_ptr<ClientExchange> open(RequestHead head, bool end_stream = false) override;
  // The stream is connected already: true unless the connection is closed.
  asio::awaitable<bool> wait_connected() override;
  // False once closed, or once a response or request said `connection: close`.
  bool is_open() const override { return !closed_ && !last_request_; }
  std::size_t active_requests() const override;
  // Closes the socket: the request in flight fails with kConnectionLost,
  // waiting ones with kRefused.
  void close() override;
  HttpVersion version() const override { return HttpVersion::kHttp1; }
  asio::any_io_executor executor() const override { return executor_; }
  const net::PeerInfo& peer() const { return stream_->peer(); }

  // For Http1ClientExchange.
  const Http1ClientOptions& options() const { return options_; }
  // Queues request bytes of the exchange in flight, in order.
  void enqueue(std::string bytes);
  // Bytes queued and not yet handed to the socket.
  std::size_t queued() const { return queued_; }
  // The exchange was reset (by its caller, or for a framing error).
  void on_exchange_reset(Http1ClientExchange* exchange);
  // The caller read buffered body bytes: reading may resume.
  void on_body_consumed();

 private:
  Http1ClientConnection(std::unique_ptr<net::ByteStream> stream, const Http1ClientOptions& options);
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  bool want_read() const;
  void process_input();
  void on_eof();
  // The exchange in flight has its whole response (and request): next one.
  void complete_current();
  void start_next();
  // No more requests will go out here: the waiting ones fail as refused.
  void refuse_waiting();
  // Closes the socket; `reason` and `detail` for the exchange in flight
  // (kRefused if no byte of it reached the socket).
  void fail(ResetReason reason, std::string detail = {});

  std::unique_ptr<net::ByteStream> stream_;
  asio::any_io_executor executor_;
  Http1ClientOptions options_;
  Http1ResponseParser parser_;

  std::shared_ptr<Http1ClientExchange> current_;
  std::deque<std::shared_ptr<Http1ClientExchange>> waiting_;
  std::uint64_t current_offset_ = 0;  // request bytes queued before current_'s head
  bool last_request_ = false;         // a `connection: close` was sent or received

  std::string inbuf_;  // read, not yet parsed
  net::Event read_event_;

  std::deque<std::string> out_;
  std::size_t queued_ = 0;
  std::uint64_t enqueued_total_ = 0;
  std::uint64_t handed_total_ = 0;  // handed to a socket write, finished or not
  bool write_failed_ = false;
  net::Event write_event_;

  bool closed_ = false;
};

}  // namespace triplex::http
