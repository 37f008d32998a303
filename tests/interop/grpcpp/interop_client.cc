// gRPC interop test client (grpc++), implementing the cases of grpc's
// doc/interop-test-descriptions.md against any grpc.testing.TestService server.
//
// Usage: grpcpp_interop_client --server_host=H --server_port=P [--use_tls[=true|false]]
//          [--ca_file=PEM] [--server_host_override=NAME] [--test_case=NAME|all]
// Prints "PASS name" or "FAIL name: why" per case; exits 1 if any case failed, 2 on bad usage.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "grpc/testing/test.grpc.pb.h"

namespace {

using grpc::ClientContext;
using grpc::Status;
using grpc::StatusCode;
using grpc::testing::Empty;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;
using grpc::testing::TestService;
using grpc::testing::UnimplementedService;

constexpr int kLargeRequestSize = 271828;
constexpr int kLargeResponseSize = 314159;
const std::vector<int> kRequestSizes = {27182, 8, 1828, 45904};
const std::vector<int> kResponseSizes = {31415, 9, 2653, 58979};
constexpr std::string_view kEchoInitialKey = "x-grpc-test-echo-initial";
constexpr std::string_view kEchoInitialValue = "test_initial_metadata_value";
constexpr std::string_view kEchoTrailingKey = "x-grpc-test-echo-trailing-bin";
const std::string kEchoTrailingValue = "\xab\xab\xab";
// Guards every call except timeout_on_sleeping_server so a stuck server fails a case instead
// of hanging the whole run.
constexpr auto kCallDeadline = std::chrono::seconds(10);

struct CaseFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(bool ok, const std::string& why) {
  if (!ok) throw CaseFailure(why);
}

std::string code_name(StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  if (i >= 0 && i < static_cast<int>(std::size(kNames))) return kNames[i];
  return "code " + std::to_string(i);
}

std::string describe(const Status& status) {
  std::string text = code_name(status.error_code());
  if (!status.error_message().empty()) text += " \"" + status.error_message() + "\"";
  return text;
}

void check_ok(const Status& status, const std::string& what) {
  check(status.ok(), what + " failed: " + describe(status));
}

void check_code(const Status& status, StatusCode want, const std::string& what) {
  check(status.error_code() == want,
        what + ": want " + code_name(want) + ", got " + describe(status));
}

void set_deadline(ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

std::string zeros(int size) { return std::string(static_cast<size_t>(size), '\0'); }

// Asserts a response payload is `size` zero bytes of the only payload type there is.
void check_payload(const grpc::testing::Payload& payload, int size, const std::string& what) {
  check(payload.type() == grpc::testing::COMPRESSABLE, what + ": payload type is not COMPRESSABLE");
  check(payload.body().size() == static_cast<size_t>(size),
        what + ": payload body is " + std::to_string(payload.body().size()) + " bytes, want " +
            std::to_string(size));
  check(payload.body() == zeros(size), what + ": payload body is not all zeros");
}

// Returns the single value of `key` in `md`, failing when it is absent or repeated.
std::string single_value(const std::multimap<grpc::string_ref, grpc::string_ref>& md,
                         std::string_view key, const std::string& what) {
  const auto [first, last] = md.equal_range(grpc::string_ref(key.data(), key.size()));
  check(first != last, what + ": no " + std::string(key));
  check(std::next(first) == last, what + ": more than one " + std::string(key));
  return std::string(first->second.data(), first->second.size());
}

std::string hex(std::string_view bytes) {
  std::ostringstream out;
  out << "0x" << std::hex;
  for (unsigned char c : bytes) out << (c < 16 ? "0" : "") << static_cast<int>(c);
  return out.str();
}

void add_echo_metadata(ClientContext& ctx) {
  ctx.AddMetadata(std::string(kEchoInitialKey), std::string(kEchoInitialValue));
  ctx.AddMetadata(std::string(kEchoTrailingKey), kEchoTrailingValue);
}

void check_echo_metadata(const ClientContext& ctx, const std::string& what) {
  const std::string initial =
      single_value(ctx.GetServerInitialMetadata(), kEchoInitialKey, what + " initial metadata");
  check(initial == kEchoInitialValue,
        what + ": initial " + std::string(kEchoInitialKey) + " is \"" + initial + "\"");
  const std::string trailing =
      single_value(ctx.GetServerTrailingMetadata(), kEchoTrailingKey, what + " trailing metadata");
  check(trailing == kEchoTrailingValue,
        what + ": trailing " + std::string(kEchoTrailingKey) + " is " + hex(trailing));
}

StreamingOutputCallRequest streaming_request(int response_size, int payload_size) {
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(response_size);
  request.mutable_payload()->set_body(zeros(payload_size));
  return request;
}

// Fails with the call's final status when a stream operation did not go through. The status
// is only fetched then: Finish() ends the call.
template <typename Stream>
void check_stream(bool ok, Stream& stream, const std::string& what) {
  if (!ok) throw CaseFailure(what + ": " + describe(stream.Finish()));
}

// Reads what is left of a stream; returns how many messages there were.
template <typename Stream>
int drain(Stream& stream) {
  StreamingOutputCallResponse response;
  int count = 0;
  while (stream.Read(&response)) ++count;
  return count;
}

class Cases {
 public:
  explicit Cases(std::shared_ptr<grpc::Channel> channel)
      : channel_(channel),
        stub_(TestService::NewStub(channel)),
        unimplemented_stub_(UnimplementedService::NewStub(channel)) {}

  void empty_unary() {
    ClientContext ctx;
    set_deadline(ctx);
    Empty response;
    check_ok(stub_->EmptyCall(&ctx, Empty(), &response), "EmptyCall");
    // A default Empty must come back; it serializes to nothing.
    check(response.ByteSizeLong() == 0, "EmptyCall response is not empty");
  }

  void large_unary() {
    ClientContext ctx;
    set_deadline(ctx);
    SimpleRequest request;
    request.set_response_size(kLargeResponseSize);
    request.mutable_payload()->set_body(zeros(kLargeRequestSize));
    SimpleResponse response;
    check_ok(stub_->UnaryCall(&ctx, request, &response), "UnaryCall");
    check_payload(response.payload(), kLargeResponseSize, "UnaryCall");
  }

  void client_streaming() {
    ClientContext ctx;
    set_deadline(ctx);
    StreamingInputCallResponse response;
    auto stream = stub_->StreamingInputCall(&ctx, &response);
    for (int size : kRequestSizes) {
      StreamingInputCallRequest request;
      request.mutable_payload()->set_body(zeros(size));
      check_stream(stream->Write(request), *stream,
                   "StreamingInputCall: write of " + std::to_string(size) + " bytes failed");
    }
    check_stream(stream->WritesDone(), *stream, "StreamingInputCall: half-close failed");
    check_ok(stream->Finish(), "StreamingInputCall");
    check(response.aggregated_payload_size() == 74922,
          "aggregated_payload_size is " + std::to_string(response.aggregated_payload_size()) +
              ", want 74922");
  }

  void server_streaming() {
    ClientContext ctx;
    set_deadline(ctx);
    StreamingOutputCallRequest request;
    for (int size : kResponseSizes) request.add_response_parameters()->set_size(size);
    auto stream = stub_->StreamingOutputCall(&ctx, request);
    StreamingOutputCallResponse response;
    size_t count = 0;
    while (stream->Read(&response)) {
      check(count < kResponseSizes.size(), "StreamingOutputCall: more than four responses");
      check_payload(response.payload(), kResponseSizes[count],
                    "StreamingOutputCall response " + std::to_string(count + 1));
      ++count;
    }
    check_ok(stream->Finish(), "StreamingOutputCall");
    check(count == kResponseSizes.size(),
          "StreamingOutputCall: " + std::to_string(count) + " responses, want 4");
  }

  void ping_pong() {
    ClientContext ctx;
    set_deadline(ctx);
    auto stream = stub_->FullDuplexCall(&ctx);
    for (size_t i = 0; i < kRequestSizes.size(); ++i) {
      const std::string what = "FullDuplexCall message " + std::to_string(i + 1);
      check_stream(stream->Write(streaming_request(kResponseSizes[i], kRequestSizes[i])), *stream,
                   what + ": write failed");
      StreamingOutputCallResponse response;
      check_stream(stream->Read(&response), *stream, what + ": no reply");
      check_payload(response.payload(), kResponseSizes[i], what);
    }
    check_stream(stream->WritesDone(), *stream, "FullDuplexCall: half-close failed");
    const int extra = drain(*stream);
    check_ok(stream->Finish(), "FullDuplexCall");
    check(extra == 0, "FullDuplexCall: " + std::to_string(4 + extra) + " responses, want 4");
  }

  void empty_stream() {
    ClientContext ctx;
    set_deadline(ctx);
    auto stream = stub_->FullDuplexCall(&ctx);
    check_stream(stream->WritesDone(), *stream, "FullDuplexCall: half-close failed");
    const int count = drain(*stream);
    check_ok(stream->Finish(), "FullDuplexCall");
    check(count == 0, "FullDuplexCall: " + std::to_string(count) + " responses, want 0");
  }

  void status_code_and_message() { echo_status("test status message"); }

  void special_status_message() {
    // Whitespace and non-ASCII must survive the status message's percent-encoding.
    const std::string message =
        "\t\ntest with whitespace\r\nand Unicode BMP \xE2\x98\xBA and non-BMP \xF0\x9F\x98\x88\t\n";
    ClientContext ctx;
    set_deadline(ctx);
    SimpleRequest request;
    request.mutable_response_status()->set_code(2);
    request.mutable_response_status()->set_message(message);
    SimpleResponse response;
    const Status status = stub_->UnaryCall(&ctx, request, &response);
    check_code(status, StatusCode::UNKNOWN, "UnaryCall");
    check(status.error_message() == message,
          "UnaryCall: status message is " + hex(status.error_message()) + ", want " + hex(message));
  }

  void custom_metadata() {
    {
      ClientContext ctx;
      set_deadline(ctx);
      add_echo_metadata(ctx);
      SimpleRequest request;
      request.set_response_size(kLargeResponseSize);
      request.mutable_payload()->set_body(zeros(kLargeRequestSize));
      SimpleResponse response;
      check_ok(stub_->UnaryCall(&ctx, request, &response), "UnaryCall");
      check_payload(response.payload(), kLargeResponseSize, "UnaryCall");
      check_echo_metadata(ctx, "UnaryCall");
    }
    {
      ClientContext ctx;
      set_deadline(ctx);
      add_echo_metadata(ctx);
      auto stream = stub_->FullDuplexCall(&ctx);
      check_stream(stream->Write(streaming_request(kLargeResponseSize, kLargeRequestSize)), *stream,
                   "FullDuplexCall: write failed");
      check_stream(stream->WritesDone(), *stream, "FullDuplexCall: half-close failed");
      StreamingOutputCallResponse response;
      check_stream(stream->Read(&response), *stream, "FullDuplexCall: no reply");
      check_payload(response.payload(), kLargeResponseSize, "FullDuplexCall");
      const int extra = drain(*stream);
      check_ok(stream->Finish(), "FullDuplexCall");
      check(extra == 0, "FullDuplexCall: more than one response");
      check_echo_metadata(ctx, "FullDuplexCall");
    }
  }

  void unimplemented_method() {
    ClientContext ctx;
    set_deadline(ctx);
    Empty response;
    check_code(stub_->UnimplementedCall(&ctx, Empty(), &response), StatusCode::UNIMPLEMENTED,
               "TestService/UnimplementedCall");
  }

  void unimplemented_service() {
    ClientContext ctx;
    set_deadline(ctx);
    Empty response;
    check_code(unimplemented_stub_->UnimplementedCall(&ctx, Empty(), &response),
               StatusCode::UNIMPLEMENTED, "UnimplementedService/UnimplementedCall");
  }

  void timeout_on_sleeping_server() {
    ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1));
    auto stream = stub_->FullDuplexCall(&ctx);
    StreamingOutputCallRequest request;
    request.mutable_payload()->set_body(zeros(27182));
    stream->Write(request);  // may already fail: the deadline is that short
    drain(*stream);
    check_code(stream->Finish(), StatusCode::DEADLINE_EXCEEDED, "FullDuplexCall");
  }

