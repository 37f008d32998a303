#pragma once
// The Channel behind include/triplex/client.h: it keeps a small pool of
// connections to its target (one multiplexed HTTP/2 or HTTP/3 connection,
// reopened when it closes or the server says GOAWAY; HTTP/1.1 connections
// one per call in flight, up to a limit) and builds each call's
// ClientCallSpec. How a connection is made (version, TLS, Alt-Svc,
// addresses, resumption) is the http::ClientConnector's business.
//
// Concurrency: lives on its io_context; calls use it only from there.
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "src/http/client_connection.h"
#include "src/http/client_connector.h"
#include "src/net/event.h"
#include "src/rpc/channel_target.h"
#include "src/rpc/client_transport.h"
#include "triplex/client.h"

namespace triplex::rpc {

class ChannelImpl final : public Channel, public std::enable_shared_from_this<ChannelImpl> {
 public:
  ChannelImpl(asio::io_context& io, ChannelTarget target, ChannelOptions options);
  ~ChannelImpl() override;

  std::unique_ptr<ClientCall> call(ClientMethod method, CallOptions options) override;
  void close() override;
  const std::optional<RetryPolicy>& retry_policy() const override { return options_.retry; }

  // For calls: a connection to open `method`'s request on. Requests that are
  // not safe to replay wait for the handshake, so they never go as 0-RTT.
  // Throws triplex::Error(UNAVAILABLE) when none can be had.
  asio::awaitable<std::shared_ptr<http::ClientConnection>> acquire(const ClientMethod& method);
  ClientCallSpec spec_for(const ClientMethod& method, const CallOptions& options);
  RpcProtocol protocol() const { return options_.protocol; }
  const ChannelOptions& options() const { return options_; }
  asio::io_context& io() { return io_; }
  // Open connections in the pool (for tests).
  std::size_t connection_count() const { return pool_.size(); }
  // As if a response had offered HTTP/3 on `port` (for tests).
  void offer_http3(std::uint16_t port);

 private:
  // An open connection that can take one more request now, if any.
  std::shared_ptr<http::ClientConnection> pick();
  // A new connection in the pool, or the one another call is opening (so a
  // burst of first calls shares one multiplexed connection).
  asio::awaitable<std::shared_ptr<http::ClientConnection>> open_connection();
  asio::awaitable<std::shared_ptr<http::ClientConnection>> connect();

  asio::io_context& io_;
  ChannelTarget target_;
  ChannelOptions options_;
  std::vector<std::shared_ptr<http::ClientConnection>> pool_;
  int connects_in_flight_ = 0;  // connections being opened
  net::Event connect_ended_;    // one is in the pool now, or failed
  std::uint64_t connect_attempts_ = 0;
  std::uint64_t failed_attempt_ = 0;  // the last attempt that failed, and why
  std::exception_ptr connect_failure_;
  http::ClientConnector connector_;
};

}  // namespace triplex::rpc
