#include "src/gateway/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "triplex/rpc_types.h"

namespace triplex::gateway {
namespace {

[[noreturn]] void fail(const YAML::Node& node, const std::string& what) {
  auto mark = node.Mark();
  if (mark.is_null()) throw ConfigError(what);
  throw ConfigError("line " + std::to_string(mark.line + 1) + ": " + what);
}

// Every map is checked for keys it does not know: a typo should not be
// silently ignored in a proxy's config.
void only_keys(const YAML::Node& node, const std::string& where,
               std::initializer_list<const char*> known) {
  if (!node.IsMap()) fail(node, where + " must be a mapping");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) fail(entry.first, "a field name in " + where + " must be a word");
    auto key = entry.first.as<std::string>();
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    // NOLINTNEXTLINE(performance-inefficient-string-concatenation): fails once, not looped
    if (!ok) fail(entry.first, "unknown field `" + key + "` in " + where);
  }
}

template <typename T>
T get(const YAML::Node& node, const std::string& where, T fallback) {
  if (!node) return fallback;
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail(node, "bad value for " + where);
  }
}

Millis get_ms(const YAML::Node& node, const std::string& where, Millis fallback) {
  auto ms = get<std::int64_t>(node, where, fallback.count());
  if (ms < 0) fail(node, where + " must not be negative");
  return Millis(ms);
}

std::optional<Millis> get_optional_ms(const YAML::Node& node, const std::string& where) {
  if (!node) return std::nullopt;
  return get_ms(node, where, Millis(0));
}

std::size_t get_size(const YAML::Node& node, const std::string& where, std::size_t fallback) {
  auto value = get<std::int64_t>(node, where, static_cast<std::int64_t>(fallback));
  if (value <= 0) fail(node, where + " must be positive");
  return static_cast<std::size_t>(value);
}

// tls: {self_signed: true} | {cert: F, key: F, client_ca: F, require_client_cert: B}
void read_listener_tls(const YAML::Node& node, ListenerConfig& out) {
  if (!node) return;
  only_keys(node, "tls", {"self_signed", "cert", "key", "client_ca", "require_client_cert"});
  out.tls = true;
  out.tls_options.self_signed = get<bool>(node["self_signed"], "tls.self_signed", false);
  out.tls_options.cert_file = get<std::string>(node["cert"], "tls.cert", "");
  out.tls_options.key_file = get<std::string>(node["key"], "tls.key", "");
  out.tls_options.client_ca_file = get<std::string>(node["client_ca"], "tls.client_ca", "");
  out.tls_options.require_client_cert =
      get<bool>(node["require_client_cert"], "tls.require_client_cert", false);
  bool has_cert = !out.tls_options.cert_file.empty() || !out.tls_options.key_file.empty();
  if (has_cert == out.tls_options.self_signed ||
      (has_cert && (out.tls_options.cert_file.empty() || out.tls_options.key_file.empty()))) {
    fail(node, "tls needs either self_signed: true or both cert and key");
  }
}

ListenerConfig read_listener(const YAML::Node& node, std::size_t index) {
  only_keys(node, "a listener", {"name", "address", "tls", "http3"});
  ListenerConfig out;
  out.name = get<std::string>(node["name"], "listener name", "listener-" + std::to_string(index));
  out.address = get<std::string>(node["address"], "listener address", "");
  if (out.address.empty()) fail(node, "a listener needs an address (HOST:PORT)");
  read_listener_tls(node["tls"], out);
  out.http3 = get<bool>(node["http3"], "http3", true);
  return out;
}

HealthCheckConfig read_health_check(const YAML::Node& node) {
  only_keys(node, "health_check",
            {"service", "interval_ms", "timeout_ms", "unhealthy_threshold", "healthy_threshold"});
  HealthCheckConfig out;
  out.service = get<std::string>(node["service"], "health_check.service", "");
  out.interval = get_ms(node["interval_ms"], "health_check.interval_ms", out.interval);
  out.timeout = get_ms(node["timeout_ms"], "health_check.timeout_ms", out.timeout);
  out.unhealthy_threshold = static_cast<int>(get_size(
      node["unhealthy_threshold"], "health_check.unhealthy_threshold", out.unhealthy_threshold));
  out.healthy_threshold = static_cast<int>(
      get_size(node["healthy_threshold"], "health_check.healthy_threshold", out.healthy_threshold));
  if (out.interval.count() == 0) fail(node, "health_check.interval_ms must be positive");
  return out;
}

