#pragma once
// One RPC in flight on the server: the ServerContext a handler sees, built on
// a protocol's ServerTransport. It owns the call's cancellation: a client
// reset or a passed deadline marks it cancelled, answers the peer, and
// cancels whatever the handler coroutine is awaiting.
#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>
#include <memory>

#include "src/rpc/codec.h"
#include "src/rpc/protocol.h"
#include "triplex/proxy_context.h"

namespace triplex::rpc {

class ServerCall final : public ProxyContext, public std::enable_shared_from_this<ServerCall> {
 public:
  ServerCall(std::unique_ptr<ServerTransport> transport, std::string method, CallStart start);

  std::string_view method() const override { return method_; }
  const Metadata& request_metadata() const override { return request_metadata_; }
  Metadata& response_headers() override { return response_headers_; }
  Metadata& response_trailers() override { return response_trailers_; }
  std::optional<Clock::time_point> deadline() const override { return deadline_; }
  const CallPeer& peer() const override;
  bool is_cancelled() const override { return cancelled_; }
  asio::awaitable<bool> read_message(google::protobuf::Message& message) override;
  asio::awaitable<void> write_message(const google::protobuf::Message& message) override;
  void send_headers() override;
  asio::awaitable<std::optional<std::string>> read_raw() override { return read_payload(); }
  asio::awaitable<void> write_raw(std::string_view payload) override {
    return write_payload(payload);
  }
  Codec codec() const override { return codec_; }
  bool request_compressed() const override { return transport_->last_read_compressed(); }
  RpcProtocol protocol() const override { return transport_->protocol(); }
  std::optional<RpcKind> framing_kind() const override { return transport_->framing_kind(); }
  std::string_view request_encoding() const override { return transport_->request_encoding(); }
  HttpVersion http_version() const override {
    return transport_->exchange().capabilities().version;
  }

  // Raw payload I/O (the gateway and generic handlers use these directly).
  asio::awaitable<std::optional<std::string>> read_payload();
  asio::awaitable<void> write_payload(std::string_view payload);

  // Ends the call with `status` unless it has already ended.
  void finish(const Status& status);
  bool finished() const { return finished_; }
  // Watches for a client reset and, when the request carried a timeout, the deadline.
  void arm(const asio::any_io_executor& executor);
  asio::cancellation_signal& cancellation() { return cancellation_; }
  // The status a cancelled call reports (CANCELLED or DEADLINE_EXCEEDED).
  const Status& cancel_status() const { return cancel_status_; }

 private:
  void cancel(Status status, bool answer_peer);
  [[noreturn]] void rethrow_as_status(const std::exception_ptr& error);
  // The call's debug line (peer, protocol, HTTP version, method, code, duration).
  void log_call(const Status& status) const;

  std::unique_ptr<ServerTransport> transport_;
  std::string method_;
  Metadata request_metadata_;
  Metadata response_headers_;
  Metadata response_trailers_;
  Codec codec_;
  std::optional<Clock::time_point> deadline_;
  std::unique_ptr<asio::steady_timer> deadline_timer_;
  // Filled on first use: formatting addresses costs more than a small call.
  mutable std::optional<CallPeer> peer_;
  asio::cancellation_signal cancellation_;
  Status cancel_status_;
  bool cancelled_ = false;
  bool finished_ = false;
  Clock::time_point started_{};  // set only when calls are logged
};

}  // namespace triplex::rpc
