#include "src/rpc/message_compression.h"

namespace triplex::rpc {

const wire::Compressor* negotiate_compressor(std::string_view accept_list) {
  while (!accept_list.empty()) {
    auto comma = accept_list.find(',');
    std::string_view token = accept_list.substr(0, comma);
    accept_list =
        comma == std::string_view::npos ? std::string_view() : accept_list.substr(comma + 1);
    // Drop parameters (";q=0.5") and surrounding spaces.
    token = token.substr(0, token.find(';'));
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (const auto* c = wire::find_compressor(token)) return c;
  }
  return nullptr;
}

bool maybe_compress(const wire::Compressor* compressor, std::string_view payload,
                    std::string& out) {
  if (compressor == nullptr || payload.size() < kCompressMinBytes) return false;
  compressor->compress(payload, out);
  return true;
}

}  // namespace triplex::rpc
