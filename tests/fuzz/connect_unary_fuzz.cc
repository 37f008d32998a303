// A Connect unary call end to end in memory: our client writes the request
// (GET with the message in the query, or POST), our server reads it and
// echoes the message, our client reads the answer. Whatever the message,
// codec, compression and timeout, both sides must see the same message and
// the call must end OK. First byte: the call's shape; the rest: the message
// (for JSON, the text of a {"text": ...} object).
#include <google/protobuf/struct.pb.h>

#include <asio/this_coro.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "src/rpc/client_transport.h"
#include "src/rpc/codec.h"
#include "src/rpc/protocol_connect.h"
#include "src/wire/compression.h"
#include "tests/fuzz/fake_exchange.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::Codec;
using triplex::Status;
using triplex::fuzz::check;
using triplex::fuzz::FakeClientExchange;
using triplex::fuzz::FakeServerExchange;
using namespace triplex::rpc;

constexpr const char* kCompressors[] = {nullptr, "gzip", "zstd", "br"};

struct Call {
  bool get = false;
  Codec codec = Codec::kProto;
  const char* compressor = nullptr;
  bool timeout = false;
  std::string message;
};

asio::awaitable<void> round_trip(const Call& call) {
  auto executor = co_await asio::this_coro::executor;
  ClientCallSpec spec;
  spec.path = "/grpc.health.v1.Health/Check";
  spec.authority = "example.com";
  spec.get_allowed = call.get;
  spec.codec = call.codec;
  if (call.compressor != nullptr) spec.compressor = triplex::wire::find_compressor(call.compressor);
  if (call.timeout) spec.timeout = std::chrono::milliseconds(1500);
  std::shared_ptr<FakeClientExchange> client_side;
  auto client = make_client_transport(
      triplex::RpcProtocol::kConnect, spec, [&](triplex::http::RequestHead head, bool) {
        client_side = std::make_shared<FakeClientExchange>(std::move(head));
        return client_side;
      });
  check(co_await client->send(call.message), "the client sends");
  check(client_side != nullptr, "the client opened an exchange");

  std::deque<std::string> body;
  if (!client_side->request_body().empty()) body.push_back(client_side->request_body());
  auto server_side = std::make_shared<FakeServerExchange>(executor, client_side->request(), body);
  ConnectProtocol protocol;
  check(protocol.accepts(server_side->request()), "the server takes our client's request");
  CallLimits limits;
  auto server = protocol.open(server_side, limits);
  MethodInfo method{triplex::RpcKind::kUnary, true};
  CallStart start;
  Status status = server->start(&method, start);
  check(status.ok(), "the server starts our client's call");
  check(start.codec == call.codec, "the server sees the client's codec");
  check(start.timeout.has_value() == call.timeout, "and its timeout");
  auto got = co_await server->read();
  check(got.has_value() && *got == call.message, "the server reads the client's message");
  co_await server->write(*got, {});
  server->finish(Status(), {}, {});

  client_side->answer_from(server_side);
  auto reply = co_await client->receive();
  check(reply.has_value() && *reply == call.message, "the client reads the server's echo");
  check(!(co_await client->receive()).has_value(), "one message");
  check(client->status().ok(), "the call ends OK");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  Call call;
  call.get = data[0] & 1;
  call.codec = data[0] & 2 ? Codec::kJson : Codec::kProto;
  call.compressor = kCompressors[data[0] >> 2 & 3];
  call.timeout = data[0] & 16;
  if (call.codec == Codec::kJson) {
    // A JSON message as our codec writes it; text that is not UTF-8 has none.
    google::protobuf::Struct object;
    (*object.mutable_fields())["text"].set_string_value(std::string(rest));
    try {
      call.message = encode_message(Codec::kJson, object);
    } catch (const triplex::Error&) {
      return 0;
    }
  } else {
    call.message = rest;
  }
  asio::io_context io;
  triplex::fuzz::run_to_completion(io, round_trip(call));
  return 0;
}
