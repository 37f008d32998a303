// protoc-gen-triplex: a protoc plugin that writes, for each .proto file, a
// header `<name>.triplex.h` holding one class per service (in namespace
// `<package>::triplex_rpc`) holding `Methods` (what a Channel must know of each
// method), a `Service` base for servers (a coroutine per method, shaped by its
// streaming kind), a typed coroutine `Client` and a `BlockingClient` (unary and
// server-streaming methods) for programs without coroutines.
#include <google/protobuf/compiler/code_generator.h>
#include <google/protobuf/compiler/plugin.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/printer.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "triplex/version.h"

namespace {

constexpr const char* kUsage =
    "protoc-gen-triplex: a protoc plugin that writes <file>.triplex.h (service bases, method\n"
    "tables, coroutine and blocking client stubs) beside protoc's C++ output.\n"
    "\n"
    "Usage (protoc runs it; it reads a CodeGeneratorRequest on stdin):\n"
    "  protoc --plugin=protoc-gen-triplex=/path/to/protoc-gen-triplex \\\n"
    "         --cpp_out=OUT --triplex_out=OUT -I DIR file.proto\n"
    "or, from CMake, triplex_generate(TARGET t PROTOS file.proto IMPORT_DIRS DIR).\n"
    "\n"
    "Options:\n"
    "  --help     print this help and exit\n"
    "  --version  print the version and exit\n";

using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::MethodOptions;
using google::protobuf::ServiceDescriptor;
using google::protobuf::compiler::GeneratorContext;
using google::protobuf::io::Printer;

std::string strip_proto(const std::string& name) {
  return name.ends_with(".proto") ? name.substr(0, name.size() - 6) : name;
}

std::string cpp_type(const std::string& full_name) {
  std::string out = "::";
  for (char c : full_name) {
    if (c == '.') {
      out += "::";
    } else {
      out += c;
    }
  }
  return out;
}

std::string cpp_namespace(const std::string& package) {
  std::string out;
  for (char c : package) {
    if (c == '.') {
      out += "::";
    } else {
      out += c;
    }
  }
  return out;
}

// protoc's C++ name for a file's descriptor table: "a/b.proto" -> descriptor_table_a_2fb_2eproto.
std::string descriptor_table_of(const FileDescriptor* file) {
  std::string out = "descriptor_table_";
  for (unsigned char c : file->name()) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "_%x", c);
      out += hex;
    }
  }
  return out;
}

const char* kind_of(const MethodDescriptor* m) {
  if (m->client_streaming() && m->server_streaming()) return "kBidiStreaming";
  if (m->client_streaming()) return "kClientStreaming";
  if (m->server_streaming()) return "kServerStreaming";
  return "kUnary";
}

const char* adapter_of(const MethodDescriptor* m) {
  if (m->client_streaming() && m->server_streaming()) return "make_bidi_streaming_handler";
  if (m->client_streaming()) return "make_client_streaming_handler";
  if (m->server_streaming()) return "make_server_streaming_handler";
  return "make_unary_handler";
}

// The handler's parameter list after the context, typed for the method's shape.
std::string params_of(const MethodDescriptor* m, bool named) {
  std::string in = cpp_type(m->input_type()->full_name());
  std::string out = cpp_type(m->output_type()->full_name());
  auto n = [named](const char* name) { return named ? std::string(" ") + name : std::string(); };
  if (m->client_streaming() && m->server_streaming()) {
    return "::triplex::ServerReaderWriter<" + in + ", " + out + ">&" + n("stream");
  }
  if (m->client_streaming()) {
    return "::triplex::ServerReader<" + in + ">&" + n("reader") + ", " + out + "&" + n("response");
  }
  if (m->server_streaming()) {
    return "const " + in + "&" + n("request") + ", ::triplex::ServerWriter<" + out + ">&" +
           n("writer");
  }
  return "const " + in + "&" + n("request") + ", " + out + "&" + n("response");
}

std::string args_of(const MethodDescriptor* m) {
  if (m->client_streaming() && m->server_streaming()) return "stream";
  if (m->client_streaming()) return "reader, response";
  if (m->server_streaming()) return "request, writer";
  return "request, response";
}

void print_comment(Printer& p, const std::string& comment) {
  std::size_t start = 0;
  while (start < comment.size()) {
    auto end = comment.find('\n', start);
    if (end == std::string::npos) end = comment.size();
    std::string line = comment.substr(start, end - start);
    if (!line.empty() && line[0] == ' ') line.erase(0, 1);
    p.Print("//$line$\n", "line", line.empty() ? "" : " " + line);
    start = end + 1;
  }
}

bool no_side_effects(const MethodDescriptor* m) {
  return m->options().idempotency_level() == MethodOptions::NO_SIDE_EFFECTS;
}

