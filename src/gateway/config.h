#pragma once
// What `triplex proxy` runs: listeners, upstream clusters, routes from method
// paths to clusters, the HTTP/1.1 bridge, the admin port and limits. Read from
// YAML (`--config FILE`) or built from the command line's flags; see the
// README's gateway section for an example file.
#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "triplex/server.h"

namespace triplex::gateway {

using Millis = std::chrono::milliseconds;

// A bad config file: the message names the field (and line) at fault.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListenerConfig {
  std::string name;     // for stats and logs; "listener-N" by default
  std::string address;  // HOST:PORT, port 0 picks one
  bool tls = false;     // false: plaintext (HTTP/1.1 and h2c)
  TlsOptions tls_options;
  bool http3 = true;  // with TLS, HTTP/3 on the UDP twin of the port
};

enum class UpstreamScheme { kH2c, kH2, kH3 };

struct EndpointConfig {
  UpstreamScheme scheme = UpstreamScheme::kH2c;
  std::string authority;  // HOST:PORT
};

struct HealthCheckConfig {
  std::string service;  // grpc.health.v1 HealthCheckRequest.service ("" = the server)
  Millis interval{5000};
  Millis timeout{1000};
  int unhealthy_threshold = 2;  // failed checks in a row before traffic stops
  int healthy_threshold = 1;    // good checks in a row before it resumes
};

enum class Balance { kRoundRobin, kLeastRequest };

// What the gateway speaks to a cluster: gRPC (what gRPC-only backends need),
// gRPC-Web or Connect, or pass-through (each call in its caller's protocol and
// codec, for backends that speak all three).
enum class UpstreamProtocol { kGrpc, kGrpcWeb, kConnect, kPassThrough };
// The protocol names every command accepts (parse_protocol_name), or
// "passthrough"; nullopt for anything else. The YAML and --upstream-protocol
// both read names here.
std::optional<UpstreamProtocol> parse_upstream_protocol(std::string_view name);

struct ClusterConfig {
  std::string name;
  std::vector<EndpointConfig> endpoints;
  Balance balance = Balance::kRoundRobin;
  UpstreamProtocol protocol = UpstreamProtocol::kGrpc;
  Millis connect_timeout{5000};
  std::optional<Millis> request_timeout;  // cap on every call's deadline
  bool insecure = false;                  // TLS upstreams: skip verification
  std::string ca_file;                    // TLS upstreams: trust these instead of the system
  std::optional<HealthCheckConfig> health_check;
  // Ask the endpoints' reflection service for the schema of a method called
  // with JSON that the descriptor sets do not cover.
  bool reflection = false;
};

struct RouteConfig {
  std::string prefix;  // of "/package.Service/Method"; "/" matches all
  std::string cluster;
  std::optional<Millis> timeout;                 // cap on the call's deadline
  std::optional<std::size_t> max_message_bytes;  // per message, either way
};

struct AdminConfig {
  std::string address;  // HOST:PORT; serves /metrics, /healthz, /ready
};

struct GatewayConfig {
  std::vector<ListenerConfig> listeners;
  std::vector<ClusterConfig> clusters;
  std::vector<RouteConfig> routes;  // first match wins
  Http1BridgeOptions bridge;
  std::optional<AdminConfig> admin;
  std::string access_log;  // path, "-" for stdout, "" for none
  // FileDescriptorSet files, for transcoding JSON calls to binary upstreams.
  std::vector<std::string> descriptors;
  std::size_t workers = 0;
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  // Stream limit, keepalive, idle and drain timers for every listener.
  ConnectionOptions connection;
  std::vector<std::string> cors_allowed_origins;  // browsers' origins; "*" for any
};

// "h2c://HOST:PORT", "h2://HOST:PORT" (TLS) or "h3://HOST:PORT".
EndpointConfig parse_endpoint(const std::string& spec);
// Throws ConfigError.
GatewayConfig parse_config(const std::string& yaml);
GatewayConfig load_config(const std::string& path);
// Cross-checks: routes name known clusters, names are unique, something listens.
void validate(const GatewayConfig& config);

}  // namespace triplex::gateway
