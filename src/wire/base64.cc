#include "src/wire/base64.h"

#include <array>
#include <cstdint>

namespace triplex::wire {
namespace {

constexpr std::string_view kStandardChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafeChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xFF;

// One table for both alphabets: '+'/'-' map to 62 and '/'/'_' to 63.
constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (std::size_t i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kStandardChars[i])] = static_cast<std::uint8_t>(i);
    table[static_cast<unsigned char>(kUrlSafeChars[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr auto kDecodeTable = make_decode_table();

}  // namespace

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet, bool pad) {
  const std::string_view chars =
      alphabet == Base64Alphabet::kUrlSafe ? kUrlSafeChars : kStandardChars;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    out += chars[(v >> 18) & 0x3F];
    out += chars[(v >> 12) & 0x3F];
    out += chars[(v >> 6) & 0x3F];
    out += chars[v & 0x3F];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{p[i]} << 16;
    out += chars[(v >> 18) & 0x3F];
    out += chars[(v >> 12) & 0x3F];
    if (pad) out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
    out += chars[(v >> 18) & 0x3F];
    out += chars[(v >> 12) & 0x3F];
    out += chars[(v >> 6) & 0x3F];
    if (pad) out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // Padding, when present, must complete the last quantum exactly.
  if (text.size() % 4 == 0 && !text.empty()) {
    if (text.ends_with("==")) {
      text.remove_suffix(2);
    } else if (text.ends_with('=')) {
      text.remove_suffix(1);
    }
  }
  // A lone leftover character cannot encode a whole byte.
  if (text.size() % 4 == 1) return std::nullopt;

  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const std::uint8_t v = kDecodeTable[static_cast<unsigned char>(c)];
    if (v == kInvalid) return std::nullopt;
    acc = ((acc << 6) | v) & 0xFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits (below one byte) are ignored, as most decoders do.
  return out;
}

}  // namespace triplex::wire
