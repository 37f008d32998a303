// The message codecs (protobuf's JSON mapping and binary) on messages the
// library compiles in (health, reflection, the well-known types), and
// Connect's JSON error and end-of-stream bodies both ways. First byte: the
// mode and the message type; the rest: the body.
#include <google/protobuf/any.pb.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/wrappers.pb.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grpc/health/v1/health.pb.h"
#include "grpc/reflection/v1/reflection.pb.h"
#include "src/rpc/codec.h"
#include "src/rpc/connect_json.h"
#include "src/rpc/connect_json_parse.h"
#include "src/wire/metadata_codec.h"
#include "src/wire/status_details.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using google::protobuf::Message;
using triplex::Code;
using triplex::Codec;
using triplex::Metadata;
using triplex::Status;
using triplex::fuzz::check;
using triplex::rpc::decode_message;
using triplex::rpc::encode_message;

const Message* const kTypes[] = {
    &grpc::health::v1::HealthCheckResponse::default_instance(),
    &grpc::reflection::v1::ServerReflectionRequest::default_instance(),
    &grpc::reflection::v1::ServerReflectionResponse::default_instance(),
    &google::protobuf::Struct::default_instance(),
    &google::protobuf::Value::default_instance(),
    &google::protobuf::Any::default_instance(),
    &google::protobuf::Timestamp::default_instance(),
    &google::protobuf::Duration::default_instance(),
    &google::protobuf::DoubleValue::default_instance(),
    &google::protobuf::Int64Value::default_instance(),
    &google::protobuf::BytesValue::default_instance(),
};
constexpr std::size_t kTypeCount = std::size(kTypes);
// protobuf reads FieldMask paths that are not lowerCamelCase ("_", "a_b")
// and writes them back changed: decoded and encoded, but not compared.
const Message& kFieldMask = google::protobuf::FieldMask::default_instance();

