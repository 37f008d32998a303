// `triplex curl`: calls an RPC from the shell, as `buf curl` does (its flags
// where they overlap), over HTTP/1.1, HTTP/2 or HTTP/3. Requests are JSON
// (-d), responses are printed as JSON, one per message; an error is printed
// as {"code","message","details"} on stderr and the exit status is the code
// times 8, as buf curl reports it.
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "src/cli/commands.h"
#include "src/cli/curl_json.h"
#include "src/cli/curl_schema.h"
#include "src/services/reflection_client.h"
#include "triplex/client.h"

namespace triplex::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct CurlFlags {
  std::string url;
  std::vector<std::string> data;
  std::vector<std::string> headers;
  std::string protocol = "connect";
  bool http2_prior_knowledge = false;
  bool http3 = false;
  bool http1 = false;
  std::vector<std::string> schema;
  bool insecure = false;
  std::string cacert, cert, key, servername;
  double connect_timeout = 0;
  double timeout = 0;
  bool verbose = false;
  bool emit_defaults = false;
  bool get = false;
  bool list_services = false;
  bool list_methods = false;
  std::string reflect_protocol;  // grpc-v1, grpc-v1alpha; empty: v1, then v1alpha
};

// buf curl's exit status for an RPC error.
int exit_status(Code code) { return static_cast<int>(code) * 8; }

std::string read_source(const std::string& spec) {
  if (spec == "@-") {
    std::ostringstream out;
    out << std::cin.rdbuf();
    return out.str();
  }
  if (spec.starts_with("@")) {
    std::ifstream in(spec.substr(1), std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + spec.substr(1));
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  return spec;
}

// "https://host:port/pkg.Service/Method" -> base URL, service, method.
void split_url(const std::string& url, std::string& base, std::string& service,
               std::string& method) {
  auto scheme_end = url.find("://");
  auto path = scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
  if (path == std::string::npos) throw std::runtime_error("URL has no /Service/Method: " + url);
  base = url.substr(0, path);
  std::string rest = url.substr(path + 1);
  auto slash = rest.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
    throw std::runtime_error("URL path must be /package.Service/Method: " + url);
  }
  service = rest.substr(0, slash);
  method = rest.substr(slash + 1);
  // A prefix before the service (a route on a gateway) is not supported.
  if (service.find('/') != std::string::npos) {
    throw std::runtime_error("URL path must be /package.Service/Method: " + url);
  }
}

ChannelOptions channel_options(const CurlFlags& f) {
  ChannelOptions o;
  if (f.protocol == "grpc") {
    o.protocol = RpcProtocol::kGrpc;
  } else if (f.protocol == "grpcweb") {
    o.protocol = RpcProtocol::kGrpcWeb;
  } else if (f.protocol == "connect") {
    o.protocol = RpcProtocol::kConnect;
  } else {
    throw std::runtime_error("--protocol must be grpc, grpcweb or connect");
  }
  if (f.http3) {
    o.http_version = HttpVersion::kHttp3;
  } else if (f.http1) {
    o.http_version = HttpVersion::kHttp1;
  } else if (f.http2_prior_knowledge) {
    o.http_version = HttpVersion::kHttp2;
  }
  o.tls.insecure = f.insecure;
  o.tls.ca_file = f.cacert;
  o.tls.cert_file = f.cert;
  o.tls.key_file = f.key;
  o.tls.server_name = f.servername;
  if (f.connect_timeout > 0) {
    o.connect_timeout = std::chrono::milliseconds(static_cast<long>(f.connect_timeout * 1000));
  }
  o.connect_get = f.get;
  o.max_receive_message_size = 64 * 1024 * 1024;  // a person asked for this response
  o.user_agent = std::string("triplex-curl/") + kVersion;
  // One call per run: the HTTP version is the one the flags ask for, as with
  // buf curl, not an Alt-Svc upgrade between the reflection call and this.
  o.follow_alt_svc = false;
  return o;
}

Metadata request_metadata(const std::vector<std::string>& specs) {
  Metadata md;
  for (const auto& spec : specs) {
    std::istringstream lines(spec.starts_with("@") ? read_source(spec) : spec);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      auto colon = line.find(':');
      if (colon == std::string::npos) throw std::runtime_error("header needs NAME: VALUE: " + line);
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      md.add(name, value);
    }
  }
  return md;
}

struct CallOutcome {
  Status status;
  std::string http_version;
  CallTimings timings;
  double first_ms = -1;
  double total_ms = 0;
};

double millis(std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; }

