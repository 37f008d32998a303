#pragma once
// In-memory exchanges for the RPC fuzz targets: a server Exchange whose
// request body is a list of pieces and whose response is recorded, and a
// client ClientExchange that answers with what a server Exchange recorded.
// No connection, no I/O: the protocols run as coroutines on an io_context.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "src/http/client_exchange.h"
#include "src/http/exchange.h"

namespace triplex::fuzz {

class FakeServerExchange final : public http::Exchange {
 public:
  FakeServerExchange(asio::any_io_executor executor, http::RequestHead head,
                     std::deque<std::string> body = {})
      : executor_(std::move(executor)), head_(std::move(head)), body_(std::move(body)) {}

  const http::RequestHead& request() const override { return head_; }
  const net::PeerInfo& peer() const override { return peer_; }
  http::ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp2}; }
  asio::any_io_executor executor() const override { return executor_; }

  asio::awaitable<bool> read(std::string& out) override {
    if (reset_) throw http::ExchangeReset(http::ResetReason::kCancel);
    if (body_.empty()) co_return false;
    out.append(body_.front());
    body_.pop_front();
    co_return true;
  }

  void send_head(http::ResponseHead head) override {
    if (head_sent_ || reset_) return;
    response_ = std::move(head);
    head_sent_ = true;
  }
  asio::awaitable<void> write(std::string data) override {
    if (reset_) throw http::ExchangeReset(http::ResetReason::kCancel);
    response_body_ += data;
    co_return;
  }
  void queue(std::string data) override { response_body_ += data; }
  void finish(http::Headers trailers) override {
    trailers_ = std::move(trailers);
    finished_ = true;
  }
  void respond(http::ResponseHead head) override {
    send_head(std::move(head));
    finished_ = true;
  }
  void reset(http::ResetReason) override { reset_ = true; }
  bool is_reset() const override { return reset_; }
  bool head_sent() const override { return head_sent_; }

  const http::ResponseHead& response() const { return response_; }
  const std::string& response_body() const { return response_body_; }
  const http::Headers& response_trailers() const { return trailers_; }
  bool finished() const { return finished_; }

 private:
  asio::any_io_executor executor_;
  http::RequestHead head_;
  std::deque<std::string> body_;
  net::PeerInfo peer_;
  http::ResponseHead response_;
  std::string response_body_;
  http::Headers trailers_;
  bool head_sent_ = false;
  bool finished_ = false;
  bool reset_ = false;
};

// A client's view of a finished FakeServerExchange.
class FakeClientExchange final : public http::ClientExchange {
 public:
  explicit FakeClientExchange(http::RequestHead head) : head_(std::move(head)) {}

  asio::awaitable<void> write(std::string data) override {
    if (reset_) throw http::ExchangeReset(http::ResetReason::kCancel);
    request_body_ += data;
    co_return;
  }
  void finish() override { finished_ = true; }
  asio::awaitable<http::ResponseHead> read_head() override {
    if (reset_ || server_ == nullptr) throw http::ExchangeReset(http::ResetReason::kCancel);
    co_return server_->response();
  }
  asio::awaitable<bool> read(std::string& out) override {
    if (reset_ || server_ == nullptr) throw http::ExchangeReset(http::ResetReason::kCancel);
    if (body_read_) co_return false;
    body_read_ = true;
    out.append(server_->response_body());
    co_return true;
  }
  const http::Headers& trailers() const override { return server_->response_trailers(); }
  void reset(http::ResetReason) override { reset_ = true; }
  bool is_reset() const override { return reset_; }
  http::ExchangeCapabilities capabilities() const override { return {true, HttpVersion::kHttp2}; }

  const http::RequestHead& request() const { return head_; }
  const std::string& request_body() const { return request_body_; }
  // Where the response comes from, once the server side has run.
  void answer_from(std::shared_ptr<FakeServerExchange> server) { server_ = std::move(server); }

 private:
  http::RequestHead head_;
  std::string request_body_;
  std::shared_ptr<FakeServerExchange> server_;
  bool finished_ = false;
  bool body_read_ = false;
  bool reset_ = false;
};

// Runs `coroutine` on `io` until nothing is left; anything it throws escapes
// (a crash, to the fuzzer).
template <typename Awaitable>
void run_to_completion(asio::io_context& io, Awaitable coroutine) {
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace triplex::fuzz
