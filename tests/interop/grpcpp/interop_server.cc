// gRPC interop test server (grpc++): grpc.testing.TestService with the server features of grpc's
// doc/interop-test-descriptions.md, plus grpc.testing.BenchmarkService/UnaryCall on the callback
// API as a reference peer for benchmarks. CompressedRequest (expect_compressed) is not checked:
// grpc++ does not tell a handler whether its request came compressed.
//
// Usage: grpcpp_interop_server [--listen HOST:PORT | --port PORT]
//          [--plaintext | --use_tls[=true|false] | --cert PEM --key PEM]
// Port 0 picks a free port. Prints "listening on HOST:PORT" once serving; stops on SIGTERM/SIGINT.

#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "grpc/testing/benchmark_service.grpc.pb.h"
#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "grpc/testing/test.grpc.pb.h"

namespace {

using grpc::ServerContext;
using grpc::ServerReader;
using grpc::ServerReaderWriter;
using grpc::ServerWriter;
using grpc::Status;
using grpc::StatusCode;
using grpc::testing::EchoStatus;
using grpc::testing::Empty;
using grpc::testing::Payload;
using grpc::testing::ResponseParameters;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;

constexpr std::string_view kEchoInitialKey = "x-grpc-test-echo-initial";
constexpr std::string_view kEchoTrailingKey = "x-grpc-test-echo-trailing-bin";

// Echoes the two test metadata keys back: the first as initial, the second as trailing metadata.
void echo_metadata(ServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  if (auto it = md.find(grpc::string_ref(kEchoInitialKey.data(), kEchoInitialKey.size()));
      it != md.end()) {
    ctx->AddInitialMetadata(std::string(kEchoInitialKey),
                            std::string(it->second.data(), it->second.size()));
  }
  if (auto it = md.find(grpc::string_ref(kEchoTrailingKey.data(), kEchoTrailingKey.size()));
      it != md.end()) {
    ctx->AddTrailingMetadata(std::string(kEchoTrailingKey),
                             std::string(it->second.data(), it->second.size()));
  }
}

// The status a request asks to be closed with (Echo Status), if any.
std::optional<Status> echoed_status(bool has_status, const EchoStatus& echo) {
  if (!has_status || echo.code() == 0) return std::nullopt;
  return Status(static_cast<StatusCode>(echo.code()), echo.message());
}

Status fill_payload(grpc::testing::PayloadType type, int size, Payload* payload) {
  if (type != grpc::testing::COMPRESSABLE)
    return Status(StatusCode::INVALID_ARGUMENT, "unsupported response_type");
  if (size < 0) return Status(StatusCode::INVALID_ARGUMENT, "negative response size");
  payload->set_type(type);
  payload->set_body(std::string(static_cast<size_t>(size), '\0'));
  return Status::OK;
}

// Sleeps for interval_us unless the call goes away meanwhile; false when it did.
bool wait_interval(ServerContext* ctx, int interval_us) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(interval_us);
  while (std::chrono::steady_clock::now() < until) {
    if (ctx->IsCancelled()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - std::chrono::steady_clock::now(), std::chrono::milliseconds(10)));
  }
  return !ctx->IsCancelled();
}

// Writes one response per ResponseParameters, observing interval_us and per-message compression.
template <typename Writer>
Status write_responses(ServerContext* ctx, Writer* writer,
                       const StreamingOutputCallRequest& request) {
  for (const ResponseParameters& params : request.response_parameters()) {
    if (params.interval_us() > 0 && !wait_interval(ctx, params.interval_us()))
      return Status(StatusCode::CANCELLED, "call went away");
    StreamingOutputCallResponse response;
    if (Status s = fill_payload(request.response_type(), params.size(), response.mutable_payload());
        !s.ok())
      return s;
    grpc::WriteOptions options;
    if (params.has_compressed() && !params.compressed().value()) options.set_no_compression();
    if (!writer->Write(response, options)) return Status(StatusCode::CANCELLED, "write failed");
  }
  return Status::OK;
}

// Compresses a streaming call's responses when any of them asks for it.
void maybe_compress(ServerContext* ctx, const StreamingOutputCallRequest& request) {
  for (const ResponseParameters& params : request.response_parameters()) {
    if (params.compressed().value()) {
      ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
      return;
    }
  }
}

class TestServiceImpl final : public grpc::testing::TestService::Service {
 public:
  Status EmptyCall(ServerContext* ctx, const Empty*, Empty*) override {
    echo_metadata(ctx);
    return Status::OK;
  }

  Status UnaryCall(ServerContext* ctx, const SimpleRequest* request,
                   SimpleResponse* response) override {
    echo_metadata(ctx);
    if (auto s = echoed_status(request->has_response_status(), request->response_status()))
      return *s;
    if (request->response_compressed().value()) ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    return fill_payload(request->response_type(), request->response_size(),
                        response->mutable_payload());
  }

