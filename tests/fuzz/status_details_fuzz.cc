// google.rpc.Status bytes from a peer (grpc-status-details-bin) must parse or
// be refused without crashing, and whatever parses must survive a re-encode.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/wire/status_details.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = triplex::wire::parse_rpc_status(input);
  if (!parsed) return 0;
  auto again = triplex::wire::parse_rpc_status(triplex::wire::serialize_rpc_status(*parsed));
  if (!again || again->message != parsed->message ||
      again->details.size() != parsed->details.size()) {
    __builtin_trap();
  }
  return 0;
}
