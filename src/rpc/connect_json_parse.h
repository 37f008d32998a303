#pragma once
// The client's reading of Connect's JSON bodies: a unary error
//   {"code":"not_found","message":"...","details":[{"type":"...","value":"<b64>"}]}
// and the end-of-stream message {"error":{...},"metadata":{"key":["v", ...]}}.
// Parsed with protobuf's JSON support into google.protobuf.Struct, so any
// well-formed JSON is read and anything else is reported, never trusted.
#include <string_view>

#include "triplex/metadata.h"
#include "triplex/status.h"

namespace triplex::rpc {

// A unary error body. False when it is not a Connect error (not JSON, or no
// known code): the caller then infers the code from the HTTP status.
bool parse_connect_error(std::string_view json, Status& out);

// An end-of-stream message: `status` is OK unless it carries an error;
// metadata goes to `trailers`. False when the JSON is malformed.
bool parse_connect_end_stream(std::string_view json, Status& status, Metadata& trailers);

}  // namespace triplex::rpc
