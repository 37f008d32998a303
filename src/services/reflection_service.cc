#include "triplex/reflection.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <memory>
#include <string>
#include <unordered_set>

#include "grpc/reflection/v1/reflection.pb.h"
#include "grpc/reflection/v1alpha/reflection.pb.h"
#include "triplex/server.h"

namespace triplex {
namespace {

namespace pb = google::protobuf;
namespace v1 = grpc::reflection::v1;
namespace v1alpha = grpc::reflection::v1alpha;

// v1 and v1alpha have the same messages in different packages, so one
// template answers both.
template <typename Request, typename Response>
class ReflectionStream {
 public:
  explicit ReflectionStream(const Server& server) : server_(server) {}

  void answer(const Request& request, Response& response) {
    response.set_valid_host(request.host());
    *response.mutable_original_request() = request;
    const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
    switch (request.message_request_case()) {
      case Request::kFileByFilename: {
        const std::string& name = request.file_by_filename();
        send_file(pool->FindFileByName(name), response, "file not found: " + name);
        break;
      }
      case Request::kFileContainingSymbol: {
        const std::string& symbol = request.file_containing_symbol();
        send_file(pool->FindFileContainingSymbol(symbol), response, "symbol not found: " + symbol);
        break;
      }
      case Request::kFileContainingExtension: {
        const auto& extension = request.file_containing_extension();
        const pb::Descriptor* type = pool->FindMessageTypeByName(extension.containing_type());
        if (type == nullptr) {
          fail(response, Code::kNotFound, "type not found: " + extension.containing_type());
          break;
        }
        const pb::FieldDescriptor* field =
            pool->FindExtensionByNumber(type, extension.extension_number());
        send_file(field ? field->file() : nullptr, response,
                  "extension not found: " + std::to_string(extension.extension_number()));
        break;
      }
      case Request::kAllExtensionNumbersOfType:
        send_extension_numbers(pool, request.all_extension_numbers_of_type(), response);
        break;
      case Request::kListServices: {
        auto* list = response.mutable_list_services_response();
        for (const auto& name : server_.service_names()) list->add_service()->set_name(name);
        break;
      }
      default:
        fail(response, Code::kUnimplemented, "request kind not supported");
        break;
    }
  }

 private:
  static void fail(Response& response, Code code, std::string message) {
    auto* error = response.mutable_error_response();
    error->set_error_code(static_cast<int>(code));
    error->set_error_message(std::move(message));
  }

  // The requested file always comes first (clients take the first file as the
  // answer, even when it was sent before), then its transitive imports that
  // this stream has not carried yet. A file is only ever sent with all of its
  // imports, so an import already sent has nothing new below it.
  void send_file(const pb::FileDescriptor* file, Response& response, std::string not_found) {
    if (file == nullptr) return fail(response, Code::kNotFound, std::move(not_found));
    auto* files = response.mutable_file_descriptor_response();
    std::vector<const pb::FileDescriptor*> pending{file};
    while (!pending.empty()) {
      const pb::FileDescriptor* next = pending.back();
      pending.pop_back();
      if (!sent_.insert(next->name()).second && next != file) continue;
      pb::FileDescriptorProto proto;
      next->CopyTo(&proto);
      files->add_file_descriptor_proto(proto.SerializeAsString());
      // Reversed, so imports come out in the order the file lists them.
      for (int i = next->dependency_count() - 1; i >= 0; --i) {
        pending.push_back(next->dependency(i));
      }
    }
  }

  static void send_extension_numbers(const pb::DescriptorPool* pool, const std::string& type_name,
                                     Response& response) {
    const pb::Descriptor* type = pool->FindMessageTypeByName(type_name);
    if (type == nullptr) return fail(response, Code::kNotFound, "type not found: " + type_name);
    std::vector<const pb::FieldDescriptor*> extensions;
    pool->FindAllExtensions(type, &extensions);
    std::vector<int> numbers;
    numbers.reserve(extensions.size());
    for (const auto* field : extensions) numbers.push_back(field->number());
    std::sort(numbers.begin(), numbers.end());
    auto* out = response.mutable_all_extension_numbers_response();
    out->set_base_type_name(type->full_name());
    for (int number : numbers) out->add_extension_number(number);
  }

  const Server& server_;
  std::unordered_set<std::string> sent_;  // file names carried on this stream
};

template <typename Request, typename Response>
asio::awaitable<Status> serve(const Server& server, ServerContext& context) {
  ReflectionStream<Request, Response> stream(server);
  Request request;
  while (co_await context.read_message(request)) {
    Response response;
    stream.answer(request, response);
    co_await context.write_message(response);
  }
  co_return Status();
}

}  // namespace

ReflectionService::ReflectionService(const Server& server, Version version)
    : server_(server), version_(version) {}

std::string_view ReflectionService::service_name() const {
  return version_ == Version::kV1 ? "grpc.reflection.v1.ServerReflection"
                                  : "grpc.reflection.v1alpha.ServerReflection";
}

std::vector<MethodDefinition> ReflectionService::methods() {
  std::string path = "/" + std::string(service_name()) + "/ServerReflectionInfo";
  MethodHandler handler;
  if (version_ == Version::kV1) {
    handler = [this](ServerContext& c) {
      return serve<v1::ServerReflectionRequest, v1::ServerReflectionResponse>(server_, c);
    };
  } else {
    handler = [this](ServerContext& c) {
      return serve<v1alpha::ServerReflectionRequest, v1alpha::ServerReflectionResponse>(server_, c);
    };
  }
  return {{std::move(path), RpcKind::kBidiStreaming, false, std::move(handler)}};
}

void add_reflection_services(Server& server) {
  server.add_service(std::make_shared<ReflectionService>(server, ReflectionService::Version::kV1));
  server.add_service(
      std::make_shared<ReflectionService>(server, ReflectionService::Version::kV1Alpha));
}

}  // namespace triplex
