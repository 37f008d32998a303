// Connect GET as the server decodes it: the query (connect, encoding,
// compression, base64, message) and request headers from the input, then
// the message read, decoded as a google.protobuf.Struct and echoed. Input:
// the query on the first line, "name: value" header lines after it. Every
// call must be answered, and the answer must be well framed.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/stubs/logging.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "src/rpc/codec.h"
#include "src/rpc/connect_json_parse.h"
#include "src/rpc/protocol_connect.h"
#include "tests/fuzz/fake_exchange.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::Code;
using triplex::Status;
using triplex::fuzz::check;
using triplex::fuzz::FakeServerExchange;
using namespace triplex::rpc;

constexpr std::size_t kMaxMessage = 4096;

triplex::http::RequestHead head_from(std::string_view input) {
  triplex::http::RequestHead head;
  head.method = "GET";
  head.scheme = "https";
  head.authority = "example.com";
  std::size_t nl = input.find('\n');
  head.path = "/grpc.health.v1.Health/Check?" + std::string(input.substr(0, nl));
  while (nl != std::string_view::npos) {
    input.remove_prefix(nl + 1);
    nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    head.headers.add(name, line.substr(colon + 2));
  }
  return head;
}

asio::awaitable<void> serve(std::shared_ptr<FakeServerExchange> exchange) {
  ConnectProtocol protocol;
  check(protocol.accepts(exchange->request()), "a GET with a query is Connect's");
  CallLimits limits;
  limits.max_receive_message_size = kMaxMessage;
  auto transport = protocol.open(exchange, limits);
  check(transport->framing_kind() == triplex::RpcKind::kUnary, "a GET is unary");
  MethodInfo method{triplex::RpcKind::kUnary, true};
  CallStart start;
  Status status = transport->start(&method, start);
  if (!status.ok()) {
    transport->finish(status, {}, {});
    co_return;
  }
  try {
    auto message = co_await transport->read();
    check(message.has_value(), "a GET carries a message");
    check(message->size() <= kMaxMessage, "a message within the limit");
    check(!(co_await transport->read()).has_value(), "and only one");
    google::protobuf::Struct request;
    decode_message(start.codec, *message, request);
    co_await transport->write(encode_message(start.codec, request), {});
    transport->finish(Status(), {}, {});
  } catch (const triplex::Error& e) {
    transport->finish(e.status(), {}, {});
  }
}

void check_response(const FakeServerExchange& exchange) {
  check(exchange.finished(), "every call is answered");
  const auto& head = exchange.response();
  const std::string& body = exchange.response_body();
  if (head.status == 304) {
    check(body.empty() && head.headers.find("etag") != nullptr, "304: an etag, no body");
    return;
  }
  const std::string* length = head.headers.find("content-length");
  check(length != nullptr && *length == std::to_string(body.size()), "content-length is right");
  const std::string* type = head.headers.find("content-type");
  check(type != nullptr, "a content-type");
  if (head.status == 200) {
    check(*type == "application/proto" || *type == "application/json", "a unary message type");
    check(head.headers.find("etag") != nullptr, "a GET answer can be cached");
    return;
  }
  check(*type == "application/json", "errors are JSON");
  check(head.headers.find("content-encoding") == nullptr, "errors go uncompressed");
  Status error;
  // The error message may echo the query's bytes, which JSON cannot carry
  // unless they are UTF-8: only ASCII bodies must read back.
  bool ascii = true;
  for (unsigned char c : body) ascii = ascii && c < 0x80;
  if (ascii) {
    check(parse_connect_error(body, error), "an error body reads back");
    check(error.code != Code::kOk, "with a code");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // parse failures are expected, not news
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  asio::io_context io;
  auto exchange = std::make_shared<FakeServerExchange>(io.get_executor(), head_from(input));
  triplex::fuzz::run_to_completion(io, serve(exchange));
  check_response(*exchange);
  return 0;
}
