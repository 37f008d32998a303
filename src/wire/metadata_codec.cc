#include "src/wire/metadata_codec.h"

#include <array>

#include "src/wire/base64.h"

namespace triplex::wire {
namespace {

// Transport and protocol headers that are never custom metadata. Anything
// starting with "grpc-" or ':' is reserved as well (checked separately).
constexpr std::array<std::string_view, 15> kReserved = {
    "content-type",
    "content-length",
    "te",
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
    "accept-encoding",
    "content-encoding",
    "connect-protocol-version",
    "connect-timeout-ms",
    "connect-content-encoding",
    "connect-accept-encoding",
};

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_reserved_header(std::string_view lowercase_name) {
  if (lowercase_name.starts_with(':') || lowercase_name.starts_with("grpc-")) return true;
  for (std::string_view r : kReserved) {
    if (lowercase_name == r) return true;
  }
  return false;
}

bool is_valid_metadata_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_ascii_value(std::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

std::string encode_metadata_value(std::string_view key, std::string_view value) {
  if (Metadata::is_binary_key(key)) return base64_encode(value, Base64Alphabet::kStandard, false);
  return std::string(value);
}

bool decode_metadata_field(std::string_view key, std::string_view value, Metadata& md) {
  if (!Metadata::is_binary_key(key)) {
    md.add(key, value);
    return true;
  }
  // Decode every part before adding any, so a bad field leaves `md` untouched.
  Metadata decoded;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::optional<std::string> bytes = base64_decode(trim_spaces(value.substr(0, comma)));
    if (!bytes) return false;
    decoded.add(key, *bytes);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  for (const auto& [k, v] : decoded) md.add(k, v);
  return true;
}

}  // namespace triplex::wire
