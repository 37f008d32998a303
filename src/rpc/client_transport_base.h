#pragma once
// What every ClientTransport shares: the call's spec and exchange, response
// metadata, and a final status that is set once (the first cause wins, so a
// deadline is not overwritten by the reset it causes).
//
// Concurrency: one call on one executor; not thread-safe.
#include <memory>
#include <string_view>

#include "src/rpc/client_transport.h"

namespace triplex::rpc {

class ClientTransportBase : public ClientTransport {
 public:
  const Metadata& headers() const override { return headers_; }
  const Metadata& trailers() const override { return trailers_; }
  const Status& status() const override { return status_; }
  void cancel(Status status) override;
  bool sent_as_early_data() const override {
    return exchange_ != nullptr && exchange_->sent_as_early_data();
  }
  std::optional<std::chrono::steady_clock::time_point> response_started() const override {
    return response_started_;
  }

 protected:
  ClientTransportBase(ClientCallSpec spec, ExchangeOpener open)
      : spec_(std::move(spec)), open_(std::move(open)) {}

  // Method, path, authority, scheme, user-agent and the call's metadata.
  http::RequestHead base_head(std::string method, std::string path) const;
  // The exchange's response head, noting when it came.
  asio::awaitable<http::ResponseHead> read_head() {
    http::ResponseHead head = co_await exchange_->read_head();
    response_started_ = std::chrono::steady_clock::now();
    if (spec_.on_response_head) spec_.on_response_head(head);
    co_return head;
  }
  // Sets the final status unless one is set; a failure resets the exchange.
  void end(Status status);
  bool done() const { return done_; }
  // Custom metadata among `fields` into `out` (protocol fields skipped);
  // with `prefix`, only fields that start with it, with it removed.
  static void collect_metadata(const http::Headers& fields, Metadata& out,
                               std::string_view prefix = {});

  ClientCallSpec spec_;
  ExchangeOpener open_;
  std::shared_ptr<http::ClientExchange> exchange_;
  Metadata headers_;
  Metadata trailers_;

 private:
  Status status_;
  bool done_ = false;
  std::optional<std::chrono::steady_clock::time_point> response_started_;
};

}  // namespace triplex::rpc
