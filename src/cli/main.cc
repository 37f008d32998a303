// `triplex`: the command-line front door. Each subcommand lives in its own file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "src/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"triplex: gRPC, gRPC-Web and Connect over HTTP/1.1, HTTP/2 and HTTP/3"};
  app.require_subcommand(1);
  triplex::cli::add_eliza_command(app);
  triplex::cli::add_proxy_command(app);
  triplex::cli::add_curl_command(app);
  CLI11_PARSE(app, argc, argv);
  return triplex::cli::exit_code();
}
