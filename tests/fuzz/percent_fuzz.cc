// Encoding must yield printable ASCII that decodes back exactly; decoding
// arbitrary text must never grow it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/wire/percent.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string encoded = triplex::wire::percent_encode(input);
  for (unsigned char c : encoded) check(c >= 0x20 && c <= 0x7E);
  check(triplex::wire::percent_decode(encoded) == input);
  check(triplex::wire::percent_decode(input).size() <= input.size());
  return 0;
}
