#pragma once
// One HTTP request/response on any HTTP version, as the RPC layer sees it:
// request head, a streamed request body, a response head, a streamed
// response body and trailers. HTTP/1.1, HTTP/2 and HTTP/3 each implement it;
// nothing above src/http knows which one it got, it asks capabilities.
//
// Concurrency: an Exchange lives on its connection's worker; call it only
// from coroutines on that executor. It stays valid (shared_ptr) after the
// connection is gone; operations then fail as if the stream was reset.
#include <asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "src/http/headers.h"
#include "src/net/byte_stream.h"
#include "triplex/rpc_types.h"

namespace triplex::http {

// Why a stream ended abnormally; each version maps these to its own codes.
enum class ResetReason : std::uint8_t {
  kNone,
  kCancel,           // HTTP/2 CANCEL, HTTP/3 H3_REQUEST_CANCELLED
  kRefused,          // REFUSED_STREAM / H3_REQUEST_REJECTED
  kInternal,         // INTERNAL_ERROR / H3_INTERNAL_ERROR
  kEnhanceYourCalm,  // ENHANCE_YOUR_CALM / H3_EXCESSIVE_LOAD
  kProtocol,         // PROTOCOL_ERROR / H3_MESSAGE_ERROR
  kConnectionLost,   // the connection went away
};

// What an exchange can carry; protocols choose their framing from this.
struct ExchangeCapabilities {
  // Real HTTP trailers can follow the body. (Every version streams both ways
  // at once: HTTP/1.1 requests and responses are both chunked streams.)
  bool trailers = true;
  HttpVersion version = HttpVersion::kAuto;  // for logs and metrics only
};

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const RequestHead& request() const = 0;
  virtual const net::PeerInfo& peer() const = 0;
  virtual ExchangeCapabilities capabilities() const = 0;
  // The worker this exchange (and its connection) lives on.
  virtual asio::any_io_executor executor() const = 0;

  // Appends the next request-body bytes to `out`. Returns false at the end of
  // the body (nothing appended). Throws ExchangeReset if the stream was reset.
  // Reading is what grants the peer flow-control credit: an unread body
  // stops the peer instead of growing our buffers.
  virtual asio::awaitable<bool> read(std::string& out) = 0;

  // Starts the response. Must come before write()/finish().
  virtual void send_head(ResponseHead head) = 0;
  // Queues body bytes; suspends while too much is queued for the peer.
  // Throws ExchangeReset if the stream was reset.
  virtual asio::awaitable<void> write(std::string data) = 0;
  // Queues body bytes without suspending: for the last bytes of a response
  // (a trailer frame, a buffered body), where nothing would follow a wait.
  virtual void queue(std::string data) = 0;
  // Ends the response, with trailers when there are any.
  virtual void finish(Headers trailers) = 0;
  // A complete response with no body (gRPC Trailers-Only, 415, ...).
  virtual void respond(ResponseHead head) = 0;
  // Abandons the stream (RST_STREAM / RESET_STREAM+STOP_SENDING).
  virtual void reset(ResetReason reason) = 0;

  // Added by the HTTP layer to whatever response head this exchange sends
  // (CORS, Alt-Svc): set before the response starts.
  Headers extra_response_headers;

  // Set by the consumer: called once when the peer resets the stream or the
  // connection dies before the response finished.
  std::function<void(ResetReason)> on_reset;

  // TLS 1.3 / QUIC 0-RTT: the request arrived as early data, which an
  // attacker can replay. Only HTTP/3 ever says true.
  virtual bool is_early_data() const { return false; }
  // Completes once the handshake is confirmed (the request can no longer be a
  // replay); false if the connection died first.
  virtual asio::awaitable<bool> wait_for_handshake() { co_return true; }

  virtual bool is_reset() const = 0;
  virtual bool head_sent() const = 0;
};

struct ExchangeReset : std::exception {
  explicit ExchangeReset(ResetReason r, std::string why = {}) : reason(r), detail(std::move(why)) {}
  const char* what() const noexcept override { return "stream reset"; }
  ResetReason reason;
  // What happened, when the HTTP layer knows more than the reason tells
  // ("malformed HTTP/1.1 response: ..."); empty otherwise.
  std::string detail;
};

// The application's entry point: called once per request, on its worker.
using ExchangeHandler = std::function<void(std::shared_ptr<Exchange>)>;

// Tells an exchange's consumer (on_reset) of a reset from a later turn on its
// worker: for resets that happen inside one of the consumer's own calls.
void post_reset_notice(std::shared_ptr<Exchange> exchange, ResetReason reason);

// How every connection calls the handler: if it throws, that request alone
// gets a 500 (or a reset, once its head went out) and the exception is
// logged. Never throws: connections call it from inside nghttp2/nghttp3
// callbacks, which an exception must not unwind through.
void run_handler(const ExchangeHandler& handler, const std::shared_ptr<Exchange>& exchange);

}  // namespace triplex::http
