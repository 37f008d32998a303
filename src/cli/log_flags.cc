#include "src/cli/log_flags.h"

#include <string>

#include "triplex/log.h"

namespace triplex::cli {

void add_log_flags(CLI::App& app) {
  // Flags win over TRIPLEX_LOG_LEVEL / TRIPLEX_LOG_FORMAT, which the library reads itself.
  app.add_option_function<std::string>(
         "--log-level", [](const std::string& name) { set_log_level(*parse_log_level(name)); },
         "error, warn, info (default), debug (a line per call) or trace")
      ->check(CLI::IsMember({"error", "warn", "info", "debug", "trace", "off"}))
      ->envname("TRIPLEX_LOG_LEVEL");
  app.add_option_function<std::string>(
         "--log-format",
         [](const std::string& format) {
           set_log_format(format == "json" ? LogFormat::kJson : LogFormat::kText);
         },
         "text (default) or json (a JSON object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->envname("TRIPLEX_LOG_FORMAT");
  app.fallthrough();
}

}  // namespace triplex::cli