  void cancel_after_begin() {
    ClientContext ctx;
    set_deadline(ctx);
    StreamingInputCallResponse response;
    auto stream = stub_->StreamingInputCall(&ctx, &response);
    ctx.TryCancel();
    check_code(stream->Finish(), StatusCode::CANCELLED, "StreamingInputCall");
  }

  void cancel_after_first_response() {
    ClientContext ctx;
    set_deadline(ctx);
    auto stream = stub_->FullDuplexCall(&ctx);
    check_stream(stream->Write(streaming_request(31415, 27182)), *stream,
                 "FullDuplexCall: write failed");
    StreamingOutputCallResponse response;
    check_stream(stream->Read(&response), *stream, "FullDuplexCall: no reply");
    check_payload(response.payload(), 31415, "FullDuplexCall");
    ctx.TryCancel();
    drain(*stream);
    check_code(stream->Finish(), StatusCode::CANCELLED, "FullDuplexCall");
  }

 private:
  void echo_status(const std::string& message) {
    {
      ClientContext ctx;
      set_deadline(ctx);
      SimpleRequest request;
      request.mutable_response_status()->set_code(2);
      request.mutable_response_status()->set_message(message);
      SimpleResponse response;
      const Status status = stub_->UnaryCall(&ctx, request, &response);
      check_code(status, StatusCode::UNKNOWN, "UnaryCall");
      check(status.error_message() == message,
            "UnaryCall: status message is \"" + status.error_message() + "\"");
    }
    {
      ClientContext ctx;
      set_deadline(ctx);
      auto stream = stub_->FullDuplexCall(&ctx);
      StreamingOutputCallRequest request;
      request.mutable_response_status()->set_code(2);
      request.mutable_response_status()->set_message(message);
      stream->Write(request);  // the server may close before reading it all
      stream->WritesDone();
      drain(*stream);
      const Status status = stream->Finish();
      check_code(status, StatusCode::UNKNOWN, "FullDuplexCall");
      check(status.error_message() == message,
            "FullDuplexCall: status message is \"" + status.error_message() + "\"");
    }
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TestService::Stub> stub_;
  std::unique_ptr<UnimplementedService::Stub> unimplemented_stub_;
};

using CaseFn = void (Cases::*)();
const std::vector<std::pair<std::string, CaseFn>> kCases = {
    {"empty_unary", &Cases::empty_unary},
    {"large_unary", &Cases::large_unary},
    {"client_streaming", &Cases::client_streaming},
    {"server_streaming", &Cases::server_streaming},
    {"ping_pong", &Cases::ping_pong},
    {"empty_stream", &Cases::empty_stream},
    {"status_code_and_message", &Cases::status_code_and_message},
    {"special_status_message", &Cases::special_status_message},
    {"custom_metadata", &Cases::custom_metadata},
    {"unimplemented_method", &Cases::unimplemented_method},
    {"unimplemented_service", &Cases::unimplemented_service},
    {"timeout_on_sleeping_server", &Cases::timeout_on_sleeping_server},
    {"cancel_after_begin", &Cases::cancel_after_begin},
    {"cancel_after_first_response", &Cases::cancel_after_first_response},
};

struct Options {
  std::string server_host = "localhost";
  std::string server_port;
  bool use_tls = false;
  std::string ca_file;
  std::string server_host_override;
  std::string test_case = "all";
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "grpcpp_interop_client: " << why << "\n"
            << "usage: grpcpp_interop_client --server_host=HOST --server_port=PORT "
               "[--use_tls[=true|false]] [--ca_file=PEM] [--server_host_override=NAME] "
               "[--test_case=NAME|all]\n";
  std::exit(2);
}

bool parse_bool(const std::string& flag, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  usage(flag + " wants true or false, got \"" + value + "\"");
}

// Accepts --flag=value and --flag value; --use_tls alone means true.
Options parse_options(int argc, char** argv) {
  Options options;
  const std::map<std::string, std::string*> strings = {
      {"--server_host", &options.server_host},
      {"--server_port", &options.server_port},
      {"--ca_file", &options.ca_file},
      {"--server_host_override", &options.server_host_override},
      {"--test_case", &options.test_case},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (arg == "--use_tls") {
      options.use_tls = value ? parse_bool(arg, *value) : true;
    } else if (const auto it = strings.find(arg); it != strings.end()) {
      if (!value) {
        if (i + 1 >= argc) usage(arg + " needs a value");
        value = argv[++i];
      }
      *it->second = *value;
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (options.server_port.empty()) usage("--server_port is required");
  if (!options.ca_file.empty() && !options.use_tls) usage("--ca_file needs --use_tls");
  return options;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<grpc::Channel> make_channel(const Options& options) {
  std::string host = options.server_host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  const std::string target = host + ":" + options.server_port;
  grpc::ChannelArguments args;
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.use_tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) ssl.pem_root_certs = read_file(options.ca_file);
    creds = grpc::SslCredentials(ssl);
    // Names the certificate must match and the :authority to send.
    if (!options.server_host_override.empty())
      args.SetSslTargetNameOverride(options.server_host_override);
  } else {
    creds = grpc::InsecureChannelCredentials();
    if (!options.server_host_override.empty())
      args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, options.server_host_override);
  }
  return grpc::CreateCustomChannel(target, creds, args);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  std::vector<std::pair<std::string, CaseFn>> selected;
  for (const auto& entry : kCases) {
    if (options.test_case == "all" || options.test_case == entry.first) selected.push_back(entry);
  }
  if (selected.empty()) {
    std::string names;
    for (const auto& [name, fn] : kCases) names += " " + name;
    usage("unknown test case \"" + options.test_case + "\"; known: all" + names);
  }

  Cases cases(make_channel(options));
  int failed = 0;
  for (const auto& [name, fn] : selected) {
    try {
      (cases.*fn)();
      std::cout << "PASS " << name << std::endl;
    } catch (const std::exception& e) {
      ++failed;
      std::cout << "FAIL " << name << ": " << e.what() << std::endl;
    }
  }
  std::cout << selected.size() - failed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 ? 0 : 1;
}