void print_methods(Printer& p, const ServiceDescriptor* service) {
  p.Print(
      "  // What a Channel must know of each method: its path, streaming kind and\n"
      "  // whether it is free of side effects (Connect GET, HTTP/3 0-RTT).\n"
      "  struct Methods {\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* m = service->method(i);
    p.Print(
        "    static ::triplex::ClientMethod $method$() {\n"
        "      return {\"/$full$/$method$\", ::triplex::RpcKind::$kind$, $safe$};\n"
        "    }\n",
        "method", m->name(), "full", service->full_name(), "kind", kind_of(m), "safe",
        no_side_effects(m) ? "true" : "false");
  }
  p.Print("  };\n\n");
}

void print_client(Printer& p, const ServiceDescriptor* service) {
  p.Print(
      "  // Calls the service from coroutines on the channel's io_context (see\n"
      "  // triplex/client.h and triplex/client_stub.h for the contracts).\n"
      "  class Client {\n"
      "   public:\n"
      "    explicit Client(std::shared_ptr<::triplex::Channel> channel)\n"
      "        : channel_(std::move(channel)) {}\n\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* m = service->method(i);
    std::string in = cpp_type(m->input_type()->full_name());
    std::string out = cpp_type(m->output_type()->full_name());
    if (m->client_streaming() && m->server_streaming()) {
      p.Print(
          "    ::triplex::ClientReaderWriter<$in$, $out$> $method$(\n"
          "        ::triplex::CallOptions options = {}) {\n"
          "      return ::triplex::ClientReaderWriter<$in$, $out$>(\n"
          "          channel_->call(Methods::$method$(), std::move(options)));\n"
          "    }\n",
          "method", m->name(), "in", in, "out", out);
    } else if (m->client_streaming()) {
      p.Print(
          "    ::triplex::ClientWriter<$in$, $out$> $method$(\n"
          "        ::triplex::CallOptions options = {}) {\n"
          "      return ::triplex::ClientWriter<$in$, $out$>(\n"
          "          channel_->call(Methods::$method$(), std::move(options)));\n"
          "    }\n",
          "method", m->name(), "in", in, "out", out);
    } else if (m->server_streaming()) {
      // Sends the request before handing out the reader.
      p.Print(
          "    ::asio::awaitable<::triplex::ClientReader<$out$>> $method$(\n"
          "        const $in$& request, ::triplex::CallOptions options = {}) {\n"
          "      std::unique_ptr<::triplex::ClientCall> call =\n"
          "          channel_->call(Methods::$method$(), std::move(options));\n"
          "      co_await ::triplex::detail::send_single_request(*call, request);\n"
          "      co_return ::triplex::ClientReader<$out$>(std::move(call));\n"
          "    }\n",
          "method", m->name(), "in", in, "out", out);
    } else {
      p.Print(
          "    ::asio::awaitable<::triplex::Status> $method$(\n"
          "        const $in$& request, $out$& response, ::triplex::CallOptions options = {}) {\n"
          "      return channel_->unary(Methods::$method$(), request, response, "
          "std::move(options));\n"
          "    }\n",
          "method", m->name(), "in", in, "out", out);
    }
  }
  p.Print(
      "\n"
      "   private:\n"
      "    std::shared_ptr<::triplex::Channel> channel_;\n"
      "  };\n\n");
}

// Only the kinds with one request: streaming requests need coroutines.
void print_blocking_client(Printer& p, const ServiceDescriptor* service) {
  p.Print(
      "  // Calls the unary and server-streaming methods from any thread, blocking\n"
      "  // (see triplex/blocking_client.h); the other kinds need `Client`.\n"
      "  class BlockingClient {\n"
      "   public:\n"
      "    explicit BlockingClient(std::shared_ptr<::triplex::BlockingChannel> channel)\n"
      "        : channel_(std::move(channel)) {}\n\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* m = service->method(i);
    if (m->client_streaming()) continue;
    std::string in = cpp_type(m->input_type()->full_name());
    std::string out = cpp_type(m->output_type()->full_name());
    if (m->server_streaming()) {
      p.Print(
          "    // `on_message(const $out_short$&)` returns void, or bool: false stops the call.\n"
          "    template <typename OnMessage>\n"
          "    ::triplex::Status $method$(\n"
          "        const $in$& request, OnMessage&& on_message, ::triplex::CallOptions options = "
          "{}) {\n"
          "      return channel_->server_streaming<$out$>(\n"
          "          Methods::$method$(), request, std::forward<OnMessage>(on_message),\n"
          "          std::move(options));\n"
          "    }\n",
          "method", m->name(), "in", in, "out", out, "out_short", m->output_type()->name());
    } else {
      p.Print(
          "    ::triplex::Status $method$(\n"
          "        const $in$& request, $out$& response, ::triplex::CallOptions options = {}) {\n"
          "      return channel_->unary(Methods::$method$(), request, response, "
          "std::move(options));\n"
          "    }\n",
          "method", m->name(), "in", in, "out", out);
    }
  }
  p.Print(
      "\n"
      "   private:\n"
      "    std::shared_ptr<::triplex::BlockingChannel> channel_;\n"
      "  };\n");
}

