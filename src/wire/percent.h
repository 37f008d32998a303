#pragma once
// Percent-encoding of grpc-message: bytes outside 0x20..0x7E and '%' itself
// are sent as %XX (UTF-8 bytes each encoded).
#include <string>
#include <string_view>

namespace triplex::wire {

std::string percent_encode(std::string_view text);
// Lenient, as gRPC requires: malformed %-sequences are kept verbatim.
std::string percent_decode(std::string_view text);

}  // namespace triplex::wire
