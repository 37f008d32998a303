// `triplex eliza`: serves the Eliza demo service (and gRPC health and reflection).
#include <memory>

#include "examples/eliza/eliza_service.h"
#include "src/cli/commands.h"
#include "src/cli/eliza_page.h"
#include "src/cli/server_flags.h"
#include "triplex/health.h"
#include "triplex/reflection.h"

namespace triplex::cli {
namespace {
int g_exit_code = 0;
}  // namespace

int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

void add_eliza_command(CLI::App& app) {
  auto flags = std::make_shared<ServerFlags>();
  flags->cors_origins = {"*"};  // a public demo: any web page may talk to ELIZA
  auto* cmd = app.add_subcommand("eliza", "serve connectrpc.eliza.v1.ElizaService");
  add_server_flags(*cmd, *flags);
  cmd->callback([flags] {
    Server server(to_server_options(*flags));
    server.add_service(std::make_shared<eliza::ElizaServiceImpl>());
    auto health = std::make_shared<HealthService>();
    health->set_status("connectrpc.eliza.v1.ElizaService", HealthService::kServing);
    server.add_service(health);
    add_eliza_page(server);  // a chat page at "/" that calls the service from the browser
    if (!flags->no_reflection) add_reflection_services(server);
    set_exit_code(run_server(server, *flags));
  });
}

}  // namespace triplex::cli
