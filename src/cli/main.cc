// `triplex`: the command-line front door. Each subcommand lives in its own file.
//
// Exit status: 0 on success (and for --help, --version); 2 for a command line
// that cannot be parsed (an unknown command or flag, a flag without its value,
// flags that exclude each other), reported as one line on stderr; otherwise
// what the command says (`triplex curl`: 1 for a local failure, the RPC code
// times 8 for a status from the server).
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "src/cli/commands.h"
#include "src/cli/log_flags.h"
#include "triplex/version.h"

namespace {

constexpr int kUsageError = 2;

// "triplex curl": the command a usage error belongs to, for the --help hint.
std::string command_path(const CLI::App& app) {
  std::string path = "triplex";
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) {
    at = at->get_subcommands().front();
    path += " " + at->get_name();
  }
  return path;
}

// CLI11's message for `e`, reworded where a shorter one says more.
std::string usage_problem(CLI::App& app, const CLI::ParseError& e) {
  std::vector<std::string> left = app.remaining(true);
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && !left.empty()) {
    const std::string& first = left.front();
    if (first.starts_with("-")) return "unknown flag " + first.substr(0, first.find('='));
    return "unexpected argument \"" + first + "\"";
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && app.get_subcommands().empty()) {
    if (!left.empty() && !left.front().starts_with("-")) {
      return "unknown command \"" + left.front() + "\"";
    }
    if (!left.empty()) return "unknown flag " + left.front().substr(0, left.front().find('='));
    std::string names;
    for (const CLI::App* sub :
         app.get_subcommands([](CLI::App* a) { return !a->get_name().empty(); })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    return "missing command (" + names + ")";
  }
  // "--data: 1 required TEXT missing"
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    std::string what = e.what();
    auto colon = what.find(": ");
    if (colon != std::string::npos && what.ends_with(" missing")) {
      return "flag " + what.substr(0, colon) + " needs a value";
    }
  }
  std::string what = e.what();
  // "Option x is required" reads "option x is required"; an acronym ("TLS: ...") stays.
  bool acronym = what.size() > 1 && std::isupper(static_cast<unsigned char>(what[1]));
  if (!what.empty() && !acronym) {
    what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  }
  // One line, whatever CLI11 put in the message.
  for (char& c : what) {
    if (c == '\n') c = ' ';
  }
  return what;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"triplex: gRPC, gRPC-Web and Connect over HTTP/1.1, HTTP/2 and HTTP/3"};
  app.name("triplex");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("triplex ") + triplex::kVersion,
                       "print the version and exit");
  triplex::cli::add_log_flags(app);  // before any subcommand's callback runs a server
  app.footer(
      "Exit status: 0 on success; 2 for a command line that cannot be parsed (unknown command\n"
      "or flag, missing value); `triplex curl`: 1 for a local failure, the RPC's code times 8\n"
      "for an error status from the server.");
  triplex::cli::add_eliza_command(app);
  triplex::cli::add_proxy_command(app);
  triplex::cli::add_curl_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version: on stdout, status 0
  } catch (const CLI::ParseError& e) {
    std::cerr << "triplex: " << usage_problem(app, e) << " (see " << command_path(app) << " --help)"
              << std::endl;
    return kUsageError;
  }
  return triplex::cli::exit_code();
}
