#pragma once
// Scaffolding for the gateway's tests: upstream servers whose fallback
// handler echoes, sleeps or holds calls and says who it is; a Gateway on a
// background thread; raw client calls; plain HTTP GETs for the admin port.
//
// Concurrency: servers and the gateway run on their own threads; the
// helpers' coroutines run on the test's io_context.
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "src/gateway/gateway.h"
#include "triplex/client.h"
#include "triplex/health.h"
#include "triplex/server.h"

namespace triplex::testing {

// An upstream, plaintext (h2c) or TLS (HTTP/2 and HTTP/3, self-signed). Methods, all raw:
//   /test.Gateway/Echo   every request message back (any kind)
//   /test.Gateway/Sleep  notes the deadline it got, then waits to be cancelled
//   /test.Gateway/Slow   waits 300 ms, then echoes
//   /test.Gateway/Hold   waits 1 s, then echoes
//   /test.Gateway/Fail   FAILED_PRECONDITION "no" with a detail (StringValue "why") and
//                        trailer x-trailer: t, no message (headers still sent)
// Every response carries `x-upstream: NAME` and how the call arrived
// (`x-protocol`, `x-codec`, `x-framing`, `x-encoding`); grpc.health.v1 is served too.
class TestUpstream {
 public:
  explicit TestUpstream(std::string name, bool tls = false);
  ~TestUpstream();
  std::uint16_t port() const { return server_.listening_port(); }
  // "h2c://127.0.0.1:PORT", or with TLS "h2://..." or "h3://..." as `scheme` says.
  std::string endpoint(const char* scheme = "h2c") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port());
  }
  HealthService& health() { return *health_; }
  // The timeout /test.Gateway/Sleep last saw, in ms (-1: none yet, -2: no deadline).
  std::atomic<std::int64_t> last_timeout_ms{-1};
  std::atomic<int> calls{0};
  std::atomic<int> in_flight{0};

 private:
  asio::awaitable<Status> handle(ProxyContext& context);

  std::string name_;
  std::shared_ptr<HealthService> health_;
  Server server_;
  std::thread thread_;
};

// A Gateway running on a background thread until stop() (or a signal).
class RunningGateway {
 public:
  explicit RunningGateway(gateway::GatewayConfig config);
  ~RunningGateway();
  gateway::Gateway& operator*() { return gateway_; }
  gateway::Gateway* operator->() { return &gateway_; }
  std::string url(std::size_t listener = 0) const;
  void stop();
  // Waits (up to 10 s) for wait() to return, as it does after a signal.
  bool join();

 private:
  gateway::Gateway gateway_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

// One listener (plaintext), one cluster over `endpoints`, one route "/".
gateway::GatewayConfig simple_config(const std::vector<std::string>& endpoints);

struct RawOutcome {
  Status status;
  std::vector<std::string> messages;
  Metadata headers;
  Metadata trailers;
};

ChannelOptions client_options(RpcProtocol protocol, HttpVersion version);

// A call of any kind with raw messages, run to its end on `io`.
RawOutcome call_raw(asio::io_context& io, Channel& channel, const std::string& path, RpcKind kind,
                    std::vector<std::string> requests, CallOptions options = {});

struct HttpResult {
  int status = 0;
  std::string head;  // status line and header fields, lowercase
  std::string body;
};
// GET http://127.0.0.1:PORT/PATH over HTTP/1.1, blocking until the server closes.
HttpResult http_get(std::uint16_t port, const std::string& path);
// POST with the given header lines ("name: value\r\n" each) and body, as a
// gRPC client without `TE: trailers` would (the HTTP/1.1 bridge's clients).
HttpResult http_post(std::uint16_t port, const std::string& path, const std::string& headers,
                     const std::string& body);

}  // namespace triplex::testing
