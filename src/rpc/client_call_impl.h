#pragma once
// One RPC from a Channel: on its first operation it gets a connection from
// the channel and runs the channel's protocol over it (a ClientTransport);
// messages are encoded with the channel's codec; the deadline (armed when
// the call is made, so connecting counts) cancels it with DEADLINE_EXCEEDED.
//
// Concurrency: lives on the channel's io_context; not thread-safe.
#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>
#include <memory>

#include "src/net/event.h"
#include "src/rpc/channel_impl.h"

namespace triplex::rpc {

class ClientCallImpl final : public ClientCall {
 public:
  ClientCallImpl(std::shared_ptr<ChannelImpl> channel, ClientMethod method, CallOptions options);
  ~ClientCallImpl() override;

  asio::awaitable<bool> write(const google::protobuf::Message& request) override;
  asio::awaitable<void> writes_done() override;
  asio::awaitable<bool> read(google::protobuf::Message& response) override;
  asio::awaitable<Status> finish() override;
  asio::awaitable<bool> write_raw(std::string payload) override;
  asio::awaitable<std::optional<std::string>> read_raw() override;
  const Metadata& response_headers() const override;
  const Metadata& response_trailers() const override;
  void cancel() override;
  bool sent_as_early_data() const override;
  HttpVersion http_version() const override;
  CallTimings timings() const override;

 private:
  // What the deadline timer may touch after the call is gone.
  struct State {
    std::unique_ptr<ClientTransport> transport;
    std::optional<Status> failure;  // ended before a transport existed
    // Stops a connection attempt in progress: a deadline or cancel() must not
    // wait for a server that never completes its handshake.
    asio::cancellation_signal stop_connecting;
    bool connecting = false;
  };
  // Connects and creates the transport (once); false when the call is over.
  asio::awaitable<bool> start();
  asio::awaitable<bool> connect_and_open();
  void fail(Status status);
  // Every request message goes out here, within max_send_message_size.
  asio::awaitable<bool> send(std::string message);

  std::shared_ptr<ChannelImpl> channel_;
  ClientMethod method_;
  CallOptions options_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::shared_ptr<http::ClientConnection> connection_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  asio::steady_timer deadline_timer_;
  std::chrono::steady_clock::time_point made_ = std::chrono::steady_clock::now();
  bool started_ = false;
  bool starting_ = false;  // start() is connecting
  net::Event start_done_{deadline_timer_.get_executor()};
};

}  // namespace triplex::rpc
