#pragma once
// A channel's target URL, taken apart: "https://host:port" or
// "http://[::1]:8080". The port defaults to 443 / 80.
#include <cstdint>
#include <string>

namespace triplex::rpc {

struct ChannelTarget {
  bool tls = true;
  std::string host;  // without brackets
  std::uint16_t port = 443;
  std::string authority;  // host:port as the :authority field carries it
  std::string scheme() const { return tls ? "https" : "http"; }
};

// Throws std::invalid_argument with what is wrong.
ChannelTarget parse_channel_target(const std::string& url);

}  // namespace triplex::rpc
