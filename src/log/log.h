#pragma once
// Logging inside the library: TRIPLEX_LOG(level, message, {fields}) costs one
// relaxed atomic load when the level is off, and nothing is formatted.
//
//   TRIPLEX_LOG(LogLevel::kWarn, "handler threw", {{"path", path}, {"what", e.what()}});
#include <atomic>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "triplex/log.h"

namespace triplex::log {

// A field's value, owned, so numbers and temporaries can be passed in place.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename Integer>
  requires std::is_integral_v<Integer> Field(std::string_view k, Integer v)
      : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);  // three decimals
  std::string_view key;
  std::string value;
};

extern std::atomic<int> g_level;

inline bool enabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(LogLevel level, std::string_view message, std::initializer_list<Field> fields = {});
void write(LogLevel level, std::string_view message, std::span<const LogField> fields);

}  // namespace triplex::log

#define TRIPLEX_LOG(level, ...)                                                    \
  do {                                                                             \
    if (::triplex::log::enabled(level)) ::triplex::log::write(level, __VA_ARGS__); \
  } while (0)
