#include "src/http/h1/http1_server_connection.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <vector>

#include "src/http/h1/http1_exchange.h"
#include "src/http/h1/write_batch.h"
#include "src/net/deadline.h"
#include "src/net/spawn.h"

namespace triplex::http {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBuffer = 32 * 1024;
// Unread request body beyond which the socket is left unread (backpressure).
constexpr std::size_t kMaxBufferedBody = 256 * 1024;
// Pipelined bytes held while a response is in progress.
constexpr std::size_t kMaxPipelined = 64 * 1024;
// After the last response, read (and drop) the peer's input until its EOF, for
// at most this long or this much: closing with unread input would send a RST,
// which can destroy the response before the client has read it.
constexpr Millis kLingerTime{2000};
constexpr std::size_t kLingerBytes = 1 << 20;

using Clock = Http1ServerConnection::Clock;

}  // namespace

std::shared_ptr<Http1ServerConnection> Http1ServerConnection::start(
    std::unique_ptr<net::ByteStream> stream, std::string preread, const ConnectionOptions& options,
    ExchangeHandler handler, Http1Timeouts timeouts) {
  std::shared_ptr<Http1ServerConnection> conn(
      new Http1ServerConnection(std::move(stream), options, std::move(handler), timeouts));
  auto ex = conn->stream_->executor();
  auto end = [conn] { conn->close(); };
  asio::co_spawn(ex, conn->read_loop(std::move(preread)),
                 net::end_on_exception("HTTP/1.1 server read", end));
  asio::co_spawn(ex, conn->write_loop(), net::end_on_exception("HTTP/1.1 server write", end));
  asio::co_spawn(ex, conn->timer_loop(), net::end_on_exception("HTTP/1.1 server timer", end));
  return conn;
}

Http1ServerConnection::Http1ServerConnection(std::unique_ptr<net::ByteStream> stream,
                                             const ConnectionOptions& options,
                                             ExchangeHandler handler, Http1Timeouts timeouts)
    : stream_(std::move(stream)),
      options_(options),
      handler_(std::move(handler)),
      timeouts_(timeouts),
      head_parser_(options.max_header_list_size),
      read_event_(stream_->executor()),
      write_event_(stream_->executor()),
      timer_(stream_->executor()),
      request_started_(Clock::now()),
      idle_since_(*request_started_),
      body_progress_(idle_since_) {}

Http1ServerConnection::~Http1ServerConnection() {
  if (current_) current_->detach();
}

asio::awaitable<void> Http1ServerConnection::read_loop(std::string preread) {
  auto keep = shared_from_this();
  // Let start() return first: its caller sets on_closed, and a handler run
  // from here could close the connection.
  co_await asio::post(stream_->executor(), asio::use_awaitable);
  inbuf_ = std::move(preread);
  process_input();
  std::string buffer(kReadBuffer, '\0');
  std::size_t lingered = 0;
  while (!closed_) {
    if (!want_read()) {
      co_await read_event_.wait();
      continue;
    }
    std::size_t n = co_await stream_->read_some(asio::buffer(buffer));
    if (closed_) break;
    if (n == 0) {  // EOF or error: whatever is in flight is lost
      close();
      break;
    }
    if (closing_) {
      if ((lingered += n) > kLingerBytes) close();
      continue;
    }
    inbuf_.append(buffer.data(), n);
    process_input();
  }
}

bool Http1ServerConnection::want_read() const {
  if (closed_) return false;
  if (closing_) return true;
  switch (phase_) {
    case Phase::kHead:  // bounded: the head parser fails past max_header_list_size
      return true;
    case Phase::kBody:
      return !current_ || current_->buffered() < kMaxBufferedBody;
    case Phase::kResponse:  // keep noticing EOF, hold a little of the next request
      return inbuf_.size() < kMaxPipelined;
    case Phase::kRejected:
      return false;
  }
  return false;
}

