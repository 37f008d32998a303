#include "triplex/status.h"

#include <array>
#include <charconv>

namespace triplex {
namespace {

struct CodeNames {
  std::string_view grpc;
  std::string_view connect;
};

// Indexed by the numeric code.
constexpr std::array<CodeNames, 17> kNames = {{
    {"OK", "ok"},
    {"CANCELLED", "canceled"},
    {"UNKNOWN", "unknown"},
    {"INVALID_ARGUMENT", "invalid_argument"},
    {"DEADLINE_EXCEEDED", "deadline_exceeded"},
    {"NOT_FOUND", "not_found"},
    {"ALREADY_EXISTS", "already_exists"},
    {"PERMISSION_DENIED", "permission_denied"},
    {"RESOURCE_EXHAUSTED", "resource_exhausted"},
    {"FAILED_PRECONDITION", "failed_precondition"},
    {"ABORTED", "aborted"},
    {"OUT_OF_RANGE", "out_of_range"},
    {"UNIMPLEMENTED", "unimplemented"},
    {"INTERNAL", "internal"},
    {"UNAVAILABLE", "unavailable"},
    {"DATA_LOSS", "data_loss"},
    {"UNAUTHENTICATED", "unauthenticated"},
}};

std::size_t index_of(Code code) {
  auto i = static_cast<std::size_t>(code);
  // An out-of-range value cast into Code reads as UNKNOWN.
  return i < kNames.size() ? i : static_cast<std::size_t>(Code::kUnknown);
}

}  // namespace

std::string_view code_name(Code code) { return kNames[index_of(code)].grpc; }

std::string_view connect_code_name(Code code) { return kNames[index_of(code)].connect; }

std::optional<Code> code_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (name == kNames[i].grpc || name == kNames[i].connect) return static_cast<Code>(i);
  }
  return std::nullopt;
}

std::optional<Code> code_from_number(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  unsigned long long value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // Too many digits to fit still names a code we do not know.
  if (ec == std::errc::result_out_of_range) return Code::kUnknown;
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  if (value >= kNames.size()) return Code::kUnknown;
  return static_cast<Code>(value);
}

std::string Status::to_string() const {
  std::string out(code_name(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace triplex