  Status CacheableUnaryCall(ServerContext* ctx, const SimpleRequest*,
                            SimpleResponse* response) override {
    echo_metadata(ctx);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    response->mutable_payload()->set_body(
        std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
    ctx->AddInitialMetadata("cache-control", "max-age=60, public");
    return Status::OK;
  }

  Status StreamingOutputCall(ServerContext* ctx, const StreamingOutputCallRequest* request,
                             ServerWriter<StreamingOutputCallResponse>* writer) override {
    echo_metadata(ctx);
    if (auto s = echoed_status(request->has_response_status(), request->response_status()))
      return *s;
    maybe_compress(ctx, *request);
    return write_responses(ctx, writer, *request);
  }

  Status StreamingInputCall(ServerContext* ctx, ServerReader<StreamingInputCallRequest>* reader,
                            StreamingInputCallResponse* response) override {
    echo_metadata(ctx);
    StreamingInputCallRequest request;
    int total = 0;
    while (reader->Read(&request)) {
      total += static_cast<int>(request.payload().body().size());
    }
    if (ctx->IsCancelled()) return Status::CANCELLED;
    response->set_aggregated_payload_size(total);
    return Status::OK;
  }

  Status FullDuplexCall(ServerContext* ctx,
                        ServerReaderWriter<StreamingOutputCallResponse, StreamingOutputCallRequest>*
                            stream) override {
    echo_metadata(ctx);
    StreamingOutputCallRequest request;
    while (stream->Read(&request)) {
      if (auto s = echoed_status(request.has_response_status(), request.response_status()))
        return *s;
      maybe_compress(ctx, request);
      if (Status s = write_responses(ctx, stream, request); !s.ok()) return s;
    }
    return Status::OK;
  }

  // Like FullDuplexCall, but answers only once the client half-closes.
  Status HalfDuplexCall(ServerContext* ctx,
                        ServerReaderWriter<StreamingOutputCallResponse, StreamingOutputCallRequest>*
                            stream) override {
    echo_metadata(ctx);
    std::vector<StreamingOutputCallRequest> requests;
    StreamingOutputCallRequest request;
    while (stream->Read(&request)) requests.push_back(request);
    if (ctx->IsCancelled()) return Status::CANCELLED;
    for (const auto& r : requests) {
      if (auto s = echoed_status(r.has_response_status(), r.response_status())) return *s;
      maybe_compress(ctx, r);
      if (Status s = write_responses(ctx, stream, r); !s.ok()) return s;
    }
    return Status::OK;
  }
  // UnimplementedCall is deliberately left to the base class, which answers UNIMPLEMENTED.
};

// Callback-API unary endpoint, so benchmarks measure grpc++ at its fastest.
class BenchmarkServiceImpl final : public grpc::testing::BenchmarkService::CallbackService {
 public:
  grpc::ServerUnaryReactor* UnaryCall(grpc::CallbackServerContext* ctx,
                                      const SimpleRequest* request,
                                      SimpleResponse* response) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(fill_payload(request->response_type(), request->response_size(),
                                 response->mutable_payload()));
    return reactor;
  }
};

struct Options {
  std::string listen = "127.0.0.1:0";
  bool use_tls = false;
  std::string cert_file;
  std::string key_file;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "grpcpp_interop_server: " << why << "\n"
            << "usage: grpcpp_interop_server [--listen HOST:PORT | --port PORT] "
               "[--plaintext | --use_tls[=true|false] --cert PEM --key PEM]\n";
  std::exit(2);
}

// Accepts --flag=value and --flag value; --use_tls alone means true.
Options parse_options(int argc, char** argv) {
  Options options;
  std::string port;
  const std::map<std::string, std::string*> strings = {
      {"--listen", &options.listen},
      {"--port", &port},
      {"--cert", &options.cert_file},
      {"--key", &options.key_file},
  };
  bool plaintext = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (arg == "--use_tls") {
      const std::string v = value.value_or("true");
      if (v != "true" && v != "false") usage("--use_tls wants true or false");
      options.use_tls = v == "true";
    } else if (arg == "--plaintext" && !value) {
      plaintext = true;
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
  if (!port.empty()) options.listen = "127.0.0.1:" + port;  // loopback: a test peer only
  if (!options.cert_file.empty() || !options.key_file.empty()) options.use_tls = true;
  if (plaintext && options.use_tls) usage("--plaintext conflicts with TLS options");
  if (options.use_tls && (options.cert_file.empty() || options.key_file.empty()))
    usage("TLS needs --cert and --key");
  return options;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);

  // Block the stop signals in every thread gRPC starts so that main can sigwait for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options.use_tls) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({read_file(options.key_file), read_file(options.cert_file)});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }

  TestServiceImpl test_service;
  BenchmarkServiceImpl benchmark_service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, creds, &port);
  builder.RegisterService(&test_service);
  builder.RegisterService(&benchmark_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "grpcpp_interop_server: cannot listen on " << options.listen << std::endl;
    return 1;
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  std::cout << "listening on " << host << ":" << port << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  // Give in-flight calls a moment, then cancel whatever is left.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return 0;
}
