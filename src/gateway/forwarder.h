#pragma once
// The heart of `triplex proxy`: a fallback handler that forwards every call
// it gets, whatever its protocol and HTTP version downstream, to an upstream
// as gRPC, piping the raw messages both ways and carrying metadata, the
// deadline (less the time already spent), and the upstream's headers,
// trailers and status back in the downstream protocol's own form.
//
// Concurrency: handlers run on the server's workers; each worker gets its
// own upstream Channel (a Channel lives on one io_context).
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "triplex/client.h"
#include "triplex/service.h"

namespace triplex::gateway {

struct Upstream {
  std::string url;  // http://HOST:PORT (h2c) or https://HOST:PORT
  ChannelOptions options;
};

// Parses "h2c://HOST:PORT", "h2://HOST:PORT" (TLS) or "h3://HOST:PORT";
// throws std::invalid_argument for anything else.
Upstream parse_upstream(const std::string& spec, bool insecure);

class Forwarder : public std::enable_shared_from_this<Forwarder> {
 public:
  explicit Forwarder(Upstream upstream) : upstream_(std::move(upstream)) {}
  // For Server::set_fallback_handler.
  MethodHandler handler();

 private:
  asio::awaitable<Status> forward(ServerContext& context);
  std::shared_ptr<Channel> channel_for(asio::io_context& io);

  Upstream upstream_;
  std::mutex mutex_;
  std::unordered_map<asio::io_context*, std::shared_ptr<Channel>> channels_;
};

}  // namespace triplex::gateway