ClusterConfig read_cluster(const YAML::Node& node) {
  only_keys(node, "a cluster",
            {"name", "endpoints", "balance", "connect_timeout_ms", "request_timeout_ms", "insecure",
             "ca_file", "health_check", "reflection", "protocol"});
  ClusterConfig out;
  out.name = get<std::string>(node["name"], "cluster name", "");
  if (out.name.empty()) fail(node, "a cluster needs a name");
  const auto& endpoints = node["endpoints"];
  if (!endpoints || !endpoints.IsSequence() || endpoints.size() == 0) {
    fail(node, "cluster " + out.name + " needs a list of endpoints");
  }
  for (const auto& e : endpoints) {
    try {
      out.endpoints.push_back(parse_endpoint(e.as<std::string>()));
    } catch (const std::exception& error) {
      fail(e, error.what());
    }
  }
  auto balance = get<std::string>(node["balance"], "balance", "round_robin");
  if (balance == "round_robin") {
    out.balance = Balance::kRoundRobin;
  } else if (balance == "least_request") {
    out.balance = Balance::kLeastRequest;
  } else {
    fail(node["balance"], "balance must be round_robin or least_request");
  }
  // The protocol names every command accepts (parse_protocol_name), or passthrough.
  auto protocol = parse_upstream_protocol(get<std::string>(node["protocol"], "protocol", "grpc"));
  if (protocol) {
    out.protocol = *protocol;
  } else {
    fail(node["protocol"],
         "protocol must be grpc, grpc-web, connect or passthrough (grpcweb is grpc-web too)");
  }
  out.connect_timeout =
      get_ms(node["connect_timeout_ms"], "connect_timeout_ms", out.connect_timeout);
  out.request_timeout = get_optional_ms(node["request_timeout_ms"], "request_timeout_ms");
  out.insecure = get<bool>(node["insecure"], "insecure", false);
  out.ca_file = get<std::string>(node["ca_file"], "ca_file", "");
  if (node["health_check"]) out.health_check = read_health_check(node["health_check"]);
  out.reflection = get<bool>(node["reflection"], "reflection", false);
  return out;
}

// A route names its match by prefix, by service or by one method.
RouteConfig read_route(const YAML::Node& node) {
  only_keys(node, "a route",
            {"prefix", "service", "method", "cluster", "timeout_ms", "max_message_bytes"});
  RouteConfig out;
  int matches = 0;
  if (node["prefix"]) {
    out.prefix = get<std::string>(node["prefix"], "prefix", "");
    ++matches;
  }
  if (node["service"]) {
    out.prefix = "/" + get<std::string>(node["service"], "service", "") + "/";
    ++matches;
  }
  if (node["method"]) {
    out.prefix = "/" + get<std::string>(node["method"], "method", "");
    ++matches;
  }
  if (matches != 1) fail(node, "a route needs exactly one of prefix, service or method");
  if (!out.prefix.starts_with("/")) fail(node, "a route's prefix must start with /");
  out.cluster = get<std::string>(node["cluster"], "cluster", "");
  if (out.cluster.empty()) fail(node, "a route needs a cluster");
  out.timeout = get_optional_ms(node["timeout_ms"], "timeout_ms");
  if (node["max_message_bytes"]) {
    out.max_message_bytes = get_size(node["max_message_bytes"], "max_message_bytes", 1);
  }
  return out;
}

void read_bridge(const YAML::Node& node, Http1BridgeOptions& out) {
  if (!node) return;
  only_keys(node, "http1_bridge",
            {"upgrade_protobuf_to_grpc", "max_buffer_bytes", "ignore_query_parameters"});
  out.upgrade_protobuf_to_grpc =
      get<bool>(node["upgrade_protobuf_to_grpc"], "upgrade_protobuf_to_grpc", false);
  // Envoy's option, accepted for familiar configs: calls are routed and
  // forwarded on the path alone, so a query string never reaches an upstream.
  if (!get<bool>(node["ignore_query_parameters"], "ignore_query_parameters", true)) {
    fail(node["ignore_query_parameters"],
         "ignore_query_parameters: false is not supported: query strings are never forwarded");
  }
  out.max_buffer_size = get_size(node["max_buffer_bytes"], "max_buffer_bytes", out.max_buffer_size);
}

template <typename Read>
auto read_list(const YAML::Node& node, const std::string& what, Read read) {
  std::vector<decltype(read(node))> out;
  if (!node) return out;
  if (!node.IsSequence()) fail(node, what + " must be a list");
  for (const auto& item : node) out.push_back(read(item));
  return out;
}

}  // namespace