// Map order in plain serialization depends on insertion history.
std::string canonical(const Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

// Decodes, or nullptr when the codec refuses the bytes (with the code the
// codec promises for bad input).
std::unique_ptr<Message> decode(Codec codec, std::string_view bytes, const Message& type) {
  std::unique_ptr<Message> m(type.New());
  try {
    decode_message(codec, bytes, *m);
    return m;
  } catch (const triplex::Error& e) {
    check(e.status().code == (codec == Codec::kJson ? Code::kInvalidArgument : Code::kInternal),
          "bad input is INVALID_ARGUMENT (JSON) or INTERNAL (proto)");
    return nullptr;
  }
}

// Encodes, or nothing when the message has no encoding (a Timestamp out of
// range has no JSON form): INTERNAL then.
std::optional<std::string> encode(Codec codec, const Message& m) {
  try {
    return encode_message(codec, m);
  } catch (const triplex::Error& e) {
    check(e.status().code == Code::kInternal, "encoding fails with INTERNAL");
    return std::nullopt;
  }
}

// JSON that decodes must survive encode + decode unchanged; so must binary.
void check_json_message(std::string_view body, const Message& type) {
  auto first = decode(Codec::kJson, body, type);
  if (!first) return;
  if (auto json = encode(Codec::kJson, *first)) {
    auto again = decode(Codec::kJson, *json, type);
    check(again != nullptr, "our JSON decodes");
    check(&type == &kFieldMask || canonical(*again) == canonical(*first),
          "JSON round trip keeps the message");
  }
  auto bytes = encode(Codec::kProto, *first);
  check(bytes.has_value(), "a decoded message encodes");
  auto again = decode(Codec::kProto, *bytes, type);
  check(again != nullptr && canonical(*again) == canonical(*first), "binary round trip");
}

// Binary that decodes re-encodes to the same message; its JSON form (when it
// has one: unknown fields and Any payloads may not) is a fixed point.
void check_proto_message(std::string_view body, const Message& type) {
  auto first = decode(Codec::kProto, body, type);
  if (!first) return;
  auto bytes = encode(Codec::kProto, *first);
  check(bytes.has_value(), "a decoded message encodes");
  auto again = decode(Codec::kProto, *bytes, type);
  check(again != nullptr && canonical(*again) == canonical(*first), "binary round trip");

  auto json = encode(Codec::kJson, *first);
  if (!json) return;
  auto from_json = decode(Codec::kJson, *json, type);
  check(from_json != nullptr, "our JSON decodes");
  auto json_again = encode(Codec::kJson, *from_json);
  check(json_again.has_value(), "JSON read back encodes");
  auto settled = decode(Codec::kJson, *json_again, type);
  check(settled != nullptr, "our JSON decodes");
  check(&type == &kFieldMask || canonical(*settled) == canonical(*from_json),
        "JSON of a decoded message is a fixed point");
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> sorted(const Metadata& md) {
  std::vector<std::pair<std::string, std::string>> out(md.begin(), md.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool same_details(const std::string& a, const std::string& b) {
  auto x = triplex::wire::parse_rpc_status(a);
  auto y = triplex::wire::parse_rpc_status(b);
  if (!x || !y || x->details.size() != y->details.size()) return false;
  for (std::size_t i = 0; i < x->details.size(); ++i) {
    if (x->details[i].type != y->details[i].type || x->details[i].value != y->details[i].value) {
      return false;
    }
  }
  return true;
}

// A peer's error or end-of-stream body: what parses must come back the same
// through our own writer.
void check_connect_bodies(std::string_view body) {
  Status error;
  if (triplex::rpc::parse_connect_error(body, error)) {
    check(error.code != Code::kOk, "an error body never says OK");
    Status again;
    check(triplex::rpc::parse_connect_error(triplex::rpc::connect_error_json(error), again),
          "our error JSON parses");
    check(again.code == error.code && again.message == error.message, "error round trip");
    check(again.details == error.details, "error details round trip");
  }
  Status status;
  Metadata trailers;
  if (triplex::rpc::parse_connect_end_stream(body, status, trailers)) {
    Status status2;
    Metadata trailers2;
    check(triplex::rpc::parse_connect_end_stream(
              triplex::rpc::connect_end_stream_json(status, trailers), status2, trailers2),
          "our end-of-stream JSON parses");
    check(status2.code == status.code && status2.message == status.message,
          "end-of-stream status round trip");
    check(sorted(trailers2) == sorted(trailers), "end-of-stream metadata round trip");
  }
}

// Our own error and end-of-stream bodies, from a status and trailers made of
// the input: whatever we write, our client reads back.
void check_connect_writer(std::string_view body) {
  if (body.size() < 2) return;
  const auto code = static_cast<Code>(static_cast<unsigned char>(body[0]) % 16 + 1);
  std::size_t cut = std::min<std::size_t>(static_cast<unsigned char>(body[1]), body.size() - 2);
  std::string_view message = body.substr(2, cut);
  std::string_view rest = body.substr(2 + cut);
  // JSON has no way to carry bytes that are not UTF-8.
  if (!valid_utf8(message)) return;
  Status status(code, std::string(message));
  // The rest: a google.rpc.Status for details, when it is one.
  if (auto rpc = triplex::wire::parse_rpc_status(rest); rpc && !rpc->details.empty()) {
    bool printable = true;
    // A detail without a type names nothing; readers drop it.
    for (const auto& d : rpc->details)
      printable = printable && !d.type.empty() && valid_utf8(d.type);
    if (printable) status.details = std::string(rest);
  }
  Status got;
  check(triplex::rpc::parse_connect_error(triplex::rpc::connect_error_json(status), got),
        "every error we write reads back");
  check(got.code == status.code && got.message == status.message, "our error reads back");
  if (!status.details.empty()) check(same_details(got.details, status.details), "details too");

  // Trailers: "key=value" lines of the rest.
  Metadata trailers;
  std::string_view lines = rest;
  while (!lines.empty()) {
    std::size_t nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    lines = nl == std::string_view::npos ? std::string_view() : lines.substr(nl + 1);
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    if (!triplex::wire::is_valid_metadata_key(key) || triplex::wire::is_reserved_header(key)) {
      continue;
    }
    if (!Metadata::is_binary_key(key) && !triplex::wire::is_valid_ascii_value(value)) continue;
    trailers.add(key, value);
  }
  Status end_status;
  Metadata end_trailers;
  check(triplex::rpc::parse_connect_end_stream(
            triplex::rpc::connect_end_stream_json(status, trailers), end_status, end_trailers),
        "every end-of-stream we write reads back");
  check(end_status.code == status.code && end_status.message == status.message,
        "our end-of-stream status reads back");
  check(sorted(end_trailers) == sorted(trailers), "our end-of-stream metadata reads back");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // parse failures are expected, not news
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t selector = data[0];
  const std::size_t index = selector / 4 % (kTypeCount + 1);
  const Message* type = index < kTypeCount ? kTypes[index] : &kFieldMask;
  switch (selector % 4) {
    case 0:
      check_json_message(body, *type);
      break;
    case 1:
      check_proto_message(body, *type);
      break;
    case 2:
      check_connect_bodies(body);
      break;
    case 3:
      check_connect_writer(body);
      break;
  }
  return 0;
}
