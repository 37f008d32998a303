#include "tests/interop/interop_client/interop_cases.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"

namespace triplex::interop {
namespace {

using namespace grpc::testing;

constexpr int kLargeRequestSize = 271828;
constexpr int kLargeResponseSize = 314159;
constexpr int kRequestSizes[] = {27182, 8, 1828, 45904};
constexpr int kResponseSizes[] = {31415, 9, 2653, 58979};
constexpr bool kCompressedThenNot[] = {true, false};
// Every call but timeout_on_sleeping_server's has this deadline, so a stuck
// server fails a case instead of hanging the run.
constexpr auto kCallTimeout = std::chrono::seconds(10);
constexpr std::string_view kEchoInitialKey = "x-grpc-test-echo-initial";
constexpr std::string_view kEchoInitialValue = "test_initial_metadata_value";
constexpr std::string_view kEchoTrailingKey = "x-grpc-test-echo-trailing-bin";
constexpr std::string_view kEchoTrailingValue = "\xab\xab\xab";

ClientMethod method_of(const char* service, const char* name, RpcKind kind,
                       bool no_side_effects = false) {
  ClientMethod method;
  method.path = std::string("/grpc.testing.") + service + "/" + name;
  method.kind = kind;
  method.no_side_effects = no_side_effects;
  return method;
}

const ClientMethod kEmptyCall = method_of("TestService", "EmptyCall", RpcKind::kUnary);
const ClientMethod kUnaryCall = method_of("TestService", "UnaryCall", RpcKind::kUnary);
const ClientMethod kCacheableUnaryCall =
    method_of("TestService", "CacheableUnaryCall", RpcKind::kUnary, true);
const ClientMethod kStreamingOutputCall =
    method_of("TestService", "StreamingOutputCall", RpcKind::kServerStreaming);
const ClientMethod kStreamingInputCall =
    method_of("TestService", "StreamingInputCall", RpcKind::kClientStreaming);
const ClientMethod kFullDuplexCall =
    method_of("TestService", "FullDuplexCall", RpcKind::kBidiStreaming);
const ClientMethod kUnimplementedMethod =
    method_of("TestService", "UnimplementedCall", RpcKind::kUnary);
const ClientMethod kUnimplementedService =
    method_of("UnimplementedService", "UnimplementedCall", RpcKind::kUnary);

CallOptions call_options() {
  CallOptions options;
  options.timeout = kCallTimeout;
  return options;
}

void check(bool ok, const std::string& why) {
  if (!ok) throw CaseFailure(why);
}

std::string describe(const Status& status) {
  std::string text(code_name(status.code));
  if (!status.message.empty()) text += " \"" + status.message + "\"";
  return text;
}

void check_ok(const Status& status, const std::string& what) {
  check(status.ok(), what + " failed: " + describe(status));
}

void check_code(const Status& status, Code want, const std::string& what) {
  check(status.code == want,
        what + ": want " + std::string(code_name(want)) + ", got " + describe(status));
}

std::string zeros(int size) { return std::string(static_cast<std::size_t>(size), '\0'); }

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// A response payload must be `size` zero bytes of the only payload type there is.
void check_payload(const Payload& payload, int size, const std::string& what) {
  check(payload.type() == COMPRESSABLE, what + ": payload type is not COMPRESSABLE");
  check(payload.body().size() == static_cast<std::size_t>(size),
        what + ": payload body is " + std::to_string(payload.body().size()) + " bytes, want " +
            std::to_string(size));
  check(payload.body().find_first_not_of('\0') == std::string::npos,
        what + ": payload body is not all zeros");
}

void require_client_streaming(const CaseEnv& env) {
  if (!env.caps().client_streaming()) {
    throw CaseSkipped(env.caps().describe() + " cannot stream requests");
  }
}

void require_bidi(const CaseEnv& env) {
  if (!env.caps().half_duplex_bidi()) {
    throw CaseSkipped(env.caps().describe() + " has no bidi streaming");
  }
}

void require_full_duplex(const CaseEnv& env) {
  if (!env.caps().full_duplex()) {
    throw CaseSkipped(env.caps().describe() +
                      " is half-duplex: no response before the request ends");
  }
}

// The call really went over the HTTP version asked for (not a fallback).
void check_http_version(const CaseEnv& env, const ClientCall& call, const std::string& what) {
  HttpVersion used = call.http_version();
  check(used == env.caps().http_used(), what + ": went over " +
                                            std::string(http_version_name(used)) + ", not " +
                                            std::string(http_version_name(env.caps().http_used())));
}

SimpleRequest large_request() {
  SimpleRequest request;
  request.set_response_size(kLargeResponseSize);
  request.mutable_payload()->set_body(zeros(kLargeRequestSize));
  return request;
}

StreamingOutputCallRequest streaming_request(int response_size, int payload_size) {
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(response_size);
  request.mutable_payload()->set_body(zeros(payload_size));
  return request;
}

void add_echo_metadata(CallOptions& options) {
  options.metadata.add(kEchoInitialKey, kEchoInitialValue);
  options.metadata.add(kEchoTrailingKey, kEchoTrailingValue);
}

// The single value of `key`; fails when it is absent or repeated.
std::string single_value(const Metadata& metadata, std::string_view key, const std::string& what) {
  auto values = metadata.all(key);
  check(!values.empty(), what + ": no " + std::string(key));
  check(values.size() == 1, what + ": more than one " + std::string(key));
  return std::string(values.front());
}

void check_echo_metadata(const Metadata& headers, const Metadata& trailers,
                         const std::string& what) {
  std::string initial = single_value(headers, kEchoInitialKey, what + " response headers");
  check(initial == kEchoInitialValue, what + ": " + std::string(kEchoInitialKey) + " is \"" +
                                          initial + "\" in the response headers");
  std::string trailing = single_value(trailers, kEchoTrailingKey, what + " trailers");
  check(trailing == kEchoTrailingValue,
        what + ": " + std::string(kEchoTrailingKey) + " is " + hex(trailing) + " in the trailers");
}

// Channel::unary with the usual deadline.
asio::awaitable<Status> unary(Channel& channel, const ClientMethod& method,
                              const google::protobuf::Message& request,
                              google::protobuf::Message& response) {
  CallOptions options = call_options();
  co_return co_await channel.unary(method, request, response, std::move(options));
}

// A unary call through ClientCall, to see its headers and trailers.
struct UnaryOutcome {
  Status status;
  Metadata headers;
  Metadata trailers;
};

asio::awaitable<UnaryOutcome> unary_with_metadata(Channel& channel, const ClientMethod& method,
                                                  const google::protobuf::Message& request,
                                                  google::protobuf::Message& response,
                                                  CallOptions options) {
  auto call = channel.call(method, std::move(options));
  co_await call->write(request);  // a failure shows in finish()
  co_await call->writes_done();
  bool received = co_await call->read(response);
  UnaryOutcome out;
  out.status = co_await call->finish();
  if (out.status.ok() && !received) {
    out.status = Status(Code::kInternal, "the server sent no response message");
  }
  out.headers = call->response_headers();
  out.trailers = call->response_trailers();
  co_return out;
}

// Writes one message; a call that is over fails the case with its status.
asio::awaitable<void> write_or_fail(ClientCall& call, const google::protobuf::Message& message,
                                    const std::string& what) {
  bool written = co_await call.write(message);
  if (written) co_return;
  Status status = co_await call.finish();
  throw CaseFailure(what + ": write failed: " + describe(status));
}

asio::awaitable<void> read_or_fail(ClientCall& call, google::protobuf::Message& message,
                                   const std::string& what) {
  bool received = co_await call.read(message);
  if (received) co_return;
  Status status = co_await call.finish();
  throw CaseFailure(what + ": no response message: " + describe(status));
}

// Reads what is left of a stream; returns how many messages there were.
asio::awaitable<int> drain(ClientCall& call) {
  StreamingOutputCallResponse response;
  int count = 0;
  for (;;) {
    bool received = co_await call.read(response);
    if (!received) break;
    ++count;
  }
  co_return count;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

// --- the cases -------------------------------------------------------------

asio::awaitable<void> empty_unary(CaseEnv& env) {
  Channel& channel = env.plain();
  Empty request;
  Empty response;
  Status status = co_await unary(channel, kEmptyCall, request, response);
  check_ok(status, "EmptyCall");
  check(response.ByteSizeLong() == 0, "EmptyCall: the response is not empty");
}

// Without a caching proxy in between, this checks that GET works and gives
// the same answer twice (what a cache relies on).
asio::awaitable<void> cacheable_unary(CaseEnv& env) {
  if (env.caps().protocol != RpcProtocol::kConnect) {
    throw CaseSkipped("cacheable GET requests are Connect's (use --protocol connect)");
  }
  Channel& channel = env.connect_get();
  auto now = std::chrono::system_clock::now().time_since_epoch();
  SimpleRequest request;
  request.mutable_payload()->set_body(
      std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
  CallOptions options = call_options();
  options.metadata.add("x-user-ip", "1.2.3.4");
  SimpleResponse first;
  SimpleResponse second;
  Status status = co_await channel.unary(kCacheableUnaryCall, request, first, options);
  check_ok(status, "CacheableUnaryCall (first)");
  status = co_await channel.unary(kCacheableUnaryCall, request, second, options);
  check_ok(status, "CacheableUnaryCall (second)");
  check(first.payload().body() == second.payload().body(),
        "CacheableUnaryCall: the two responses differ (no cache in between?)");
}

asio::awaitable<void> large_unary(CaseEnv& env) {
  Channel& channel = env.plain();
  SimpleRequest request = large_request();
  SimpleResponse response;
  Status status = co_await unary(channel, kUnaryCall, request, response);
  check_ok(status, "UnaryCall");
  check_payload(response.payload(), kLargeResponseSize, "UnaryCall");
}

// The probe (uncompressed, expect_compressed) tells whether the server checks
// request compression at all; one that does not cannot confirm the rest.
asio::awaitable<void> client_compressed_unary(CaseEnv& env) {
  Channel& plain = env.plain();
  Channel& gzip = env.gzip();
  SimpleRequest request = large_request();
  request.mutable_expect_compressed()->set_value(true);
  SimpleResponse response;
  Status probe = co_await unary(plain, kUnaryCall, request, response);
  bool server_checks = probe.code == Code::kInvalidArgument;
  check(server_checks || probe.ok(),
        "probe (uncompressed, expect_compressed): want INVALID_ARGUMENT, got " + describe(probe));

  response.Clear();
  Status status = co_await unary(gzip, kUnaryCall, request, response);
  check_ok(status, "UnaryCall (compressed)");
  check_payload(response.payload(), kLargeResponseSize, "UnaryCall (compressed)");

  request.mutable_expect_compressed()->set_value(false);
  response.Clear();
  status = co_await unary(plain, kUnaryCall, request, response);
  check_ok(status, "UnaryCall (uncompressed)");
  check_payload(response.payload(), kLargeResponseSize, "UnaryCall (uncompressed)");
  if (!server_checks) {
    throw CaseSkipped(
        "the server ignores expect_compressed (the uncompressed probe succeeded); compressed and "
        "uncompressed calls went through");
  }
}

// The client API does not show per-message compression flags, so only the
// results are checked (the descriptions allow that for such clients).
asio::awaitable<void> server_compressed_unary(CaseEnv& env) {
  Channel& channel = env.plain();
  for (bool compressed : kCompressedThenNot) {
    std::string what =
        std::string("UnaryCall (response_compressed ") + (compressed ? "true" : "false") + ")";
    SimpleRequest request = large_request();
    request.mutable_response_compressed()->set_value(compressed);
    SimpleResponse response;
    Status status = co_await unary(channel, kUnaryCall, request, response);
    check_ok(status, what);
    check_payload(response.payload(), kLargeResponseSize, what);
  }
}

asio::awaitable<void> client_streaming(CaseEnv& env) {
  require_client_streaming(env);
  auto call = env.plain().call(kStreamingInputCall, call_options());
  for (int size : kRequestSizes) {
    StreamingInputCallRequest request;
    request.mutable_payload()->set_body(zeros(size));
    std::string what = "StreamingInputCall (" + std::to_string(size) + " bytes)";
    co_await write_or_fail(*call, request, what);
  }
  co_await call->writes_done();
  StreamingInputCallResponse response;
  bool received = co_await call->read(response);
  Status status = co_await call->finish();
  check_ok(status, "StreamingInputCall");
  check(received, "StreamingInputCall: no response message");
  check(response.aggregated_payload_size() == 74922,
        "StreamingInputCall: aggregated_payload_size is " +
            std::to_string(response.aggregated_payload_size()) + ", want 74922");
  check_http_version(env, *call, "StreamingInputCall");
}

// Our client compresses every message of a compressed call (no per-message
// switch), so the second message leaves expect_compressed unset instead of
// claiming false.
asio::awaitable<void> client_compressed_streaming(CaseEnv& env) {
  require_client_streaming(env);
  StreamingInputCallRequest first;
  first.mutable_expect_compressed()->set_value(true);
  first.mutable_payload()->set_body(zeros(27182));

  auto probe = env.plain().call(kStreamingInputCall, call_options());
  co_await probe->write(first);  // the server may answer before reading it
  co_await probe->writes_done();
  Status probe_status = co_await probe->finish();
  bool server_checks = probe_status.code == Code::kInvalidArgument;
  check(server_checks || probe_status.ok(),
        "probe (uncompressed, expect_compressed): want INVALID_ARGUMENT, got " +
            describe(probe_status));

  auto call = env.gzip().call(kStreamingInputCall, call_options());
  std::string what = "StreamingInputCall (compressed)";
  co_await write_or_fail(*call, first, what);
  StreamingInputCallRequest second;
  second.mutable_payload()->set_body(zeros(45904));
  co_await write_or_fail(*call, second, what);
  co_await call->writes_done();
  StreamingInputCallResponse response;
  bool received = co_await call->read(response);
  Status status = co_await call->finish();
  check_ok(status, what);
  check(received, what + ": no response message");
  check(response.aggregated_payload_size() == 73086,
        what + ": aggregated_payload_size is " +
            std::to_string(response.aggregated_payload_size()) + ", want 73086");
  if (!server_checks) {
    throw CaseSkipped(
        "the server ignores expect_compressed (the uncompressed probe succeeded); the compressed "
        "stream went through");
  }
}

// Reads a server stream and checks its payload sizes, in order.
asio::awaitable<void> expect_stream(ClientCall& call, const std::vector<int>& sizes,
                                    const std::string& what) {
  StreamingOutputCallResponse response;
  std::size_t count = 0;
  for (;;) {
    bool received = co_await call.read(response);
    if (!received) break;
    check(count < sizes.size(),
          what + ": more than " + std::to_string(sizes.size()) + " responses");
    check_payload(response.payload(), sizes[count],
                  what + " response " + std::to_string(count + 1));
    ++count;
  }
  Status status = co_await call.finish();
  check_ok(status, what);
  check(count == sizes.size(),
        what + ": " + std::to_string(count) + " responses, want " + std::to_string(sizes.size()));
}

asio::awaitable<void> server_streaming(CaseEnv& env) {
  StreamingOutputCallRequest request;
  for (int size : kResponseSizes) request.add_response_parameters()->set_size(size);
  auto call = env.plain().call(kStreamingOutputCall, call_options());
  std::string what = "StreamingOutputCall";
  co_await write_or_fail(*call, request, what);
  co_await call->writes_done();
  std::vector<int> sizes(std::begin(kResponseSizes), std::end(kResponseSizes));
  co_await expect_stream(*call, sizes, what);
  check_http_version(env, *call, what);
}

// As with server_compressed_unary, compression flags are not visible here.
asio::awaitable<void> server_compressed_streaming(CaseEnv& env) {
  StreamingOutputCallRequest request;
  auto* compressed = request.add_response_parameters();
  compressed->mutable_compressed()->set_value(true);
  compressed->set_size(31415);
  auto* uncompressed = request.add_response_parameters();
  uncompressed->mutable_compressed()->set_value(false);
  uncompressed->set_size(92653);
  auto call = env.plain().call(kStreamingOutputCall, call_options());
  std::string what = "StreamingOutputCall";
  co_await write_or_fail(*call, request, what);
  co_await call->writes_done();
  std::vector<int> sizes = {31415, 92653};
  co_await expect_stream(*call, sizes, what);
}

asio::awaitable<void> ping_pong(CaseEnv& env) {
  require_full_duplex(env);
  auto call = env.plain().call(kFullDuplexCall, call_options());
  for (std::size_t i = 0; i < std::size(kRequestSizes); ++i) {
    std::string what = "FullDuplexCall message " + std::to_string(i + 1);
    StreamingOutputCallRequest request = streaming_request(kResponseSizes[i], kRequestSizes[i]);
    co_await write_or_fail(*call, request, what);
    StreamingOutputCallResponse response;
    co_await read_or_fail(*call, response, what);
    check_payload(response.payload(), kResponseSizes[i], what);
  }
  co_await call->writes_done();
  int extra = co_await drain(*call);
  Status status = co_await call->finish();
  check_ok(status, "FullDuplexCall");
  check(extra == 0, "FullDuplexCall: " + std::to_string(4 + extra) + " responses, want 4");
}

asio::awaitable<void> empty_stream(CaseEnv& env) {
  require_bidi(env);
  auto call = env.plain().call(kFullDuplexCall, call_options());
  co_await call->writes_done();
  int count = co_await drain(*call);
  Status status = co_await call->finish();
  check_ok(status, "FullDuplexCall");
  check(count == 0, "FullDuplexCall: " + std::to_string(count) + " responses, want 0");
}

// Reading opens the call (its headers go out) without sending a message; the
// read is left pending and the call cancelled under it, as "after begin" asks.
struct PendingRead {
  std::unique_ptr<ClientCall> call;
  StreamingInputCallResponse response;
  bool done = false;
};

asio::awaitable<void> cancel_after_begin(CaseEnv& env) {
  require_client_streaming(env);
  auto pending = std::make_shared<PendingRead>();
  pending->call = env.plain().call(kStreamingInputCall, call_options());
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(
      executor,
      [pending]() -> asio::awaitable<void> {
        co_await pending->call->read(pending->response);
        pending->done = true;
      },
      asio::detached);
  std::chrono::milliseconds pause(50);
  co_await sleep_for(pause);
  pending->call->cancel();
  std::chrono::milliseconds tick(10);
  // The pending read must end promptly; the spawned reader keeps the call alive if not.
  for (int waited = 0; !pending->done && waited < 200; ++waited) {
    co_await sleep_for(tick);
  }
  check(pending->done, "StreamingInputCall: a pending read did not end within 2s of cancel()");
  Status status = co_await pending->call->finish();
  check_code(status, Code::kCancelled, "StreamingInputCall");
}

asio::awaitable<void> cancel_after_first_response(CaseEnv& env) {
  require_full_duplex(env);
  auto call = env.plain().call(kFullDuplexCall, call_options());
  std::string what = "FullDuplexCall";
  StreamingOutputCallRequest request = streaming_request(31415, 27182);
  co_await write_or_fail(*call, request, what);
  StreamingOutputCallResponse response;
  co_await read_or_fail(*call, response, what);
  check_payload(response.payload(), 31415, what);
  call->cancel();
  co_await drain(*call);
  Status status = co_await call->finish();
  check_code(status, Code::kCancelled, what);
}

// The request never ends and asks for nothing, so the server stays silent
// until the 1 ms deadline passes; that works half-duplex too.
asio::awaitable<void> timeout_on_sleeping_server(CaseEnv& env) {
  require_bidi(env);
  CallOptions options;
  options.timeout = std::chrono::milliseconds(1);
  auto call = env.plain().call(kFullDuplexCall, std::move(options));
  StreamingOutputCallRequest request;
  request.mutable_payload()->set_body(zeros(27182));
  co_await call->write(request);  // may fail already: the deadline is that short
  co_await drain(*call);
  Status status = co_await call->finish();
  check_code(status, Code::kDeadlineExceeded, "FullDuplexCall");
}

asio::awaitable<void> custom_metadata(CaseEnv& env) {
  Channel& channel = env.plain();
  CallOptions options = call_options();
  add_echo_metadata(options);
  {
    SimpleRequest request = large_request();
    SimpleResponse response;
    UnaryOutcome out =
        co_await unary_with_metadata(channel, kUnaryCall, request, response, options);
    check_ok(out.status, "UnaryCall");
    check_payload(response.payload(), kLargeResponseSize, "UnaryCall");
    check_echo_metadata(out.headers, out.trailers, "UnaryCall");
  }
  if (!env.caps().half_duplex_bidi()) {
    env.note = "FullDuplexCall part skipped: " + env.caps().describe() + " has no bidi streaming";
    co_return;
  }
  auto call = channel.call(kFullDuplexCall, options);
  std::string what = "FullDuplexCall";
  StreamingOutputCallRequest request = streaming_request(kLargeResponseSize, kLargeRequestSize);
  co_await write_or_fail(*call, request, what);
  co_await call->writes_done();
  StreamingOutputCallResponse response;
  co_await read_or_fail(*call, response, what);
  check_payload(response.payload(), kLargeResponseSize, what);
  int extra = co_await drain(*call);
  Status status = co_await call->finish();
  check_ok(status, what);
  check(extra == 0, what + ": more than one response");
  check_echo_metadata(call->response_headers(), call->response_trailers(), what);
}

// UnaryCall (and, where the transport has bidi, FullDuplexCall) asked to end
// with UNKNOWN and `message`.
asio::awaitable<void> echo_status(CaseEnv& env, const std::string& message, bool with_bidi) {
  Channel& channel = env.plain();
  {
    SimpleRequest request;
    request.mutable_response_status()->set_code(2);
    request.mutable_response_status()->set_message(message);
    SimpleResponse response;
    Status status = co_await unary(channel, kUnaryCall, request, response);
    check_code(status, Code::kUnknown, "UnaryCall");
    check(status.message == message,
          "UnaryCall: status message is " + hex(status.message) + ", want " + hex(message));
  }
  if (!with_bidi) co_return;
  if (!env.caps().half_duplex_bidi()) {
    env.note = "FullDuplexCall part skipped: " + env.caps().describe() + " has no bidi streaming";
    co_return;
  }
  auto call = channel.call(kFullDuplexCall, call_options());
  StreamingOutputCallRequest request;
  request.mutable_response_status()->set_code(2);
  request.mutable_response_status()->set_message(message);
  co_await call->write(request);  // the server may close before reading it all
  co_await call->writes_done();
  co_await drain(*call);
  Status status = co_await call->finish();
  check_code(status, Code::kUnknown, "FullDuplexCall");
  check(status.message == message,
        "FullDuplexCall: status message is " + hex(status.message) + ", want " + hex(message));
}

asio::awaitable<void> status_code_and_message(CaseEnv& env) {
  std::string message = "test status message";
  co_await echo_status(env, message, true);
}

// Whitespace and non-ASCII must survive each protocol's status encoding.
asio::awaitable<void> special_status_message(CaseEnv& env) {
  std::string message =
      "\t\ntest with whitespace\r\nand Unicode BMP \xE2\x98\xBA and non-BMP \xF0\x9F\x98\x88\t\n";
  co_await echo_status(env, message, false);
}

asio::awaitable<void> unimplemented_method(CaseEnv& env) {
  Channel& channel = env.plain();
  Empty request;
  Empty response;
  Status status = co_await unary(channel, kUnimplementedMethod, request, response);
  check_code(status, Code::kUnimplemented, "TestService/UnimplementedCall");
}

asio::awaitable<void> unimplemented_service(CaseEnv& env) {
  Channel& channel = env.plain();
  Empty request;
  Empty response;
  Status status = co_await unary(channel, kUnimplementedService, request, response);
  check_code(status, Code::kUnimplemented, "UnimplementedService/UnimplementedCall");
}

}  // namespace

bool TransportCaps::client_streaming() const {
  return http != HttpVersion::kHttp1 || protocol != RpcProtocol::kGrpcWeb;
}

bool TransportCaps::half_duplex_bidi() const {
  return http != HttpVersion::kHttp1 || protocol == RpcProtocol::kGrpc;
}

bool TransportCaps::full_duplex() const { return http != HttpVersion::kHttp1; }

HttpVersion TransportCaps::http_used() const {
  return http == HttpVersion::kAuto ? HttpVersion::kHttp2 : http;
}

std::string TransportCaps::describe() const {
  std::string name = protocol == RpcProtocol::kGrpc      ? "gRPC"
                     : protocol == RpcProtocol::kGrpcWeb ? "gRPC-Web"
                                                         : "Connect";
  return name + " over " + std::string(http_version_name(http_used()));
}

CaseEnv::CaseEnv(asio::io_context& io, std::string target, ChannelOptions options)
    : io_(io), target_(std::move(target)), options_(std::move(options)) {
  caps_.protocol = options_.protocol;
  caps_.http = options_.http_version;
}

CaseEnv::~CaseEnv() { close(); }

std::shared_ptr<Channel> CaseEnv::make(ChannelOptions options) {
  return Channel::create(io_, target_, std::move(options));
}

Channel& CaseEnv::plain() {
  if (!plain_) {
    ChannelOptions options = options_;
    options.compression.clear();
    plain_ = make(std::move(options));
  }
  return *plain_;
}

Channel& CaseEnv::gzip() {
  if (!gzip_) {
    ChannelOptions options = options_;
    options.compression = "gzip";
    gzip_ = make(std::move(options));
  }
  return *gzip_;
}

Channel& CaseEnv::connect_get() {
  if (!get_) {
    ChannelOptions options = options_;
    options.compression.clear();
    options.connect_get = true;
    get_ = make(std::move(options));
  }
  return *get_;
}

void CaseEnv::close() {
  for (auto* channel : {&plain_, &gzip_, &get_}) {
    if (*channel) (*channel)->close();
  }
}

const std::vector<InteropCase>& all_cases() {
  static const std::vector<InteropCase> cases = {
      {"empty_unary", empty_unary},
      {"cacheable_unary", cacheable_unary},
      {"large_unary", large_unary},
      {"client_compressed_unary", client_compressed_unary},
      {"server_compressed_unary", server_compressed_unary},
      {"client_streaming", client_streaming},
      {"client_compressed_streaming", client_compressed_streaming},
      {"server_streaming", server_streaming},
      {"server_compressed_streaming", server_compressed_streaming},
      {"ping_pong", ping_pong},
      {"empty_stream", empty_stream},
      {"custom_metadata", custom_metadata},
      {"status_code_and_message", status_code_and_message},
      {"special_status_message", special_status_message},
      {"unimplemented_method", unimplemented_method},
      {"unimplemented_service", unimplemented_service},
      {"cancel_after_begin", cancel_after_begin},
      {"cancel_after_first_response", cancel_after_first_response},
      {"timeout_on_sleeping_server", timeout_on_sleeping_server},
  };
  return cases;
}

asio::awaitable<CaseResult> run_case(const InteropCase& test, CaseEnv& env) {
  env.note.clear();
  CaseResult result;
  try {
    co_await test.run(env);
    result.detail = env.note;
  } catch (const CaseSkipped& e) {
    result.outcome = Outcome::kSkip;
    result.detail = e.what();
  } catch (const std::exception& e) {
    result.outcome = Outcome::kFail;
    result.detail = e.what();
  }
  co_return result;
}

}  // namespace triplex::interop