std::optional<UpstreamProtocol> parse_upstream_protocol(std::string_view name) {
  if (name == "passthrough") return UpstreamProtocol::kPassThrough;
  auto named = parse_protocol_name(name);
  if (!named) return std::nullopt;
  switch (*named) {
    case RpcProtocol::kGrpc:
      return UpstreamProtocol::kGrpc;
    case RpcProtocol::kGrpcWeb:
      return UpstreamProtocol::kGrpcWeb;
    case RpcProtocol::kConnect:
      return UpstreamProtocol::kConnect;
  }
  return std::nullopt;
}

EndpointConfig parse_endpoint(const std::string& spec) {
  static constexpr std::pair<std::string_view, UpstreamScheme> kSchemes[] = {
      {"h2c://", UpstreamScheme::kH2c},
      {"h2://", UpstreamScheme::kH2},
      {"h3://", UpstreamScheme::kH3}};
  for (const auto& [prefix, scheme] : kSchemes) {
    if (!spec.starts_with(prefix)) continue;
    std::string authority = spec.substr(prefix.size());
    auto colon = authority.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == authority.size() ||
        authority.find('/') != std::string::npos) {
      break;
    }
    return EndpointConfig{scheme, authority};
  }
  throw std::invalid_argument("an upstream is h2c://HOST:PORT, h2://HOST:PORT or h3://HOST:PORT: " +
                              spec);
}

namespace {

GatewayConfig parse_config_node(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(e.what());
  }
  only_keys(root, "the config",
            {"listeners", "clusters", "routes", "http1_bridge", "admin", "access_log", "workers",
             "max_message_bytes", "max_concurrent_streams", "drain_timeout_ms", "descriptors",
             "cors_allowed_origins"});
  GatewayConfig config;
  std::size_t index = 0;
  config.listeners = read_list(root["listeners"], "listeners",
                               [&](const YAML::Node& n) { return read_listener(n, index++); });
  config.clusters = read_list(root["clusters"], "clusters", read_cluster);
  config.routes = read_list(root["routes"], "routes", read_route);
  read_bridge(root["http1_bridge"], config.bridge);
  if (const auto& admin = root["admin"]) {
    only_keys(admin, "admin", {"address"});
    config.admin = AdminConfig{get<std::string>(admin["address"], "admin.address", "")};
    if (config.admin->address.empty()) fail(admin, "admin needs an address (HOST:PORT)");
  }
  config.access_log = get<std::string>(root["access_log"], "access_log", "");
  config.descriptors = read_list(root["descriptors"], "descriptors", [](const YAML::Node& n) {
    return get<std::string>(n, "a descriptors entry", "");
  });
  config.workers = static_cast<std::size_t>(get<std::int64_t>(root["workers"], "workers", 0));
  config.max_message_bytes =
      get_size(root["max_message_bytes"], "max_message_bytes", config.max_message_bytes);
  auto& connection = config.connection;
  connection.max_concurrent_streams = static_cast<std::uint32_t>(get_size(
      root["max_concurrent_streams"], "max_concurrent_streams", connection.max_concurrent_streams));
  connection.drain_timeout =
      get_ms(root["drain_timeout_ms"], "drain_timeout_ms", connection.drain_timeout);
  config.cors_allowed_origins = read_list(
      root["cors_allowed_origins"], "cors_allowed_origins",
      [](const YAML::Node& n) { return get<std::string>(n, "a cors_allowed_origins entry", ""); });
  validate(config);
  return config;
}

}  // namespace

GatewayConfig parse_config(const std::string& yaml) {
  try {
    return parse_config_node(yaml);
  } catch (const YAML::Exception& e) {
    // A shape no check above foresaw: still the config's fault, said as such.
    throw ConfigError(e.what());
  }
}

GatewayConfig load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    return parse_config(text.str());
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

void validate(const GatewayConfig& config) {
  if (config.listeners.empty()) throw ConfigError("no listeners");
  if (config.routes.empty()) throw ConfigError("no routes");
  std::set<std::string> listeners;
  for (const auto& l : config.listeners) {
    if (!listeners.insert(l.name).second) throw ConfigError("two listeners named " + l.name);
  }
  std::set<std::string> clusters;
  for (const auto& c : config.clusters) {
    if (!clusters.insert(c.name).second) throw ConfigError("two clusters named " + c.name);
  }
  for (const auto& r : config.routes) {
    if (!clusters.contains(r.cluster)) {
      throw ConfigError("route " + r.prefix + " names an unknown cluster: " + r.cluster);
    }
  }
}

}  // namespace triplex::gateway
