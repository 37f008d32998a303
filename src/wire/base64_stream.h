#pragma once
// Incremental base64 decoding for gRPC-Web text bodies: input arrives in
// arbitrary pieces and may be a concatenation of separately padded chunks.
#include <string>
#include <string_view>

namespace triplex::wire {

class Base64StreamDecoder {
 public:
  // Appends the bytes decoded so far to `out`; false on invalid input.
  bool feed(std::string_view text, std::string& out);
  // True when no partial quantum is pending (a valid place to end).
  bool at_boundary() const { return pending_.empty(); }

 private:
  std::string pending_;  // fewer than 4 characters of the next quantum
};

}  // namespace triplex::wire
