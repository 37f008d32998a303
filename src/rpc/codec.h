#pragma once
// Message codecs every protocol offers: binary protobuf and protobuf's JSON
// mapping. JSON parsing ignores unknown fields (as connect-go and
// protobuf-es do), so newer clients can talk to older servers; output uses
// lowerCamelCase names and omits default values, protobuf's defaults.
#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "src/rpc/protocol.h"
#include "triplex/rpc_types.h"
#include "triplex/status.h"

namespace triplex::rpc {

// Throws triplex::Error(INTERNAL for proto, INVALID_ARGUMENT for JSON) on bad input.
void decode_message(Codec codec, std::string_view bytes, google::protobuf::Message& message);
// Throws triplex::Error(INTERNAL) when the message cannot be encoded.
std::string encode_message(Codec codec, const google::protobuf::Message& message);

}  // namespace triplex::rpc
