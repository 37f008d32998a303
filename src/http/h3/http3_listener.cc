#include "src/http/h3/http3_listener.h"

#include <asio/post.hpp>
#include <atomic>
#include <mutex>
#include <unordered_set>

#include "src/http/h3/http3_server_connection.h"
#include "src/net/port_claim.h"
#include "src/net/quic/quic_connection.h"
#include "src/net/quic/quic_endpoint.h"

namespace triplex::http {
namespace {

std::chrono::milliseconds or_zero(Millis value) {
  return value == kNever ? std::chrono::milliseconds(0) : value;
}

}  // namespace

struct Http3Listener::Shared {
  ConnectionOptions options;
  ExchangeHandler handler;
  std::shared_ptr<ConnectionTracker> tracker;

  // On the accepting worker.
  bool accept(const std::shared_ptr<net::quic::QuicConnection>& quic) {
    if (tracker->draining()) return false;
    tracker->track(Http3ServerConnection::start(quic, options, handler));
    return true;
  }
};

Http3Listener::Http3Listener(net::WorkerPool& pool, const asio::ip::udp::endpoint& endpoint,
                             const std::shared_ptr<net::TlsContext>& tls,
                             const ConnectionOptions& options, ExchangeHandler handler,
                             std::shared_ptr<ConnectionTracker> tracker)
    : pool_(pool), shared_(std::make_shared<Shared>()) {
  if (!tls) throw std::runtime_error("HTTP/3 needs TLS");
  shared_->options = options;
  shared_->handler = std::move(handler);
  shared_->tracker = tracker ? std::move(tracker) : std::make_shared<ConnectionTracker>();

  auto config = std::make_shared<net::quic::QuicEndpoint::Config>();
  config->tls = std::make_shared<net::quic::QuicTlsContext>(tls->credentials());
  net::quic::random_bytes(config->reset_secret.data(), config->reset_secret.size());
  net::quic::random_bytes(config->token_secret.data(), config->token_secret.size());
  auto& limits = config->settings;
  limits.max_streams_bidi = options.max_concurrent_streams;
  limits.stream_window = options.stream_window;
  limits.connection_window = options.connection_window;
  limits.idle_timeout = or_zero(options.idle_timeout);
  limits.keepalive = or_zero(options.keepalive_time);
  switch (options.quic_retry) {
    case QuicRetry::kNever:
      limits.retry = net::quic::RetryPolicy::kNever;
      break;
    case QuicRetry::kAlways:
      limits.retry = net::quic::RetryPolicy::kAlways;
      break;
    case QuicRetry::kUnderLoad:
      limits.retry = net::quic::RetryPolicy::kUnderLoad;
      break;
  }
  limits.retry_threshold = options.quic_retry_threshold;

  auto accept = [shared = shared_](const std::shared_ptr<net::quic::QuicConnection>& quic) {
    return shared->accept(quic);
  };
  auto bind_to = endpoint;
  bind_to.port(net::check_port_free<asio::ip::udp>(pool.context(0), endpoint));
  for (std::size_t i = 0; i < pool.size(); ++i) {
    auto ep = std::make_shared<net::quic::QuicEndpoint>(
        pool.context(i), static_cast<std::uint8_t>(i), config, accept);
    ep->bind(bind_to);
    if (i == 0) {
      local_ = ep->local_endpoint();
      bind_to.port(local_.port());  // the other workers share the chosen port
    }
    endpoints_.push_back(std::move(ep));
  }
  std::vector<std::weak_ptr<net::quic::QuicEndpoint>> peers(endpoints_.begin(), endpoints_.end());
  for (auto& ep : endpoints_) {
    ep->set_peers(peers);
    ep->start();
  }
}

Http3Listener::~Http3Listener() {
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    auto& ep = endpoints_[i];
    if (pool_.context(i).stopped()) {
      ep->shutdown();  // nothing runs there any more: safe from here
    } else {
      asio::post(ep->executor(), [ep] { ep->shutdown(); });
    }
  }
}

void Http3Listener::stop() {
  for (auto& ep : endpoints_) {
    asio::post(ep->executor(), [ep] { ep->stop_accepting(); });
  }
}

void Http3Listener::drain() {
  stop();
  shared_->tracker->drain();
}

std::size_t Http3Listener::open_connections() const { return shared_->tracker->open(); }

std::uint64_t Http3Listener::retries_sent() const {
  std::uint64_t total = 0;
  for (const auto& ep : endpoints_) total += ep->retries_sent();
  return total;
}

}  // namespace triplex::http
