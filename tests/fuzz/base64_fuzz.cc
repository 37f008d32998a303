// Decoding arbitrary text must not crash, and whatever decodes must survive a
// re-encode in every variant.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/wire/base64.h"

namespace {

using triplex::wire::base64_decode;
using triplex::wire::base64_encode;
using triplex::wire::Base64Alphabet;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_round_trip(std::string_view bytes) {
  for (auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrlSafe}) {
    for (bool pad : {true, false}) {
      const std::string text = base64_encode(bytes, alphabet, pad);
      check(text.size() <= (bytes.size() + 2) / 3 * 4);
      const auto decoded = base64_decode(text);
      check(decoded.has_value() && *decoded == bytes);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto decoded = base64_decode(input)) {
    check(decoded->size() <= input.size() * 3 / 4 + 1);
    check_round_trip(*decoded);
  }
  check_round_trip(input);
  return 0;
}
