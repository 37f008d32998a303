#include "src/rpc/server_call.h"

#include "src/log/log.h"
#include "src/net/deadline.h"
#include "src/rpc/codec.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace triplex::rpc {
namespace {

std::string address_of(const net::PeerInfo& info) {
  const auto& ep = info.remote;
  auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" +
         std::to_string(ep.port());
}

}  // namespace

ServerCall::ServerCall(std::unique_ptr<ServerTransport> transport, std::string method,
                       CallStart start)
    : transport_(std::move(transport)),
      method_(std::move(method)),
      request_metadata_(std::move(start.metadata)),
      codec_(start.codec) {
  if (log::enabled(LogLevel::kDebug)) started_ = Clock::now();
  if (start.timeout) {
    deadline_ = net::deadline_after(Clock::now(), *start.timeout);
  }
}

const CallPeer& ServerCall::peer() const {
  if (!peer_) {
    const auto& info = transport_->exchange().peer();
    peer_.emplace();
    peer_->address = address_of(info);
    peer_->tls = info.tls;
    peer_->certificate_subject = info.client_subject;
    peer_->certificate_sans = info.client_sans;
    peer_->early_data = transport_->exchange().is_early_data();
  }
  return *peer_;
}

void ServerCall::rethrow_as_status(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error&) {
    if (cancelled_) throw Error(cancel_status_);
    throw;
  } catch (const http::ExchangeReset&) {
    cancel(Status(Code::kCancelled, "the client cancelled the call"), false);
    throw Error(cancel_status_);
  } catch (const asio::system_error&) {
    // An awaited operation was cancelled: the deadline passed or the client left.
    if (cancelled_) throw Error(cancel_status_);
    throw;
  }
}

asio::awaitable<std::optional<std::string>> ServerCall::read_payload() {
  if (cancelled_) throw Error(cancel_status_);
  std::exception_ptr error;
  try {
    co_return co_await transport_->read();
  } catch (...) {
    error = std::current_exception();
  }
  rethrow_as_status(error);
}

asio::awaitable<void> ServerCall::write_payload(std::string_view payload) {
  if (cancelled_) throw Error(cancel_status_);
  if (finished_) throw Error(Code::kInternal, "write after the call ended");
  std::exception_ptr error;
  try {
    co_await transport_->write(payload, response_headers_);
    co_return;
  } catch (...) {
    error = std::current_exception();
  }
  rethrow_as_status(error);
}

asio::awaitable<bool> ServerCall::read_message(google::protobuf::Message& message) {
  auto payload = co_await read_payload();
  if (!payload) co_return false;
  decode_message(codec_, *payload, message);
  co_return true;
}

asio::awaitable<void> ServerCall::write_message(const google::protobuf::Message& message) {
  std::string payload = encode_message(codec_, message);
  co_await write_payload(payload);
}

void ServerCall::send_headers() {
  if (!cancelled_ && !finished_) transport_->send_headers(response_headers_);
}

void ServerCall::finish(const Status& status) {
  if (finished_) return;
  finished_ = true;
  if (deadline_timer_) deadline_timer_->cancel();
  transport_->finish(status, response_headers_, response_trailers_);
  if (started_ != Clock::time_point{}) log_call(status);  // set only when calls are logged
}

void ServerCall::log_call(const Status& status) const {
  if (!log::enabled(LogLevel::kDebug) || started_ == Clock::time_point{}) return;
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
  TRIPLEX_LOG(LogLevel::kDebug, "call",
              {{"peer", peer().address},
               {"protocol", protocol_name(protocol())},
               {"http", http_version_name(http_version())},
               {"method", method_},
               {"code", code_name(status.code)},
               {"duration_ms", static_cast<double>(micros) / 1000.0}});
}

void ServerCall::cancel(Status status, bool answer_peer) {
  if (cancelled_ || finished_) return;
  cancelled_ = true;
  cancel_status_ = std::move(status);
  if (answer_peer) {
    finish(cancel_status_);
  } else {
    finished_ = true;
    if (deadline_timer_) deadline_timer_->cancel();
    if (started_ != Clock::time_point{}) log_call(cancel_status_);
  }
  cancellation_.emit(asio::cancellation_type::terminal);
}

void ServerCall::arm(const asio::any_io_executor& executor) {
  auto& exchange = transport_->exchange();
  std::weak_ptr<ServerCall> weak = weak_from_this();
  exchange.on_reset = [weak](http::ResetReason) {
    if (auto self = weak.lock()) {
      self->cancel(Status(Code::kCancelled, "the client cancelled the call"), false);
    }
  };
  if (!deadline_) return;
  deadline_timer_ = std::make_unique<asio::steady_timer>(executor, *deadline_);
  deadline_timer_->async_wait([weak](const asio::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->cancel(Status(Code::kDeadlineExceeded, "deadline exceeded"), true);
    }
  });
}

}  // namespace triplex::rpc
