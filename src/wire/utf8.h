#pragma once
// Peer-chosen text (method names, status messages) goes into outputs that must
// be valid UTF-8: a Prometheus scrape or a JSON access-log line. One bad byte
// would make the whole scrape (or line) unreadable, so ill-formed sequences
// are replaced with U+FFFD rather than passed through.
#include <string>
#include <string_view>

namespace triplex::wire {

// Length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF), or 0 if there is none.
inline std::size_t utf8_sequence_length(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  auto continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (lead == 0xED && byte(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (lead == 0xF4 && byte(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

inline bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    std::size_t n = utf8_sequence_length(text);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

// `text` with every byte that does not start a well-formed sequence replaced
// by U+FFFD.
inline std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::size_t n = utf8_sequence_length(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      n = 1;
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

// `text` itself when it is valid (no copy), else its repair kept in `storage`.
inline std::string_view as_valid_utf8(std::string_view text, std::string& storage) {
  if (is_valid_utf8(text)) return text;
  storage = valid_utf8(text);
  return storage;
}

}  // namespace triplex::wire