void Http1ServerConnection::process_input() {
  while (!closed_ && !closing_) {
    if (phase_ == Phase::kBody) {
      decode_body();
      return;
    }
    if (phase_ != Phase::kHead || inbuf_.empty()) return;
    if (!request_started_) {
      request_started_ = Clock::now();
      rearm_timer();
    }
    switch (head_parser_.parse(inbuf_)) {
      case Http1HeadParser::State::kNeedMore:
        return;
      case Http1HeadParser::State::kError:
        reject(head_parser_.error_status(), head_parser_.error_reason());
        return;
      case Http1HeadParser::State::kDone:
        start_exchange();
        break;
    }
  }
}

void Http1ServerConnection::start_exchange() {
  Http1Request request = std::move(head_parser_.request());
  inbuf_.erase(0, head_parser_.consumed());
  head_parser_.reset();
  request.head.scheme = peer().tls ? "https" : "http";
  keep_alive_ = request.keep_alive && !draining_;
  bool has_body = request.framing.kind != Http1Framing::Kind::kNone;
  body_decoder_ = Http1BodyDecoder(request.framing, options_.max_header_list_size);
  auto exchange = std::make_shared<Http1Exchange>(this, std::move(request), executor());
  current_ = exchange;
  request_started_.reset();
  body_progress_ = Clock::now();
  phase_ = has_body ? Phase::kBody : Phase::kResponse;
  // Body bytes that came with the head are the handler's before it starts, so
  // that an immediate respond() can keep the connection.
  if (has_body) {
    decode_body();
  } else {
    exchange->on_body_end();
  }
  if (current_ != exchange) return;  // the body was malformed: already rejected
  run_handler(handler_, exchange);
}

void Http1ServerConnection::decode_body() {
  if (inbuf_.empty()) return;
  auto exchange = current_;
  std::string dropped;  // no exchange left to take it
  std::string& sink = exchange ? exchange->inbound() : dropped;
  std::size_t before = sink.size();
  std::string_view in(inbuf_);
  auto state = body_decoder_.decode(in, sink);
  inbuf_.erase(0, inbuf_.size() - in.size());
  if (state == Http1BodyDecoder::State::kError) {
    if (exchange && exchange->finished()) {
      keep_alive_ = false;  // the response stands; the connection does not
      phase_ = Phase::kRejected;
      return;
    }
    current_.reset();
    response_done_ = false;
    if (exchange) exchange->on_connection_lost(ResetReason::kProtocol);
    if (exchange && exchange->head_sent()) {
      close();
    } else {
      reject(400, "malformed request body");
    }
    return;
  }
  if (sink.size() != before) {
    body_progress_ = Clock::now();
    if (exchange) exchange->on_body_data();
  }
  if (state == Http1BodyDecoder::State::kDone) {
    phase_ = Phase::kResponse;
    if (exchange) exchange->on_body_end();
  }
}

void Http1ServerConnection::enqueue(std::string bytes) {
  if (closed_ || closing_ || bytes.empty()) return;
  queued_ += bytes.size();
  out_.push_back(std::move(bytes));
  write_event_.notify();
}

void Http1ServerConnection::end_response() {
  response_done_ = true;
  write_event_.notify();
}

void Http1ServerConnection::abort() { close(); }

void Http1ServerConnection::body_consumed() {
  if (phase_ == Phase::kBody) read_event_.notify();
}

void Http1ServerConnection::waiting_for_body() {
  body_progress_ = Clock::now();
  rearm_timer();
}

asio::awaitable<void> Http1ServerConnection::write_loop() {
  auto keep = shared_from_this();
  WriteBatch batch;
  while (!closed_ && !closing_) {
    if (out_.empty()) {
      if (response_done_) {
        finish_exchange();
      } else if (close_after_flush_) {
        begin_close();
      } else {
        co_await write_event_.wait();
      }
      continue;
    }
    std::size_t bytes = batch.take(out_);
    bool ok = co_await batch.write(*stream_);
    if (closed_) break;
    if (!ok) {
      close();
      break;
    }
    queued_ -= bytes;
    if (current_ && queued_ <= options_.stream_write_buffer) current_->on_drained();
  }
}

