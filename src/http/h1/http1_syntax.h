#pragma once
// Small HTTP/1.1 grammar helpers (RFC 9110 section 5.6) shared by the
// server's request parser and the client's request writer and response
// parser.
//
// Concurrency: pure functions.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <vector>

#include "src/http/headers.h"

namespace triplex::http::h1syntax {

inline bool is_tchar(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
}

inline bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

inline bool is_ws(char c) { return c == ' ' || c == '\t'; }

// A field-value byte: VCHAR, obs-text, SP or HTAB.
inline bool is_value_char(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return (c >= 0x20 || c == '\t') && c != 0x7f;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Comma-separated list elements, OWS trimmed, parameters (";q=...") cut off.
inline std::vector<std::string_view> list_tokens(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    auto comma = value.find(',');
    auto item = value.substr(0, comma);
    item = trim(item.substr(0, item.find(';')));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// Whether any `name` field lists `token` (case-insensitively).
inline bool has_token(const Headers& headers, std::string_view name, std::string_view token) {
  for (const auto& h : headers) {
    if (h.name != name) continue;
    for (auto t : list_tokens(h.value)) {
      if (iequals(t, token)) return true;
    }
  }
  return false;
}

// 1*DIGIT, small enough never to overflow.
inline bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

}  // namespace triplex::http::h1syntax
