#pragma once
// Base64 for -bin metadata, gRPC-Web text mode and Connect GET messages.
#include <optional>
#include <string>
#include <string_view>

namespace triplex::wire {

enum class Base64Alphabet { kStandard, kUrlSafe };

std::string base64_encode(std::string_view bytes,
                          Base64Alphabet alphabet = Base64Alphabet::kStandard, bool pad = true);
// Accepts the standard and URL-safe alphabets, padded or unpadded; nullopt on
// any other character or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace triplex::wire
