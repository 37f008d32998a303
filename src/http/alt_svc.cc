#include "src/http/alt_svc.h"

#include <charconv>
#include <string>

namespace triplex::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// One alternative: `h3=":443"; ma=3600; persist=1`.
std::optional<AltSvcH3> parse_alternative(std::string_view item, std::string_view host) {
  std::size_t semi = item.find(';');
  std::string_view alternative = trim(item.substr(0, semi));
  std::size_t eq = alternative.find('=');
  if (eq == std::string_view::npos || trim(alternative.substr(0, eq)) != "h3") return std::nullopt;
  std::string_view authority = trim(alternative.substr(eq + 1));
  if (authority.size() < 2 || authority.front() != '"' || authority.back() != '"') {
    return std::nullopt;
  }
  authority = authority.substr(1, authority.size() - 2);
  std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view alt_host = authority.substr(0, colon);
  if (alt_host.size() >= 2 && alt_host.front() == '[' && alt_host.back() == ']') {
    alt_host = alt_host.substr(1, alt_host.size() - 2);
  }
  // Another host would need its own certificate check and connection.
  if (!alt_host.empty() && alt_host != host) return std::nullopt;
  AltSvcH3 result;
  if (!parse_number(authority.substr(colon + 1), result.port) || result.port == 0) {
    return std::nullopt;
  }
  while (semi != std::string_view::npos) {
    item.remove_prefix(semi + 1);
    semi = item.find(';');
    std::string_view parameter = trim(item.substr(0, semi));
    if (parameter.substr(0, 3) == "ma=") {
      long long seconds = 0;
      if (parse_number(parameter.substr(3), seconds))
        result.max_age = std::chrono::seconds(seconds);
    }
  }
  return result;
}

}  // namespace

std::optional<AltSvcH3> parse_alt_svc_h3(std::string_view field, std::string_view host) {
  if (trim(field) == "clear") return AltSvcH3{true, 0, std::chrono::seconds(0)};
  while (!field.empty()) {
    // Commas inside quoted authorities do not occur: hosts and ports have none.
    std::size_t comma = field.find(',');
    if (auto h3 = parse_alternative(field.substr(0, comma), host)) return h3;
    if (comma == std::string_view::npos) break;
    field.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

}  // namespace triplex::http
