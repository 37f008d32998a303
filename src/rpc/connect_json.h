#pragma once
// The JSON bodies of the Connect protocol: a unary error
//   {"code":"not_found","message":"...","details":[{"type":"...","value":"<b64>"}]}
// and the end-of-stream message of streaming calls
//   {"error":{...},"metadata":{"key":["value", ...]}}.
#include <string>

#include "triplex/metadata.h"
#include "triplex/status.h"

namespace triplex::rpc {

std::string connect_error_json(const Status& status);
std::string connect_end_stream_json(const Status& status, const Metadata& trailers);

// JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace triplex::rpc