void print_service(Printer& p, const ServiceDescriptor* service) {
  google::protobuf::SourceLocation location;
  if (service->GetSourceLocation(&location)) print_comment(p, location.leading_comments);
  p.Print(
      "class $name$ final {\n"
      " public:\n"
      "  static constexpr std::string_view kServiceName = \"$full$\";\n"
      "  $name$() = delete;\n\n",
      "name", service->name(), "full", service->full_name());
  print_methods(p, service);
  p.Print(
      "  // Derive, override the methods you serve (the others answer UNIMPLEMENTED),\n"
      "  // and add an instance to a triplex::Server.\n"
      "  class Service : public ::triplex::Service {\n"
      "   public:\n");
  // A file holding only services is otherwise never referenced, so a static
  // library would drop its .pb.o and the schema would be missing from
  // protobuf's generated pool (where server reflection looks).
  if (service->file()->options().optimize_for() != google::protobuf::FileOptions::LITE_RUNTIME) {
    p.Print(
        "    // Links this file's schema into the program, for server reflection.\n"
        "    Service() { ::google::protobuf::internal::AssignDescriptors(&::$table$); }\n",
        "table", descriptor_table_of(service->file()));
  }
  p.Print("    std::string_view service_name() const override { return kServiceName; }\n\n");
  p.Indent();
  p.Indent();
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* m = service->method(i);
    google::protobuf::SourceLocation loc;
    if (m->GetSourceLocation(&loc)) print_comment(p, loc.leading_comments);
    p.Print(
        "virtual ::asio::awaitable<::triplex::Status> $method$(::triplex::ServerContext&, "
        "$params$) {\n"
        "  co_return ::triplex::Status(::triplex::Code::kUnimplemented,\n"
        "                              \"method $method$ is not implemented\");\n"
        "}\n\n",
        "method", m->name(), "params", params_of(m, false));
  }
  p.Print("std::vector<::triplex::MethodDefinition> methods() override {\n");
  p.Print("  std::vector<::triplex::MethodDefinition> list;\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* m = service->method(i);
    bool safe = no_side_effects(m);
    p.Print(
        "list.push_back({\"/$full$/$method$\", ::triplex::RpcKind::$kind$, $safe$,\n"
        "                ::triplex::$adapter$<$in$, $out$>(\n"
        "                    [this](::triplex::ServerContext& context, $params$) {\n"
        "                      return $method$(context, $args$);\n"
        "                    })});\n",
        "full", service->full_name(), "method", m->name(), "kind", kind_of(m), "safe",
        safe ? "true" : "false", "adapter", adapter_of(m), "in",
        cpp_type(m->input_type()->full_name()), "out", cpp_type(m->output_type()->full_name()),
        "params", params_of(m, true), "args", args_of(m));
  }
  p.Print("  return list;\n}\n");
  p.Outdent();
  p.Outdent();
  p.Print("  };\n\n");
  print_client(p, service);
  print_blocking_client(p, service);
  p.Print("};\n\n");
}

class TriplexGenerator final : public google::protobuf::compiler::CodeGenerator {
 public:
  bool Generate(const FileDescriptor* file, const std::string&, GeneratorContext* context,
                std::string*) const override {
    std::string base = strip_proto(file->name());
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
        context->Open(base + ".triplex.h"));
    Printer p(out.get(), '$');
    p.Print(
        "// Generated by protoc-gen-triplex from $file$. Do not edit.\n"
        "#pragma once\n\n"
        "#include <memory>\n"
        "#include <string_view>\n"
        "#include <utility>\n"
        "#include <vector>\n\n"
        "#include \"$base$.pb.h\"\n"
        "#include \"triplex/blocking_client.h\"\n"
        "#include \"triplex/client_stub.h\"\n"
        "#include \"triplex/service.h\"\n\n",
        "file", file->name(), "base", base);
    if (file->service_count() == 0) return true;
    // A namespace of our own inside the package keeps these classes apart from
    // gRPC C++'s generated `Foo` classes for the same proto.
    std::string ns = cpp_namespace(file->package());
    ns = ns.empty() ? "triplex_rpc" : ns + "::triplex_rpc";
    p.Print("namespace $ns$ {\n\n", "ns", ns);
    for (int i = 0; i < file->service_count(); ++i) print_service(p, file->service(i));
    p.Print("}  // namespace $ns$\n", "ns", ns);
    return true;
  }

  std::uint64_t GetSupportedFeatures() const override { return FEATURE_PROTO3_OPTIONAL; }
};

}  // namespace

int main(int argc, char* argv[]) {
  // protoc runs plugins without arguments; these are for a person at a shell.
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--version") {
      std::printf("protoc-gen-triplex %s\n", triplex::kVersion);
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  TriplexGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
