// Parses arbitrary grpc-timeout text, and formats arbitrary durations: every
// formatted value must parse back to at least the original.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "src/wire/timeout.h"

namespace {

using std::chrono::nanoseconds;

constexpr nanoseconds kSaturated(3'000'000'000'000'000'000);

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_format(nanoseconds timeout) {
  const std::string text = triplex::wire::format_grpc_timeout(timeout);
  check(text.size() >= 2 && text.size() <= 9);
  const auto parsed = triplex::wire::parse_grpc_timeout(text);
  check(parsed.has_value());
  // Never shorter, except where parsing saturates (about 100 years).
  check(*parsed >= std::min(timeout, kSaturated));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto parsed = triplex::wire::parse_grpc_timeout(input)) {
    check(size >= 2 && size <= 9);
    check(parsed->count() >= 0);
    check_format(*parsed);
  }
  if (size >= sizeof(std::int64_t)) {
    std::int64_t ns;
    std::memcpy(&ns, data, sizeof ns);
    check_format(nanoseconds(ns));
  }
  return 0;
}
