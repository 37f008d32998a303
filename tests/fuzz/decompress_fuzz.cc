// Every decompressor on arbitrary bytes with a small limit, plus a round trip
// of the input through one compressor.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/wire/compression.h"

namespace {

using triplex::wire::Compressor;
using triplex::wire::DecompressResult;

constexpr std::size_t kLimit = 64 * 1024;
constexpr std::array<std::string_view, 4> kNames = {"gzip", "deflate", "zstd", "br"};

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string out;
  for (std::string_view name : kNames) {
    const Compressor* c = triplex::wire::find_compressor(name);
    check(c != nullptr);
    const DecompressResult result = c->decompress(input, kLimit, out);
    if (result == DecompressResult::kOk) {
      check(out.size() <= kLimit);
    } else {
      check(out.empty());
    }
    // The output buffer never grows much past the limit.
    check(out.capacity() <= kLimit + 64 * 1024);
  }

  const Compressor* c = triplex::wire::find_compressor(kNames[size % kNames.size()]);
  std::string packed;
  c->compress(input, packed);
  check(c->decompress(packed, size, out) == DecompressResult::kOk && out == input);
  if (size > 0) check(c->decompress(packed, size - 1, out) == DecompressResult::kTooLarge);
  return 0;
}