void Http1ServerConnection::finish_exchange() {
  response_done_ = false;
  auto exchange = std::move(current_);
  bool request_complete = phase_ == Phase::kResponse;
  if (exchange) exchange->on_response_flushed();
  // Unread body still on the wire would be taken for the next request.
  if (!keep_alive_ || draining_ || !request_complete) {
    begin_close();
    return;
  }
  phase_ = Phase::kHead;
  idle_since_ = Clock::now();
  request_started_.reset();
  rearm_timer();
  process_input();  // a pipelined request may be waiting
  read_event_.notify();
}

void Http1ServerConnection::reject(int status, std::string_view reason) {
  phase_ = Phase::kRejected;
  keep_alive_ = false;
  close_after_flush_ = true;
  std::string body = std::string(reason) + "\n";
  enqueue(http1_status_line(status) +
          "connection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body);
}

asio::awaitable<void> Http1ServerConnection::timer_loop() {
  auto keep = shared_from_this();
  while (!closed_) {
    armed_ = next_deadline();
    timer_.expires_at(armed_);
    co_await timer_.async_wait(kNoThrow);
    if (closed_) break;
    on_timer(Clock::now());
  }
}

Clock::time_point Http1ServerConnection::next_deadline() const {
  auto next = force_close_at_.value_or(Clock::time_point::max());
  if (closing_) return next;
  if (phase_ == Phase::kHead) {
    next = std::min(next, request_started_
                              ? net::deadline_after(*request_started_, timeouts_.header_read)
                              : net::deadline_after(idle_since_, options_.idle_timeout));
  } else if (phase_ == Phase::kBody && current_ && current_->waiting_for_body()) {
    next = std::min(next, net::deadline_after(body_progress_, timeouts_.body_idle));
  }
  return next;
}

void Http1ServerConnection::rearm_timer() {
  // A later deadline is found when the armed one fires; only earlier ones wake it.
  if (next_deadline() < armed_) timer_.cancel();
}

void Http1ServerConnection::on_timer(Clock::time_point now) {
  if (force_close_at_ && now >= *force_close_at_) {
    close();
    return;
  }
  if (closing_) return;
  if (phase_ == Phase::kHead) {
    if (request_started_) {
      if (now < net::deadline_after(*request_started_, timeouts_.header_read)) return;
      // Part of a request came: say why it is dropped. Nothing came: just close.
      if (inbuf_.empty()) {
        close();
      } else {
        reject(408, "request timed out");
      }
    } else if (now >= net::deadline_after(idle_since_, options_.idle_timeout)) {
      close();
    }
  } else if (phase_ == Phase::kBody && current_ && current_->waiting_for_body() &&
             now >= net::deadline_after(body_progress_, timeouts_.body_idle)) {
    auto exchange = std::move(current_);
    response_done_ = false;
    exchange->on_connection_lost(ResetReason::kCancel);
    if (exchange->head_sent()) {
      close();
    } else {
      reject(408, "request timed out");
    }
  }
}

void Http1ServerConnection::drain() {
  if (closed_ || draining_) return;
  draining_ = true;
  keep_alive_ = false;  // the response in flight says `connection: close`
  if (closing_) return;
  if (phase_ == Phase::kHead) {
    close();
    return;
  }
  auto deadline = net::deadline_after(Clock::now(), options_.drain_timeout);
  force_close_at_ = force_close_at_ ? std::min(*force_close_at_, deadline) : deadline;
  rearm_timer();
}

void Http1ServerConnection::begin_close() {
  if (closing_ || closed_) return;
  closing_ = true;
  if (auto exchange = std::move(current_))
    exchange->on_connection_lost(ResetReason::kConnectionLost);
  inbuf_.clear();
  // Half-close so that the peer sees EOF now, then linger in read_loop.
  stream_->shutdown_send();
  auto deadline = Clock::now() + kLingerTime;
  force_close_at_ = force_close_at_ ? std::min(*force_close_at_, deadline) : deadline;
  rearm_timer();
  read_event_.notify();
}

void Http1ServerConnection::close() {
  if (closed_) return;
  closed_ = true;
  stream_->close();
  timer_.cancel();
  read_event_.notify();
  write_event_.notify();
  out_.clear();
  queued_ = 0;
  if (auto exchange = std::move(current_))
    exchange->on_connection_lost(ResetReason::kConnectionLost);
  if (on_closed) on_closed(this);
}

}  // namespace triplex::http
