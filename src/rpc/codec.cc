#include "src/rpc/codec.h"

#include <google/protobuf/util/json_util.h>

namespace triplex::rpc {

void decode_message(Codec codec, std::string_view bytes, google::protobuf::Message& message) {
  message.Clear();
  if (codec == Codec::kProto) {
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      throw Error(Code::kInternal, "cannot parse message as " + message.GetTypeName());
    }
    return;
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  // An empty body is an empty message, as for binary protobuf.
  if (bytes.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(bytes.data(), bytes.size()), &message, options);
  if (!status.ok()) {
    throw Error(Code::kInvalidArgument, "cannot parse JSON as " + message.GetTypeName() + ": " +
                                            std::string(status.message()));
  }
}

std::string encode_message(Codec codec, const google::protobuf::Message& message) {
  std::string out;
  if (codec == Codec::kProto) {
    if (!message.SerializeToString(&out)) {
      throw Error(Code::kInternal, "cannot serialize " + message.GetTypeName());
    }
    return out;
  }
  google::protobuf::util::JsonPrintOptions options;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    throw Error(Code::kInternal, "cannot encode " + message.GetTypeName() + " as JSON");
  }
  return out;
}

}  // namespace triplex::rpc
