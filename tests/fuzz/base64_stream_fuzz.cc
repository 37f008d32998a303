// gRPC-Web text bodies arrive in arbitrary pieces: decoding split input must
// agree with decoding it whole, and never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/wire/base64_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t cut = data[0] % (input.size() + 1);
  triplex::wire::Base64StreamDecoder whole, split;
  std::string a, b;
  bool ok_whole = whole.feed(input, a);
  bool ok_split = split.feed(input.substr(0, cut), b) && split.feed(input.substr(cut), b);
  if (ok_whole != ok_split ||
      (ok_whole && (a != b || whole.at_boundary() != split.at_boundary()))) {
    __builtin_trap();
  }
  return 0;
}
