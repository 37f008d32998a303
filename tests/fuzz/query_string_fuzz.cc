// The query of a request target (Connect GET carries its message there).
// Arbitrary targets must parse; and parameters written the way HTML forms
// write them must read back exactly. Input: NUL-separated names and values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/rpc/query_string.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::fuzz::check;
using triplex::rpc::QueryString;

// application/x-www-form-urlencoded: unreserved bytes kept, space as '+',
// everything else %XX.
std::string form_encode(std::string_view text, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

// Splits at '&' and '=' as a reader must, to know which names exist.
std::vector<std::string_view> raw_names(std::string_view target) {
  std::vector<std::string_view> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) out.push_back(pair.substr(0, pair.find('=')));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The input itself as a target: every parameter in it can be found, and
  // decoding never grows a value.
  const QueryString raw(input);
  for (std::string_view name : raw_names(input)) {
    // Names are decoded like values: look up those without %XX by hand.
    if (name.find('%') != std::string_view::npos) continue;
    std::string decoded_name(name);
    for (char& c : decoded_name) c = c == '+' ? ' ' : c;
    const auto value = raw.get(decoded_name);
    check(value.has_value(), "every parameter present can be found");
    check(value->size() <= input.size(), "decoding never grows");
  }

  // NUL-separated name, value, name, value...: encoded, then read back.
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  std::vector<std::string> parts;
  while (start <= input.size()) {
    std::size_t end = input.find('\0', start);
    if (end == std::string_view::npos) end = input.size();
    parts.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) params.emplace_back(parts[i], parts[i + 1]);
  const bool plus = size % 2 == 0;
  std::string target = "/pkg.Service/Method?";
  for (const auto& [name, value] : params) {
    target += form_encode(name, plus) + "=" + form_encode(value, plus) + "&";
  }
  const QueryString query(target);
  for (const auto& [name, value] : params) {
    if (name.empty()) continue;  // "=value" names nothing
    std::string first;
    for (const auto& [n, v] : params) {
      if (n == name) {
        first = v;
        break;
      }
    }
    const auto got = query.get(name);
    check(got.has_value() && *got == first, "a form-encoded parameter reads back");
  }
  return 0;
}
