#pragma once
// Registration of the `triplex` subcommands. A subcommand's callback stores
// its exit status for main() to return.
#include <CLI/CLI.hpp>

namespace triplex::cli {

void add_eliza_command(CLI::App& app);
void add_curl_command(CLI::App& app);
void add_proxy_command(CLI::App& app);

int exit_code();
void set_exit_code(int code);

}  // namespace triplex::cli
