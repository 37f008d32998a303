#include "src/rpc/connect_json.h"

#include "src/wire/base64.h"
#include "src/wire/metadata_codec.h"
#include "src/wire/status_details.h"

namespace triplex::rpc {

std::string connect_error_json(const Status& status) {
  std::string out = "{\"code\":" + json_quote(connect_code_name(status.code));
  if (!status.message.empty()) out += ",\"message\":" + json_quote(status.message);
  if (!status.details.empty()) {
    if (auto rpc = wire::parse_rpc_status(status.details); rpc && !rpc->details.empty()) {
      out += ",\"details\":[";
      for (std::size_t i = 0; i < rpc->details.size(); ++i) {
        const auto& d = rpc->details[i];
        if (i) out += ",";
        out += "{\"type\":" + json_quote(d.type) + ",\"value\":" +
               json_quote(wire::base64_encode(d.value, wire::Base64Alphabet::kStandard, false)) +
               "}";
      }
      out += "]";
    }
  }
  out += "}";
  return out;
}

std::string connect_end_stream_json(const Status& status, const Metadata& trailers) {
  std::string out = "{";
  bool first = true;
  if (!status.ok()) {
    out += "\"error\":" + connect_error_json(status);
    first = false;
  }
  if (!trailers.empty()) {
    if (!first) out += ",";
    out += "\"metadata\":{";
    // Group values by key, keeping first-seen key order.
    std::vector<std::string> keys;
    for (const auto& [key, value] : trailers) {
      bool seen = false;
      for (const auto& k : keys) seen = seen || k == key;
      if (!seen) keys.push_back(key);
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i) out += ",";
      out += json_quote(keys[i]) + ":[";
      bool first_value = true;
      for (auto v : trailers.all(keys[i])) {
        if (!first_value) out += ",";
        first_value = false;
        out += json_quote(wire::encode_metadata_value(keys[i], v));
      }
      out += "]";
    }
    out += "}";
  }
  out += "}";
  return out;
}

}  // namespace triplex::rpc
