#pragma once
// The HTTP/3 alternative in an Alt-Svc response field (RFC 7838): what a
// client on HTTP/1.1 or HTTP/2 needs to move to HTTP/3 on the same host.
//
// Concurrency: pure functions.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace triplex::http {

struct AltSvcH3 {
  bool clear = false;  // "clear": forget every alternative
  std::uint16_t port = 0;
  std::chrono::seconds max_age{86400};  // ma=, 24 hours when absent
};

// The first `h3="[host]:port"` entry whose host is empty or `host`, or
// "clear"; nullopt when the field offers no usable HTTP/3 alternative.
std::optional<AltSvcH3> parse_alt_svc_h3(std::string_view field, std::string_view host);

}  // namespace triplex::http
