// Header field decoding plus the status parsers that read header values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/wire/metadata_codec.h"
#include "triplex/metadata.h"
#include "triplex/status.h"

namespace {

using triplex::Metadata;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // "key\nvalue"; without a newline the whole input is the value of a -bin key.
  const std::size_t newline = input.find('\n');
  const std::string_view key =
      newline == std::string_view::npos ? "x-bin" : input.substr(0, newline);
  const std::string_view value =
      newline == std::string_view::npos ? input : input.substr(newline + 1);

  (void)triplex::wire::is_reserved_header(key);
  (void)triplex::wire::is_valid_metadata_key(key);
  (void)triplex::wire::is_valid_ascii_value(value);

  Metadata md;
  if (triplex::wire::decode_metadata_field(key, value, md)) {
    check(!md.empty());
    // Each decoded entry must encode and decode back to itself.
    for (const auto& [k, v] : md) {
      Metadata again;
      check(triplex::wire::decode_metadata_field(k, triplex::wire::encode_metadata_value(k, v),
                                                 again));
      check(again.size() == 1 && again.begin()->second == v);
    }
    check(md.all(key).size() == md.size());
    md.remove(key);
    check(md.empty());
  } else {
    check(Metadata::is_binary_key(key) && md.empty());
  }

  if (const auto code = triplex::code_from_name(value)) {
    check(triplex::code_name(*code) == value || triplex::connect_code_name(*code) == value);
  }
  if (const auto code = triplex::code_from_number(value)) {
    check(static_cast<int>(*code) <= 16);
  }
  return 0;
}
