#pragma once
/// @file
/// triplex's logs: levels, text or JSON lines on stderr by default, or handed to
/// a sink of the program's own (to route them into its logging).
///
///    triplex::set_log_level(triplex::LogLevel::kDebug);   // one line per call
///    triplex::set_log_sink([](const triplex::LogRecord& r) { my_logger.write(r); });
///
/// What is logged: at info, start-up (addresses, HTTP versions, TLS), drain and
/// shutdown; at warn and error, handler exceptions, protocol and TLS library
/// errors with the connection they hit, upstream failures in the gateway; at
/// debug, each call (peer, protocol, HTTP version, path, code, duration).
///
/// Concurrency: every function here is safe from any thread; the sink is called
/// on whichever thread logs, and must be thread-safe itself.
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

namespace triplex {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat { kText, kJson };

struct LogField {
  std::string_view key;
  std::string_view value;
};

/// Valid only during the sink's call.
struct LogRecord {
  LogLevel level;
  std::string_view message;
  std::span<const LogField> fields;  ///< context: peer, path, code, ...
};
using LogSink = std::function<void(const LogRecord&)>;

/// Messages below `level` are dropped before they are formatted. Default: info,
/// or TRIPLEX_LOG_LEVEL from the environment.
void set_log_level(LogLevel level);
LogLevel log_level();
/// The default output's form (a sink of one's own formats for itself).
/// Default: text, or TRIPLEX_LOG_FORMAT=json.
void set_log_format(LogFormat format);
/// Replaces the default output (stderr); an empty function restores it.
void set_log_sink(LogSink sink);

/// One line through triplex's log, for programs built on the library (the
/// gateway, the tools) so that everything lands in one stream, one format.
bool log_enabled(LogLevel level);
void log_message(LogLevel level, std::string_view message,
                 std::initializer_list<LogField> fields = {});

/// "error", "warn", "info", "debug", "trace", "off" (and "warning").
std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

}  // namespace triplex
