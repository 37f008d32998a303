#include "src/rpc/connect_json_parse.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <string>

#include "src/wire/base64.h"
#include "src/wire/metadata_codec.h"
#include "src/wire/status_details.h"

namespace triplex::rpc {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

bool parse_object(std::string_view json, Struct& out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(std::string(json), &out, options).ok();
}

const Value* field(const Struct& object, const char* name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string string_field(const Struct& object, const char* name) {
  const Value* v = field(object, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : std::string();
}

// {"code", "message", "details"} into `out`; false without a known code.
bool read_error(const Struct& error, Status& out) {
  auto code = code_from_name(string_field(error, "code"));
  if (!code || *code == Code::kOk) return false;
  out = Status(*code, string_field(error, "message"));
  const Value* details = field(error, "details");
  if (details == nullptr || details->kind_case() != Value::kListValue) return true;
  wire::RpcStatus rpc;
  rpc.code = static_cast<int>(*code);
  rpc.message = out.message;
  for (const Value& d : details->list_value().values()) {
    if (d.kind_case() != Value::kStructValue) continue;
    // Connect sends base64 values, padded or not; skip what does not decode.
    auto value = wire::base64_decode(string_field(d.struct_value(), "value"));
    std::string type = string_field(d.struct_value(), "type");
    if (!value || type.empty()) continue;
    rpc.details.push_back({std::move(type), std::move(*value)});
  }
  if (!rpc.details.empty()) out.details = wire::serialize_rpc_status(rpc);
  return true;
}

}  // namespace

bool parse_connect_error(std::string_view json, Status& out) {
  Struct error;
  return parse_object(json, error) && read_error(error, out);
}

bool parse_connect_end_stream(std::string_view json, Status& status, Metadata& trailers) {
  Struct end;
  if (!parse_object(json, end)) return false;
  status = Status();
  if (const Value* error = field(end, "error")) {
    if (error->kind_case() != Value::kStructValue || !read_error(error->struct_value(), status)) {
      status = Status(Code::kUnknown, "end-of-stream error without a known code");
    }
  }
  const Value* metadata = field(end, "metadata");
  if (metadata == nullptr || metadata->kind_case() != Value::kStructValue) return true;
  for (const auto& [key, values] : metadata->struct_value().fields()) {
    if (values.kind_case() != Value::kListValue) continue;
    for (const Value& v : values.list_value().values()) {
      if (v.kind_case() == Value::kStringValue) {
        wire::decode_metadata_field(key, v.string_value(), trailers);
      }
    }
  }
  return true;
}

}  // namespace triplex::rpc
