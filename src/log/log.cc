// The library's log output: spdlog on stderr by default (time, level, thread-safe
// writes), or the program's own sink. Fields are formatted here, once, as
// `key=value` in text or as JSON members.
#include "src/log/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "src/wire/json_quote.h"

namespace triplex {
namespace log {
namespace {

LogLevel level_from_environment() {
  const char* value = std::getenv("TRIPLEX_LOG_LEVEL");
  if (value == nullptr) return LogLevel::kInfo;
  return parse_log_level(value).value_or(LogLevel::kInfo);
}

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      break;
  }
  return spdlog::level::off;
}

// Quotes a text value only when it would not read as one word.
void append_text_value(std::string& out, std::string_view value) {
  bool plain = !value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += value;
  } else {
    wire::append_json_quote(out, value);
  }
}

class Output {
 public:
  Output() {
    const char* format = std::getenv("TRIPLEX_LOG_FORMAT");
    logger_ = std::make_shared<spdlog::logger>("triplex",
                                               std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger_->set_level(spdlog::level::trace);  // the level is checked before we get here
    logger_->flush_on(spdlog::level::trace);   // lines reach a pipe or file as they happen
    set_format(format != nullptr && std::string_view(format) == "json" ? LogFormat::kJson
                                                                       : LogFormat::kText);
  }

  void set_format(LogFormat format) {
    std::lock_guard lock(mutex_);
    format_ = format;
    if (format == LogFormat::kJson) {
      logger_->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                           spdlog::pattern_time_type::utc);
    } else {
      logger_->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
    }
  }

  void set_sink(LogSink sink) {
    std::lock_guard lock(mutex_);
    sink_ = sink ? std::make_shared<LogSink>(std::move(sink)) : nullptr;
  }

  void write(LogLevel level, std::string_view message, std::span<const LogField> fields) {
    std::shared_ptr<LogSink> sink;
    LogFormat format;
    {
      std::lock_guard lock(mutex_);
      sink = sink_;
      format = format_;
    }
    if (sink) {
      (*sink)(LogRecord{level, message, fields});
      return;
    }
    std::string line;
    line.reserve(message.size() + 24 * fields.size() + 16);
    if (format == LogFormat::kJson) {
      line += "\"msg\":";
      wire::append_json_quote(line, message);
      for (const auto& f : fields) {
        line += ',';
        wire::append_json_quote(line, f.key);
        line += ':';
        wire::append_json_quote(line, f.value);
      }
    } else {
      line += message;
      for (const auto& f : fields) {
        line += ' ';
        line += f.key;
        line += '=';
        append_text_value(line, f.value);
      }
    }
    logger_->log(to_spdlog(level), "{}", line);
  }

 private:
  std::mutex mutex_;
  LogFormat format_ = LogFormat::kText;
  std::shared_ptr<LogSink> sink_;
  std::shared_ptr<spdlog::logger> logger_;
};

Output& output() {
  static Output instance;
  return instance;
}

}  // namespace

Field::Field(std::string_view k, double v) : key(k) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", v);
  value = text;
}

std::atomic<int> g_level{static_cast<int>(level_from_environment())};

void write(LogLevel level, std::string_view message, std::span<const LogField> fields) {
  try {
    output().write(level, message, fields);
  } catch (...) {
    // A log line is never worth failing the caller (a full disk, a throwing sink).
  }
}

void write(LogLevel level, std::string_view message, std::initializer_list<Field> fields) {
  std::vector<LogField> views;
  views.reserve(fields.size());
  for (const auto& f : fields) views.push_back({f.key, f.value});
  write(level, message, std::span<const LogField>(views));
}

}  // namespace log

bool log_enabled(LogLevel level) { return log::enabled(level); }

void log_message(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!log::enabled(level)) return;
  log::write(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}

void set_log_level(LogLevel level) {
  log::g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel log_level() { return static_cast<LogLevel>(log::g_level.load(std::memory_order_relaxed)); }

void set_log_format(LogFormat format) { log::output().set_format(format); }

void set_log_sink(LogSink sink) { log::output().set_sink(std::move(sink)); }

std::optional<LogLevel> parse_log_level(std::string_view name) {
  if (name == "trace") return LogLevel::kTrace;
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off") return LogLevel::kOff;
  return std::nullopt;
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      break;
  }
  return "off";
}

}  // namespace triplex
