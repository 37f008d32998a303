#include "src/services/reflection_client.h"

#include <google/protobuf/descriptor.h>

#include <set>

#include "grpc/reflection/v1/reflection.pb.h"

namespace triplex {
namespace {

// v1alpha has the same messages on the wire as v1; only the path differs.
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

ClientMethod reflection_method(ReflectVersion version) {
  ClientMethod m;
  m.path = version == ReflectVersion::kV1
               ? "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
               : "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  m.kind = RpcKind::kBidiStreaming;
  return m;
}

// One stream: every request, then every response.
asio::awaitable<std::vector<ServerReflectionResponse>> ask(
    Channel& channel, ReflectVersion version, const std::vector<ServerReflectionRequest>& asks,
    const CallOptions& options) {
  auto call = channel.call(reflection_method(version), options);
  for (const auto& request : asks) {
    bool sent = co_await call->write(request);
    if (!sent) break;
  }
  co_await call->writes_done();
  std::vector<ServerReflectionResponse> answers;
  ServerReflectionResponse response;
  while (co_await call->read(response)) answers.push_back(response);
  Status status = co_await call->finish();
  if (!status.ok()) {
    status.message = "server reflection: " + status.message;
    throw Error(std::move(status));
  }
  co_return answers;
}

}  // namespace

asio::awaitable<Reflection> reflect(Channel& channel, ReflectVersion version,
                                    std::vector<std::string> symbols, bool list_services,
                                    CallOptions options) {
  Reflection out;
  std::set<std::string> have;    // file names received
  std::set<std::string> wanted;  // file names asked for
  std::vector<ServerReflectionRequest> asks;
  if (list_services) asks.emplace_back().set_list_services("*");
  for (const auto& symbol : symbols) asks.emplace_back().set_file_containing_symbol(symbol);
  while (!asks.empty()) {
    auto answers = co_await ask(channel, version, asks, options);
    asks.clear();
    for (const auto& answer : answers) {
      if (answer.has_error_response()) {
        const auto& e = answer.error_response();
        throw Error(
            static_cast<Code>(e.error_code() >= 0 && e.error_code() <= 16 ? e.error_code() : 2),
            "server reflection: " + e.error_message());
      }
      for (const auto& service : answer.list_services_response().service()) {
        out.services.push_back(service.name());
      }
      for (const auto& bytes : answer.file_descriptor_response().file_descriptor_proto()) {
        google::protobuf::FileDescriptorProto file;
        if (!file.ParseFromString(bytes)) {
          throw Error(Code::kInternal, "server reflection sent a malformed file descriptor");
        }
        if (have.insert(file.name()).second) out.files.push_back(std::move(file));
      }
    }
    // Imports the server did not send yet: ask for them by name.
    for (const auto& file : out.files) {
      for (const auto& dep : file.dependency()) {
        // Well-known types are built in; the server need not send them.
        bool builtin = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(dep);
        if (!builtin && !have.count(dep) && wanted.insert(dep).second) {
          asks.emplace_back().set_file_by_filename(dep);
        }
      }
    }
  }
  co_return out;
}

}  // namespace triplex
