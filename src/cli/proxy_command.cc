// `triplex proxy`: the gateway. Serves gRPC, gRPC-Web and Connect on
// HTTP/1.1, HTTP/2 and HTTP/3 and forwards every call to one upstream as gRPC
// (src/gateway/forwarder.h). Config files, clusters and routes are to come
// (docs/gateway-plan.md).
#include <memory>

#include "src/cli/commands.h"
#include "src/cli/server_flags.h"
#include "src/gateway/forwarder.h"

namespace triplex::cli {

void add_proxy_command(CLI::App& app) {
  auto flags = std::make_shared<ServerFlags>();
  auto upstream = std::make_shared<std::string>();
  auto insecure = std::make_shared<bool>(false);
  auto* cmd =
      app.add_subcommand("proxy", "forward gRPC, gRPC-Web and Connect calls to a gRPC upstream");
  add_server_flags(*cmd, *flags);
  cmd->add_option("--upstream", *upstream,
                  "h2c://HOST:PORT, h2://HOST:PORT (TLS) or h3://HOST:PORT")
      ->required();
  cmd->add_flag("--upstream-insecure", *insecure, "do not verify the upstream's certificate");
  cmd->callback([flags, upstream, insecure] {
    auto forwarder =
        std::make_shared<gateway::Forwarder>(gateway::parse_upstream(*upstream, *insecure));
    Server server(to_server_options(*flags));
    server.set_fallback_handler(forwarder->handler());
    set_exit_code(run_server(server, *flags));
  });
}

}  // namespace triplex::cli
