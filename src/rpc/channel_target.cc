#include "src/rpc/channel_target.h"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace triplex::rpc {

ChannelTarget parse_channel_target(const std::string& url) {
  ChannelTarget target;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    target.tls = false;
    target.port = 80;
    rest.remove_prefix(7);
  } else {
    throw std::invalid_argument("target must start with https:// or http://: \"" + url + "\"");
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") {
      throw std::invalid_argument("target must not have a path: \"" + url + "\"");
    }
    rest = rest.substr(0, slash);
  }
  std::string_view port;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("unclosed '[' in " + url);
    target.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw std::invalid_argument("bad port in " + url);
      port = after.substr(1);
    }
  } else {
    auto colon = rest.rfind(':');
    target.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (target.host.empty()) throw std::invalid_argument("target has no host: \"" + url + "\"");
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      throw std::invalid_argument("bad port in " + url);
    }
    target.port = static_cast<std::uint16_t>(value);
  }
  bool ipv6 = target.host.find(':') != std::string::npos;
  target.authority =
      (ipv6 ? "[" + target.host + "]" : target.host) + ":" + std::to_string(target.port);
  return target;
}

}  // namespace triplex::rpc
