#include "src/wire/base64_stream.h"

#include "src/wire/base64.h"

namespace triplex::wire {

bool Base64StreamDecoder::feed(std::string_view text, std::string& out) {
  // Decode whole 4-character quanta; each may end with padding, which is how
  // separately encoded chunks are joined.
  for (char c : text) {
    if (c == '\r' || c == '\n') continue;
    pending_.push_back(c);
    if (pending_.size() < 4) continue;
    auto decoded = base64_decode(pending_);
    if (!decoded) return false;
    out.append(*decoded);
    pending_.clear();
  }
  return true;
}

}  // namespace triplex::wire
