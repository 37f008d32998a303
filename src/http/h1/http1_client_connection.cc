#include "src/http/h1/http1_client_connection.h"

#include <asio/co_spawn.hpp>
#include <span>
#include <vector>

#include "src/http/h1/http1_client_exchange.h"
#include "src/http/h1/write_batch.h"
#include "src/net/spawn.h"

namespace triplex::http {
namespace {

constexpr std::size_t kReadBuffer = 32 * 1024;

}  // namespace

std::shared_ptr<Http1ClientConnection> Http1ClientConnection::start(
    std::unique_ptr<net::ByteStream> stream, const Http1ClientOptions& options) {
  std::shared_ptr<Http1ClientConnection> core(
      new Http1ClientConnection(std::move(stream), options));
  auto end = [core] { core->fail(ResetReason::kConnectionLost); };
  asio::co_spawn(core->executor_, core->read_loop(),
                 net::end_on_exception("HTTP/1.1 client read", end));
  asio::co_spawn(core->executor_, core->write_loop(),
                 net::end_on_exception("HTTP/1.1 client write", end));
  // The loops keep `core` alive while the socket is open; the user holds a
  // second handle whose end closes the connection, so that an abandoned
  // connection does not linger until the server gives up on it.
  return std::shared_ptr<Http1ClientConnection>(core.get(),
                                                [core](Http1ClientConnection* c) { c->close(); });
}

Http1ClientConnection::Http1ClientConnection(std::unique_ptr<net::ByteStream> stream,
                                             const Http1ClientOptions& options)
    : stream_(std::move(stream)),
      executor_(stream_->executor()),
      options_(options),
      parser_({options.max_head_size, options.max_trailer_size}),
      read_event_(executor_),
      write_event_(executor_) {}

Http1ClientConnection::~Http1ClientConnection() {
  if (current_) {
    current_->on_failed(ResetReason::kConnectionLost);
    current_->detach();
  }
  for (auto& exchange : waiting_) {
    exchange->on_failed(ResetReason::kRefused);
    exchange->detach();
  }
}

std::shared_ptr<ClientExchange> Http1ClientConnection::open(RequestHead head, bool end_stream) {
  auto core = std::make_shared<Http1ClientExchange>(this, executor_);
  // The caller's handle: when the caller lets go of an unfinished exchange,
  // it is reset instead of holding up the requests behind it.
  std::shared_ptr<ClientExchange> handle(core.get(),
                                         [core](ClientExchange*) { core->on_abandoned(); });
  if (!core->prepare(head, end_stream)) {
    core->on_failed(ResetReason::kInternal);
    core->detach();
    return handle;
  }
  if (closed_ || last_request_) {
    core->on_failed(ResetReason::kRefused);  // never sent: safe to retry elsewhere
    core->detach();
    return handle;
  }
  waiting_.push_back(std::move(core));
  start_next();
  return handle;
}

asio::awaitable<bool> Http1ClientConnection::wait_connected() { co_return !closed_; }

std::size_t Http1ClientConnection::active_requests() const {
  return (current_ ? 1 : 0) + waiting_.size();
}

void Http1ClientConnection::close() { fail(ResetReason::kConnectionLost); }

void Http1ClientConnection::start_next() {
  if (closed_ || current_ || waiting_.empty()) return;
  current_ = std::move(waiting_.front());
  waiting_.pop_front();
  current_offset_ = enqueued_total_;
  parser_.start(current_->head_request());
  if (current_->close_requested()) {
    last_request_ = true;
    refuse_waiting();
  }
  for (auto& piece : current_->start()) enqueue(std::move(piece));
}

void Http1ClientConnection::enqueue(std::string bytes) {
  if (closed_ || write_failed_ || bytes.empty()) return;
  queued_ += bytes.size();
  enqueued_total_ += bytes.size();
  out_.push_back(std::move(bytes));
  write_event_.notify();
}

asio::awaitable<void> Http1ClientConnection::write_loop() {
  auto keep = shared_from_this();
  WriteBatch batch;
  while (!closed_) {
    if (out_.empty()) {
      co_await write_event_.wait();
      continue;
    }
    std::size_t bytes = batch.take(out_);
    handed_total_ += bytes;
    bool ok = co_await batch.write(*stream_);
    if (closed_) break;
    queued_ -= bytes;
    if (!ok) {
      // The response may still be arriving (a server that answered early and
      // stopped reading): the read side decides how this ends.
      write_failed_ = true;
      out_.clear();
      queued_ = 0;
      last_request_ = true;
      refuse_waiting();
      if (current_) current_->on_write_failed();
      co_return;
    }
    if (current_ && queued_ <= options_.write_buffer) current_->on_drained();
  }
}

bool Http1ClientConnection::want_read() const {
  return !closed_ && (!current_ || current_->buffered() < options_.max_buffered_body);
}

asio::awaitable<void> Http1ClientConnection::read_loop() {
  auto keep = shared_from_this();
  std::string buffer(kReadBuffer, '\0');
  auto into = asio::buffer(buffer);
  while (!closed_) {
    if (!want_read()) {
      co_await read_event_.wait();
      continue;
    }
    std::size_t n = co_await stream_->read_some(into);
    if (closed_) break;
    if (n == 0) {
      on_eof();
      break;
    }
    inbuf_.append(buffer.data(), n);
    process_input();
  }
}

void Http1ClientConnection::on_body_consumed() { read_event_.notify(); }

void Http1ClientConnection::process_input() {
  while (!closed_) {
    if (!current_) {
      // Nothing was asked: these bytes answer no request of ours.
      if (!inbuf_.empty()) fail(ResetReason::kProtocol);
      return;
    }
    auto exchange = current_;
    std::string_view in(inbuf_);
    std::size_t before = exchange->buffered();
    auto state = parser_.parse(in, exchange->inbound());
    inbuf_.erase(0, inbuf_.size() - in.size());
    if (exchange->buffered() != before) exchange->on_body_data();
    switch (state) {
      case Http1ResponseParser::State::kNeedMore:
        return;
      case Http1ResponseParser::State::kHead:
        if (!parser_.response().keep_alive) {
          last_request_ = true;
          refuse_waiting();
        }
        exchange->on_head(std::move(parser_.response().head));
        break;
      case Http1ResponseParser::State::kDone:
        complete_current();
        break;
      case Http1ResponseParser::State::kError:
        if (!parser_.status_line_seen()) {
          // Not even a status line: the peer does not speak HTTP/1.x (an SSH
          // or TLS server, garbage). No response came, as if the connection
          // had failed: kConnectionLost, which callers report as UNAVAILABLE.
          fail(ResetReason::kConnectionLost,
               std::string("the server's reply is not HTTP/1.1 (") + parser_.error() + ")");
        } else {
          fail(ResetReason::kProtocol,
               std::string("malformed HTTP/1.1 response: ") + parser_.error());
        }
        return;
    }
  }
}

void Http1ClientConnection::complete_current() {
  auto exchange = std::move(current_);
  exchange->on_end(std::move(parser_.trailers()));
  exchange->detach();
  // Request bytes still to come would be taken for the next request; bytes
  // after the response answer nothing we asked.
  if (!exchange->request_finished() || last_request_ || write_failed_ || !inbuf_.empty()) {
    fail(ResetReason::kConnectionLost);
    return;
  }
  start_next();
}

void Http1ClientConnection::on_eof() {
  if (current_ && parser_.finish_at_eof()) {
    last_request_ = true;  // the close delimited the body
    complete_current();
    return;
  }
  fail(ResetReason::kConnectionLost);
}

void Http1ClientConnection::on_exchange_reset(Http1ClientExchange* exchange) {
  if (exchange == current_.get()) {
    fail(ResetReason::kCancel);  // HTTP/1.1 aborts a request only with its connection
    return;
  }
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->get() == exchange) {
      exchange->detach();
      waiting_.erase(it);
      return;
    }
  }
}

void Http1ClientConnection::refuse_waiting() {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& exchange : waiting) {
    exchange->on_failed(ResetReason::kRefused);
    exchange->detach();
  }
}

void Http1ClientConnection::fail(ResetReason reason, std::string detail) {
  if (closed_) return;
  closed_ = true;
  stream_->close();
  read_event_.notify();
  write_event_.notify();
  out_.clear();
  queued_ = 0;
  if (auto exchange = std::move(current_)) {
    // No byte of it reached the socket: the server never saw it.
    bool unsent = handed_total_ <= current_offset_;
    if (unsent) {
      exchange->on_failed(ResetReason::kRefused);
    } else {
      exchange->on_failed(reason, std::move(detail));
    }
    exchange->detach();
  }
  refuse_waiting();
}

}  // namespace triplex::http