// Two lines, with what happened of each:
//   * connection: connect 0.20 ms, TLS handshake 1.90 ms (opened by the reflection call)
//   * call: first byte 2.50 ms, first message 2.60 ms, total 2.80 ms
std::string timing_lines(const CallOutcome& outcome) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2);
  const CallTimings& t = outcome.timings;
  const char* separator = " ";
  auto add = [&](const char* what, double ms) {
    out << separator << what << " " << ms << " ms";
    separator = ", ";
  };
  out << "* connection:";
  if (t.connect) add("connect", millis(*t.connect));
  if (t.handshake) {
    add(outcome.http_version == "HTTP/3" ? "QUIC handshake" : "TLS handshake",
        millis(*t.handshake));
  }
  if (t.reused_connection) out << " (opened by the reflection call)";
  out << "\n* call:";
  separator = " ";
  if (t.first_byte) add("first byte", millis(*t.first_byte));
  if (outcome.first_ms >= 0) add("first message", outcome.first_ms);
  add("total", outcome.total_ms);
  return out.str();
}

asio::awaitable<CallOutcome> run_call(std::shared_ptr<Channel> channel,
                                      const google::protobuf::MethodDescriptor& method,
                                      const CurlFlags& flags, std::vector<std::string> requests) {
  google::protobuf::DynamicMessageFactory factory(method.file()->pool());
  ClientMethod m;
  m.path = "/" + method.service()->full_name() + "/" + method.name();
  m.kind = method.client_streaming()
               ? (method.server_streaming() ? RpcKind::kBidiStreaming : RpcKind::kClientStreaming)
               : (method.server_streaming() ? RpcKind::kServerStreaming : RpcKind::kUnary);
  m.no_side_effects =
      method.options().idempotency_level() == google::protobuf::MethodOptions::NO_SIDE_EFFECTS;
  CallOptions options;
  options.metadata = request_metadata(flags.headers);
  if (flags.timeout > 0) {
    options.timeout = std::chrono::milliseconds(static_cast<long>(flags.timeout * 1000));
  }
  CallOutcome outcome;
  auto started = Clock::now();
  auto call = channel->call(m, options);
  for (const auto& json : requests) {
    std::unique_ptr<google::protobuf::Message> request(
        factory.GetPrototype(method.input_type())->New());
    auto parsed = google::protobuf::util::JsonStringToMessage(json, request.get());
    if (!parsed.ok()) {
      call->cancel();
      outcome.status = Status(Code::kInvalidArgument, "request is not a valid " +
                                                          method.input_type()->full_name() + ": " +
                                                          std::string(parsed.message()));
      co_return outcome;
    }
    bool sent = co_await call->write(*request);
    if (!sent) break;
  }
  co_await call->writes_done();
  google::protobuf::util::JsonPrintOptions print;
  print.always_print_primitive_fields = flags.emit_defaults;
  for (;;) {
    std::unique_ptr<google::protobuf::Message> response(
        factory.GetPrototype(method.output_type())->New());
    bool got = co_await call->read(*response);
    if (!got) break;
    if (outcome.first_ms < 0) {
      outcome.first_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    }
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(*response, &json, print);
    std::cout << indent_json(json) << std::endl;
  }
  outcome.status = co_await call->finish();
  outcome.http_version = call->http_version();
  outcome.timings = call->timings();
  outcome.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  co_return outcome;
}

// The schema from --schema, or else from the server's reflection service.
asio::awaitable<std::unique_ptr<Schema>> load_schema(Channel& channel, const CurlFlags& flags,
                                                     std::vector<std::string> symbols) {
  if (!flags.schema.empty()) co_return std::make_unique<Schema>(flags.schema);
  CallOptions options;
  options.metadata = request_metadata(flags.headers);
  if (flags.timeout > 0) {
    options.timeout = std::chrono::milliseconds(static_cast<long>(flags.timeout * 1000));
  }
  bool list = symbols.empty();
  ReflectVersion version =
      flags.reflect_protocol == "grpc-v1alpha" ? ReflectVersion::kV1Alpha : ReflectVersion::kV1;
  Reflection found;
  try {
    found = co_await reflect(channel, version, symbols, list, options);
  } catch (const Error& e) {
    // Older servers have only v1alpha.
    if (!flags.reflect_protocol.empty() || e.status().code != Code::kUnimplemented) throw;
    version = ReflectVersion::kV1Alpha;
  }
  if (version == ReflectVersion::kV1Alpha && flags.reflect_protocol.empty()) {
    found = co_await reflect(channel, version, symbols, list, options);
  }
  std::vector<std::string> listed = found.services;
  if (list) {
    // Listing: the services' own files tell their methods.
    found = co_await reflect(channel, version, listed, false, options);
  }
  auto schema = std::make_unique<Schema>(found.files);
  schema->set_listed(std::move(listed));
  co_return schema;
}

