#pragma once
// Per-message compression (grpc-encoding, connect-content-encoding,
// content-encoding). Inflation stops at a size limit, so a small bomb never
// allocates more than the receive limit.
#include <cstddef>
#include <string>
#include <string_view>

namespace triplex::wire {

enum class DecompressResult { kOk, kTooLarge, kCorrupt };

class Compressor {
 public:
  virtual ~Compressor() = default;
  // The token on the wire: "gzip", "deflate", "zstd", "br".
  virtual std::string_view name() const = 0;
  virtual void compress(std::string_view in, std::string& out) const = 0;
  // Replaces `out` with the decompressed bytes; kTooLarge as soon as the
  // output would exceed `limit`.
  virtual DecompressResult decompress(std::string_view in, std::size_t limit,
                                      std::string& out) const = 0;
};

// nullptr for "identity" and for unknown names.
const Compressor* find_compressor(std::string_view name);
// "gzip,deflate,zstd,br" — what we advertise in *-accept-encoding.
std::string_view supported_encodings();

}  // namespace triplex::wire
