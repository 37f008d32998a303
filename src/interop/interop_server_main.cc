// triplex-interop-server: the gRPC interop TestService on a triplex server.
#include <CLI/CLI.hpp>

#include "src/cli/log_flags.h"
#include "src/cli/server_flags.h"
#include "src/interop/benchmark_service.h"
#include "src/interop/test_service.h"
#include "triplex/health.h"
#include "triplex/reflection.h"

int main(int argc, char** argv) {
  CLI::App app{"grpc.testing.TestService for interop testing"};
  triplex::cli::ServerFlags flags;
  flags.listen = "127.0.0.1:0";
  flags.cors_origins = {"*"};
  triplex::cli::add_server_flags(app, flags);
  triplex::cli::add_log_flags(app);
  triplex::ServerOptions options;
  try {
    app.parse(argc, argv);
    options = triplex::cli::to_server_options(flags);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // a usage error: its message and exit status, not an abort
  }
  options.max_receive_message_size = 16 * 1024 * 1024;
  options.max_send_message_size = 16 * 1024 * 1024;
  triplex::Server server(std::move(options));
  server.add_service(std::make_shared<triplex::interop::TestServiceImpl>());
  server.add_service(std::make_shared<triplex::interop::BenchmarkServiceImpl>());
  server.add_service(std::make_shared<triplex::HealthService>());
  if (!flags.no_reflection) triplex::add_reflection_services(server);
  return triplex::cli::run_server(server, flags);
}