asio::awaitable<int> run_curl(std::shared_ptr<Channel> channel, const CurlFlags& flags) {
  if (flags.list_services || flags.list_methods) {
    std::vector<std::string> none;
    auto schema = co_await load_schema(*channel, flags, std::move(none));
    for (const auto* s : schema->services()) {
      if (flags.list_services) {
        std::cout << s->full_name() << "\n";
        continue;
      }
      for (int i = 0; i < s->method_count(); ++i) {
        std::cout << s->full_name() << "/" << s->method(i)->name() << "\n";
      }
    }
    co_return 0;
  }
  std::string base, service, method_name;
  split_url(flags.url, base, service, method_name);
  std::vector<std::string> symbols{service};
  auto schema = co_await load_schema(*channel, flags, std::move(symbols));
  const auto& method = schema->method(service, method_name);
  std::vector<std::string> requests;
  for (const auto& d : flags.data) {
    for (auto& v : split_json_values(read_source(d))) requests.push_back(std::move(v));
  }
  if (requests.empty()) requests.push_back("{}");
  if (!method.client_streaming() && requests.size() > 1) {
    throw std::runtime_error("method " + method.full_name() + " takes one request message, got " +
                             std::to_string(requests.size()));
  }
  CallOutcome outcome = co_await run_call(channel, method, flags, std::move(requests));
  if (flags.verbose) {
    std::cerr << "* protocol " << flags.protocol << " over " << outcome.http_version << "\n"
              << timing_lines(outcome) << "\n";
  }
  if (outcome.status.ok()) co_return 0;
  std::cerr << error_json(outcome.status) << std::endl;
  co_return exit_status(outcome.status.code);
}

// The target part of a URL ("https://host:port"); listing needs only that.
std::string base_of(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw std::runtime_error("URL needs http:// or https://");
  auto path = url.find('/', scheme_end + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

int curl(const CurlFlags& flags) {
  asio::io_context io;
  auto channel = Channel::create(io, base_of(flags.url), channel_options(flags));
  int code = 0;
  std::exception_ptr error;
  asio::co_spawn(io, run_curl(channel, flags), [&](std::exception_ptr e, int c) {
    error = e;
    code = c;
    channel->close();
    io.stop();
  });
  io.run();
  if (!error) return code;
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    std::cerr << error_json(e.status()) << std::endl;
    return exit_status(e.status().code);
  }
}

}  // namespace

void add_curl_command(CLI::App& app) {
  auto flags = std::make_shared<CurlFlags>();
  auto* cmd = app.add_subcommand("curl", "call a gRPC, gRPC-Web or Connect method");
  cmd->add_option("url", flags->url, "https://host:port/package.Service/Method");
  // Repeatable options take one value each, so the URL is never swallowed.
  cmd->add_option("-d,--data", flags->data, "request JSON, @FILE, or @- for stdin")
      ->allow_extra_args(false);
  cmd->add_option("-H,--header", flags->headers, "request metadata NAME: VALUE, or @FILE")
      ->allow_extra_args(false);
  cmd->add_option("--protocol", flags->protocol, "connect (default), grpc or grpcweb");
  cmd->add_flag("--http2-prior-knowledge", flags->http2_prior_knowledge,
                "HTTP/2 without TLS negotiation (h2c for http:// URLs)");
  cmd->add_flag("--http3", flags->http3, "HTTP/3 over QUIC");
  cmd->add_flag("--http1.1", flags->http1, "HTTP/1.1");
  cmd->add_option("--schema", flags->schema, ".proto file or folder, or a FileDescriptorSet")
      ->allow_extra_args(false);
  cmd->add_flag("-k,--insecure", flags->insecure, "do not verify the server's certificate");
  cmd->add_option("--cacert", flags->cacert, "CA certificates to verify the server with");
  cmd->add_option("--cert", flags->cert, "client certificate (mTLS)");
  cmd->add_option("--key", flags->key, "client private key (mTLS)");
  cmd->add_option("--servername", flags->servername, "TLS server name (SNI) to ask for");
  cmd->add_option("--connect-timeout", flags->connect_timeout, "seconds to connect");
  cmd->add_option("-m,--timeout", flags->timeout, "seconds for the whole call (the deadline)");
  cmd->add_flag("-v,--verbose", flags->verbose, "say what happens, with timings");
  cmd->add_flag("--emit-defaults", flags->emit_defaults, "print fields with default values");
  cmd->add_flag("--get", flags->get, "Connect: unary side-effect-free calls as GET");
  cmd->add_option("--reflect-protocol", flags->reflect_protocol,
                  "grpc-v1 or grpc-v1alpha (default: v1, then v1alpha)");
  cmd->add_flag("--list-services", flags->list_services, "list the schema's services");
  cmd->add_flag("--list-methods", flags->list_methods, "list the schema's methods");
  cmd->callback([flags] {
    try {
      set_exit_code(curl(*flags));
    } catch (const std::exception& e) {
      std::cerr << "triplex curl: " << e.what() << std::endl;
      set_exit_code(1);
    }
  });
}

}  // namespace triplex::cli
