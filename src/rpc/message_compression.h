#pragma once
// Response compression shared by the protocols: pick an encoding from the
// client's accept list, and compress only messages big enough to gain.
#include <string>
#include <string_view>

#include "src/wire/compression.h"

namespace triplex::rpc {

// Smaller messages go out uncompressed: the framing flag allows mixing, and
// compressing a few bytes only costs CPU.
inline constexpr std::size_t kCompressMinBytes = 1024;

// The first encoding of a comma-separated accept list that we support, in the
// client's order of preference; nullptr for none (identity).
const wire::Compressor* negotiate_compressor(std::string_view accept_list);

// Compresses `payload` into `out` when worthwhile; false leaves it as is.
bool maybe_compress(const wire::Compressor* compressor, std::string_view payload, std::string& out);

}  // namespace triplex::rpc
