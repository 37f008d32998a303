#pragma once
// --log-level and --log-format, for every `triplex` command: they go on the
// top-level app, and subcommands fall through to them.
#include <CLI/CLI.hpp>

namespace triplex::cli {

void add_log_flags(CLI::App& app);

}  // namespace triplex::cli
