#pragma once
// The JSON bodies of the Connect protocol: a unary error
//   {"code":"not_found","message":"...","details":[{"type":"...","value":"<b64>"}]}
// and the end-of-stream message of streaming calls
//   {"error":{...},"metadata":{"key":["value", ...]}}.
#include <string>

#include "src/wire/json_quote.h"
#include "triplex/metadata.h"
#include "triplex/status.h"

namespace triplex::rpc {

std::string connect_error_json(const Status& status);
std::string connect_end_stream_json(const Status& status, const Metadata& trailers);

using wire::json_quote;  // for the gateway's access log

}  // namespace triplex::rpc
