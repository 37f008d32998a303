#include "src/wire/timeout.h"

#include <array>
#include <cstdint>

namespace triplex::wire {
namespace {

using std::chrono::nanoseconds;

constexpr std::int64_t kMaxValue = 99'999'999;  // 8 digits
// About 100 years; every parsed timeout is clamped here so callers can add it
// to a clock reading without overflow.
constexpr std::int64_t kSaturateNs = 100LL * 365 * 24 * 3600 * 1'000'000'000LL;

struct Unit {
  char symbol;
  std::int64_t ns;
};

// Finest first, which is the order format tries them in.
constexpr std::array<Unit, 6> kUnits = {{
    {'n', 1},
    {'u', 1'000},
    {'m', 1'000'000},
    {'S', 1'000'000'000},
    {'M', 60LL * 1'000'000'000},
    {'H', 3600LL * 1'000'000'000},
}};

}  // namespace

std::optional<nanoseconds> parse_grpc_timeout(std::string_view text) {
  if (text.size() < 2 || text.size() > 9) return std::nullopt;
  const char symbol = text.back();
  text.remove_suffix(1);
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  for (const Unit& unit : kUnits) {
    if (unit.symbol != symbol) continue;
    // value < 10^8 and ns <= 3.6e12, so compare by division to stay in range.
    if (value > kSaturateNs / unit.ns) return nanoseconds(kSaturateNs);
    return nanoseconds(value * unit.ns);
  }
  return std::nullopt;
}

std::string format_grpc_timeout(nanoseconds timeout) {
  const std::int64_t ns = timeout.count();
  if (ns <= 0) return "0n";  // already expired; the peer fails the call at once
  for (const Unit& unit : kUnits) {
    // Round up: ceil(ns / unit) without overflowing near INT64_MAX.
    const std::int64_t value = ns / unit.ns + (ns % unit.ns != 0 ? 1 : 0);
    if (value <= kMaxValue) return std::to_string(value) + unit.symbol;
  }
  return std::to_string(kMaxValue) + 'H';
}

}  // namespace triplex::wire
