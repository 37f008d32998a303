#pragma once
// grpc-timeout: at most 8 ASCII digits and a unit (H M S m u n).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace triplex::wire {

std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view text);
// Picks the finest unit whose value fits in 8 digits; rounds up so the peer
// never sees a shorter deadline than ours.
std::string format_grpc_timeout(std::chrono::nanoseconds timeout);

}  // namespace triplex::wire
