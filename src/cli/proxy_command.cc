// `triplex proxy`: the gateway. Serves gRPC, gRPC-Web and Connect on
// HTTP/1.1, HTTP/2 and HTTP/3 and forwards calls to gRPC upstreams
// (src/gateway). Either a YAML file (--config) or flags for one listener and
// one upstream.
#include <iostream>
#include <memory>

#include "src/cli/commands.h"
#include "src/cli/server_flags.h"
#include "src/gateway/gateway.h"
#include "triplex/rpc_types.h"

namespace triplex::cli {
namespace {

struct ProxyFlags {
  std::string config;
  std::string upstream;
  bool upstream_insecure = false;
  std::string admin;
  std::string access_log;
  bool upgrade_protobuf = false;
  std::vector<std::string> descriptor_sets;
  bool upstream_reflection = false;
  std::string upstream_protocol = "grpc";
};

// The flags given on the command line other than --config (and --help),
// option groups included: with --config none of them would be used.
std::vector<std::string> flags_besides_config(CLI::App& cmd) {
  std::vector<std::string> given;
  auto collect = [&](const CLI::App& app) {
    for (const CLI::Option* opt : app.get_options()) {
      if (opt->count() == 0 || opt->get_name() == "--config") continue;
      if (opt == app.get_help_ptr() || opt == app.get_help_all_ptr()) continue;
      given.push_back(opt->get_name());
    }
  };
  collect(cmd);
  for (const CLI::App* group :
       cmd.get_subcommands([](CLI::App* a) { return a->get_name().empty(); })) {
    collect(*group);
  }
  return given;
}

// The config the flags describe: one listener, one cluster, every path to it.
gateway::GatewayConfig config_from_flags(const ServerFlags& server, const ProxyFlags& flags) {
  if (flags.upstream.empty()) {
    throw CLI::ValidationError("--upstream", "give --upstream (or --config FILE)");
  }
  ServerOptions options = to_server_options(server);
  gateway::GatewayConfig config;
  gateway::ListenerConfig listener;
  listener.name = "main";
  listener.address = server.listen;
  listener.tls = options.tls;
  listener.tls_options = options.tls_options;
  config.listeners.push_back(listener);
  gateway::ClusterConfig cluster;
  cluster.name = "upstream";
  try {
    cluster.endpoints.push_back(gateway::parse_endpoint(flags.upstream));
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--upstream", e.what());
  }
  cluster.insecure = flags.upstream_insecure;
  cluster.reflection = flags.upstream_reflection;
  // The flag's check has vetted the name.
  cluster.protocol =
      gateway::parse_upstream_protocol(flags.upstream_protocol).value_or(cluster.protocol);
  config.clusters.push_back(cluster);
  config.routes.push_back(gateway::RouteConfig{"/", "upstream", std::nullopt, std::nullopt});
  if (!flags.admin.empty()) config.admin = gateway::AdminConfig{flags.admin};
  config.access_log = flags.access_log;
  config.bridge.upgrade_protobuf_to_grpc = flags.upgrade_protobuf;
  config.workers = server.workers;
  config.connection = options.connection;
  config.cors_allowed_origins = options.cors_allowed_origins;
  config.descriptors = flags.descriptor_sets;
  return config;
}

std::string host_of(const std::string& address) { return address.substr(0, address.rfind(':')); }

int run_gateway(gateway::GatewayConfig config) {
  try {
    gateway::Gateway gateway(std::move(config));
    gateway.start();
    const auto& listeners = gateway.config().listeners;
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      const auto& l = listeners[i];
      std::cout << "listening on " << host_of(l.address) << ":" << gateway.listener_port(i) << " ("
                << l.name << ", "
                << (l.tls ? (l.http3 ? "HTTP/1.1, HTTP/2 over TLS; HTTP/3 on UDP"
                                     : "HTTP/1.1, HTTP/2 over TLS")
                          : "HTTP/1.1 and h2c")
                << ")\n";
    }
    if (const auto& admin = gateway.config().admin) {
      std::cout << "admin on " << host_of(admin->address) << ":" << gateway.admin_port()
                << " (/metrics, /healthz, /ready)\n";
    }
    std::cout << std::flush;
    gateway.wait();
  } catch (const std::exception& e) {
    std::cerr << "triplex proxy: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app) {
  auto server = std::make_shared<ServerFlags>();
  auto flags = std::make_shared<ProxyFlags>();
  auto* cmd =
      app.add_subcommand("proxy", "forward gRPC, gRPC-Web and Connect calls to gRPC upstreams");
  add_server_flags(*cmd, *server);
  cmd->add_option(
      "--config", flags->config,
      "YAML file: listeners, clusters, routes, admin (instead of the other flags: giving "
      "both is an error)");
  cmd->add_option("--upstream", flags->upstream,
                  "h2c://HOST:PORT, h2://HOST:PORT (TLS) or h3://HOST:PORT");
  cmd->add_option("--upstream-protocol", flags->upstream_protocol,
                  "what to speak upstream: grpc (default), grpc-web (or grpcweb), connect, or "
                  "passthrough (each call in its caller's protocol)")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            if (gateway::parse_upstream_protocol(name)) return "";
            return "must be grpc, grpc-web, connect or passthrough (grpcweb is grpc-web too), "
                   "not \"" +
                   name + "\"";
          },
          "{grpc,grpc-web,grpcweb,connect,passthrough}"));
  cmd->add_flag("--upstream-insecure", flags->upstream_insecure,
                "do not verify the upstream's certificate");
  cmd->add_option("--admin", flags->admin, "HOST:PORT for /metrics, /healthz and /ready");
  cmd->add_option("--access-log", flags->access_log, "a JSON line per call to FILE (- = stdout)");
  cmd->add_option("--descriptor-set", flags->descriptor_sets,
                  "FileDescriptorSet file, to transcode JSON calls (repeatable)");
  cmd->add_flag("--upstream-reflection", flags->upstream_reflection,
                "learn the types of JSON calls from the upstream's reflection service");
  cmd->add_flag("--upgrade-protobuf", flags->upgrade_protobuf,
                "HTTP/1.1 bridge: take application/x-protobuf requests as unary gRPC calls");
  cmd->callback([cmd, server, flags] {
    gateway::GatewayConfig config;
    if (!flags->config.empty()) {
      // The file describes everything: a flag beside it would be silently unused.
      auto conflicting = flags_besides_config(*cmd);
      if (!conflicting.empty()) {
        std::string names;
        for (const auto& name : conflicting) names += (names.empty() ? "" : ", ") + name;
        throw CLI::ValidationError("--config cannot be combined with " + names +
                                   " (the file sets listeners, upstreams and admin)");
      }
      try {
        config = gateway::load_config(flags->config);
      } catch (const gateway::ConfigError& e) {
        std::cerr << "triplex proxy: " << e.what() << "\n";
        set_exit_code(2);
        return;
      }
    } else {
      config = config_from_flags(*server, *flags);
    }
    set_exit_code(run_gateway(std::move(config)));
  });
}

}  // namespace triplex::cli
