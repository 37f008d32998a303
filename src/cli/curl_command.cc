// `triplex curl`: calls an RPC from the shell, as `buf curl` does (its flags
// where they overlap), over HTTP/1.1, HTTP/2 or HTTP/3. Requests are JSON
// (-d), responses are printed as JSON, one per message.
//
// Errors, as buf curl reports them: a status that came from the server is
// printed as {"code","message","details"} on stderr and the exit status is
// the code times 8; a failure on our side (a flag, a file, the URL, a
// connection that never got an answer) is one "Failure: ..." line and exit
// status 1. A deadline that passes is DEADLINE_EXCEEDED either way.
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
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
  std::string connect_timeout;  // seconds, checked by seconds_flag()
  std::string timeout;
  bool verbose = false;
  bool emit_defaults = false;
  bool get = false;
  bool list_services = false;
  bool list_methods = false;
  std::string reflect_protocol;  // grpc-v1, grpc-v1alpha; empty: v1, then v1alpha
};

// buf curl's exit status for an RPC error.
int exit_status(Code code) { return static_cast<int>(code) * 8; }
// ... and for anything else that went wrong ("Failure: ...").
constexpr int kLocalFailure = 1;

// Thrown for a failure on our side; printed as "Failure: <what>".
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The reason a file cannot be opened, for messages ("No such file or directory").
std::string open_problem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (in) return "";
  std::string why = std::strerror(errno);
  return why.empty() ? "cannot be read" : why;
}

std::string read_source(const std::string& spec) {
  if (spec == "@-") {
    std::ostringstream out;
    out << std::cin.rdbuf();
    return out.str();
  }
  if (spec.starts_with("@")) {
    std::string path = spec.substr(1);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  return spec;
}

// A Channel that notes whether the server answered the last call made on
// it: a call that failed before any response arrived (a refused connection,
// a CA file that would not load) failed here, not at the server. Calls run
// one after another, as `triplex curl` makes them.
class WatchedChannel final : public Channel {
 public:
  explicit WatchedChannel(std::shared_ptr<Channel> inner) : inner_(std::move(inner)) {}

  std::unique_ptr<ClientCall> call(ClientMethod method, CallOptions options) override {
    answered_ = false;
    return std::make_unique<Call>(inner_->call(std::move(method), std::move(options)), answered_);
  }
  void close() override { inner_->close(); }
  const std::optional<RetryPolicy>& retry_policy() const override { return inner_->retry_policy(); }
  bool last_call_answered() const { return answered_; }

 private:
  class Call final : public ClientCall {
   public:
    Call(std::unique_ptr<ClientCall> inner, bool& answered)
        : inner_(std::move(inner)), answered_(answered) {}
    asio::awaitable<bool> write(const google::protobuf::Message& request) override {
      co_return co_await inner_->write(request);
    }
    asio::awaitable<void> writes_done() override { co_await inner_->writes_done(); }
    asio::awaitable<bool> read(google::protobuf::Message& response) override {
      bool got = co_await inner_->read(response);
      note();
      co_return got;
    }
    asio::awaitable<bool> write_raw(std::string payload) override {
      co_return co_await inner_->write_raw(std::move(payload));
    }
    asio::awaitable<std::optional<std::string>> read_raw() override {
      auto got = co_await inner_->read_raw();
      note();
      co_return got;
    }
    asio::awaitable<Status> finish() override {
      Status status = co_await inner_->finish();
      note();
      co_return status;
    }
    const Metadata& response_headers() const override { return inner_->response_headers(); }
    const Metadata& response_trailers() const override { return inner_->response_trailers(); }
    void cancel() override { inner_->cancel(); }
    bool sent_as_early_data() const override { return inner_->sent_as_early_data(); }
    HttpVersion http_version() const override { return inner_->http_version(); }
    CallTimings timings() const override { return inner_->timings(); }

   private:
    // A response head (headers, or a Trailers-Only answer) is the server speaking.
    void note() {
      if (!inner_->response_headers().empty() || inner_->timings().first_byte) answered_ = true;
    }
    std::unique_ptr<ClientCall> inner_;
    bool& answered_;
  };

  std::shared_ptr<Channel> inner_;
  bool answered_ = false;
};

// Prints a failed call's status; returns the exit status. A status the
// server never sent (nothing came back) is a local failure, except a
// deadline or a cancellation, which are the call's own outcome.
int report(const Status& status, bool answered) {
  bool call_outcome = status.code == Code::kDeadlineExceeded || status.code == Code::kCancelled;
  if (!answered && !call_outcome) {
    std::cerr << "Failure: " << status.message << std::endl;
    return kLocalFailure;
  }
  std::cerr << error_json(status) << std::endl;
  return exit_status(status.code);
}

// What the flags ask for, checked and read before anything is sent: a bad
// flag, URL or file is reported as such even when the server is down.
struct CurlPlan {
  std::string base;             // "https://host:port"
  std::string service, method;  // from the URL's path; empty when listing
  ChannelOptions options;
  CallOptions call;                   // metadata (-H) and deadline (-m)
  std::vector<std::string> requests;  // JSON values from -d
};

// "https://host:port/pkg.Service/Method" -> base URL, service, method.
void split_url(const std::string& url, bool listing, CurlPlan& plan) {
  if (url.empty()) throw Failure("no URL: give https://host:port/package.Service/Method");
  auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw Failure("invalid URL \"" + url + "\": scheme \"" + scheme +
                  "\" is not supported (http:// or https://)");
  }
  auto path = url.find('/', scheme_end + 3);
  plan.base = path == std::string::npos ? url : url.substr(0, path);
  if (listing) return;
  if (path == std::string::npos) throw Failure("URL has no /package.Service/Method: " + url);
  std::string rest = url.substr(path + 1);
  auto slash = rest.rfind('/');
  // A prefix before the service (a route on a gateway) is not supported.
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.substr(0, slash).find('/') != std::string::npos) {
    throw Failure("URL path must be /package.Service/Method: " + url);
  }
  plan.service = rest.substr(0, slash);
  plan.method = rest.substr(slash + 1);
}

// --connect-timeout, --timeout: positive seconds (fractions allowed).
std::optional<std::chrono::milliseconds> seconds_flag(const char* name, const std::string& value) {
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  std::size_t used = 0;
  try {
    seconds = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || !std::isfinite(seconds) || seconds <= 0) {
    throw Failure(std::string(name) + " must be a positive number of seconds, not \"" + value +
                  "\"");
  }
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
}

// "--a", "--a and --b", "--a, --b and --c".
std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
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
      if (colon == std::string::npos) throw Failure("header needs NAME: VALUE: " + line);
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      md.add(name, value);
    }
  }
  return md;
}

// Checks the flags against each other and reads the files they name.
CurlPlan plan_curl(const CurlFlags& f) {
  CurlPlan plan;
  ChannelOptions& o = plan.options;
  auto protocol = parse_protocol_name(f.protocol);
  if (!protocol) {
    throw Failure("--protocol must be connect, grpc or grpcweb (also spelt grpc-web), not \"" +
                  f.protocol + "\"");
  }
  o.protocol = *protocol;
  // One HTTP version at most: contradictory choices are refused, not resolved.
  std::vector<std::string> versions;
  if (f.http1) versions.push_back("--http1.1");
  if (f.http2_prior_knowledge) versions.push_back("--http2-prior-knowledge");
  if (f.http3) versions.push_back("--http3");
  if (versions.size() > 1) {
    throw Failure(join_names(versions) + " cannot be used together: choose one HTTP version");
  }
  if (f.http3) {
    o.http_version = HttpVersion::kHttp3;
  } else if (f.http1) {
    o.http_version = HttpVersion::kHttp1;
  } else if (f.http2_prior_knowledge) {
    o.http_version = HttpVersion::kHttp2;
  }
  if (!f.reflect_protocol.empty()) {
    if (f.reflect_protocol != "grpc-v1" && f.reflect_protocol != "grpc-v1alpha") {
      throw Failure("--reflect-protocol must be grpc-v1 or grpc-v1alpha, not \"" +
                    f.reflect_protocol + "\"");
    }
    if (!f.schema.empty()) {
      throw Failure("--reflect-protocol cannot be used with --schema (no reflection then)");
    }
  }
  if (auto connect = seconds_flag("--connect-timeout", f.connect_timeout)) {
    o.connect_timeout = *connect;
  }
  plan.call.timeout = seconds_flag("--timeout", f.timeout);
  split_url(f.url, f.list_services || f.list_methods, plan);
  if (f.http3 && plan.base.starts_with("http://")) {
    throw Failure("--http3 cannot be used with plain-text URLs (http)");
  }
  for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--cacert", f.cacert},
                                   {"--cert", f.cert},
                                   {"--key", f.key}}) {
    if (path.empty()) continue;
    std::string why = open_problem(path);
    // NOLINTNEXTLINE(performance-inefficient-string-concatenation): thrown once, not looped
    if (!why.empty()) throw Failure("cannot read " + std::string(flag) + " " + path + ": " + why);
  }
  if (f.cert.empty() != f.key.empty()) {
    throw Failure("--cert and --key go together (a client certificate needs its key)");
  }
  o.tls.insecure = f.insecure;
  o.tls.ca_file = f.cacert;
  o.tls.cert_file = f.cert;
  o.tls.key_file = f.key;
  o.tls.server_name = f.servername;
  o.connect_get = f.get;
  o.max_receive_message_size = 64 * 1024 * 1024;  // a person asked for this response
  o.user_agent = std::string("triplex-curl/") + kVersion;
  // One call per run: the HTTP version is the one the flags ask for, as with
  // buf curl, not an Alt-Svc upgrade between the reflection call and this.
  o.follow_alt_svc = false;
  plan.call.metadata = request_metadata(f.headers);
  if (!f.list_services && !f.list_methods) {
    for (const auto& d : f.data) {
      std::vector<std::string> values;
      try {
        values = split_json_values(read_source(d));
      } catch (const std::invalid_argument& e) {
        throw Failure(std::string("-d: ") + e.what());
      }
      for (auto& v : values) plan.requests.push_back(std::move(v));
    }
    if (plan.requests.empty()) plan.requests.push_back("{}");
  }
  return plan;
}

struct CallOutcome {
  Status status;
  HttpVersion http_version = HttpVersion::kAuto;
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
    add(outcome.http_version == HttpVersion::kHttp3 ? "QUIC handshake" : "TLS handshake",
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

asio::awaitable<CallOutcome> run_call(WatchedChannel& channel,
                                      const google::protobuf::MethodDescriptor& method,
                                      const CurlFlags& flags, const CurlPlan& plan) {
  google::protobuf::DynamicMessageFactory factory(method.file()->pool());
  // Every request is checked before the call starts: a typo is ours, not the server's.
  std::vector<std::unique_ptr<google::protobuf::Message>> requests;
  for (const auto& json : plan.requests) {
    auto& request = requests.emplace_back(factory.GetPrototype(method.input_type())->New());
    auto parsed = google::protobuf::util::JsonStringToMessage(json, request.get());
    if (!parsed.ok()) {
      throw Failure("request is not a valid " + method.input_type()->full_name() + ": " +
                    std::string(parsed.message()));
    }
  }
  ClientMethod m;
  m.path = "/" + method.service()->full_name() + "/" + method.name();
  m.kind = method.client_streaming()
               ? (method.server_streaming() ? RpcKind::kBidiStreaming : RpcKind::kClientStreaming)
               : (method.server_streaming() ? RpcKind::kServerStreaming : RpcKind::kUnary);
  m.no_side_effects =
      method.options().idempotency_level() == google::protobuf::MethodOptions::NO_SIDE_EFFECTS;
  CallOutcome outcome;
  auto started = Clock::now();
  auto call = channel.call(m, plan.call);
  for (const auto& request : requests) {
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
asio::awaitable<std::unique_ptr<Schema>> load_schema(WatchedChannel& channel,
                                                     const CurlFlags& flags, const CurlPlan& plan,
                                                     std::vector<std::string> symbols) {
  if (!flags.schema.empty()) co_return std::make_unique<Schema>(flags.schema);
  bool list = symbols.empty();
  ReflectVersion version =
      flags.reflect_protocol == "grpc-v1alpha" ? ReflectVersion::kV1Alpha : ReflectVersion::kV1;
  Reflection found;
  try {
    try {
      found = co_await reflect(channel, version, symbols, list, plan.call);
    } catch (const Error& e) {
      // Older servers have only v1alpha.
      if (!flags.reflect_protocol.empty() || e.status().code != Code::kUnimplemented) throw;
      version = ReflectVersion::kV1Alpha;
    }
    if (version == ReflectVersion::kV1Alpha && flags.reflect_protocol.empty()) {
      found = co_await reflect(channel, version, symbols, list, plan.call);
    }
  } catch (const Error& e) {
    // The server answered, but the schema is not to be had from it: the
    // method was never called, so these are not its status (as buf curl).
    if (!channel.last_call_answered()) throw;
    if (e.status().code == Code::kUnimplemented) {
      throw Failure("the server does not support reflection (" + e.status().message +
                    "); pass --schema with the .proto files or a FileDescriptorSet");
    }
    if (e.status().code == Code::kNotFound && !list) {
      throw Failure("cannot get the schema of service \"" + symbols.front() + "\" (" +
                    e.status().message + ")");
    }
    throw;
  }
  std::vector<std::string> listed = found.services;
  if (list) {
    // Listing: the services' own files tell their methods.
    found = co_await reflect(channel, version, listed, false, plan.call);
  }
  auto schema = std::make_unique<Schema>(found.files);
  schema->set_listed(std::move(listed));
  co_return schema;
}

asio::awaitable<int> run_curl(std::shared_ptr<WatchedChannel> channel, const CurlFlags& flags,
                              const CurlPlan& plan) {
  if (flags.list_services || flags.list_methods) {
    std::vector<std::string> none;
    auto schema = co_await load_schema(*channel, flags, plan, std::move(none));
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
  std::vector<std::string> symbols{plan.service};
  auto schema = co_await load_schema(*channel, flags, plan, std::move(symbols));
  const auto& method = schema->method(plan.service, plan.method);
  if (!method.client_streaming() && plan.requests.size() > 1) {
    throw Failure("method " + method.full_name() + " takes one request message, got " +
                  std::to_string(plan.requests.size()));
  }
  CallOutcome outcome = co_await run_call(*channel, method, flags, plan);
  if (flags.verbose) {
    std::cerr << "* protocol " << flags.protocol << " over "
              << http_version_name(outcome.http_version) << "\n"
              << timing_lines(outcome) << "\n";
  }
  if (outcome.status.ok()) co_return 0;
  co_return report(outcome.status, channel->last_call_answered());
}

int curl(const CurlFlags& flags) {
  CurlPlan plan = plan_curl(flags);
  asio::io_context io;
  std::shared_ptr<WatchedChannel> channel;
  try {
    channel = std::make_shared<WatchedChannel>(Channel::create(io, plan.base, plan.options));
  } catch (const std::invalid_argument& e) {
    throw Failure(e.what());
  }
  int code = 0;
  std::exception_ptr error;
  asio::co_spawn(io, run_curl(channel, flags, plan), [&](std::exception_ptr e, int c) {
    error = std::move(e);
    code = c;
    channel->close();
    io.stop();
  });
  io.run();
  if (!error) return code;
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return report(e.status(), channel->last_call_answered());
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
  cmd->add_option("--protocol", flags->protocol,
                  "connect (default), grpc, or grpcweb (also spelt grpc-web)");
  cmd->add_flag("--http2-prior-knowledge", flags->http2_prior_knowledge,
                "HTTP/2 without TLS negotiation (h2c for http:// URLs); one HTTP version flag "
                "at most");
  cmd->add_flag("--http3", flags->http3, "HTTP/3 over QUIC (https:// URLs)");
  cmd->add_flag("--http1.1", flags->http1, "HTTP/1.1");
  cmd->add_option("--schema", flags->schema, ".proto file or folder, or a FileDescriptorSet")
      ->allow_extra_args(false);
  cmd->add_flag("-k,--insecure", flags->insecure, "do not verify the server's certificate");
  cmd->add_option("--cacert", flags->cacert, "CA certificates to verify the server with");
  cmd->add_option("--cert", flags->cert, "client certificate (mTLS)");
  cmd->add_option("--key", flags->key, "client private key (mTLS)");
  cmd->add_option("--servername", flags->servername, "TLS server name (SNI) to ask for");
  cmd->add_option("--connect-timeout", flags->connect_timeout, "seconds to connect")
      ->type_name("SECONDS");
  cmd->add_option("-m,--timeout", flags->timeout, "seconds for the whole call (the deadline)")
      ->type_name("SECONDS");
  cmd->add_flag("-v,--verbose", flags->verbose, "say what happens, with timings");
  cmd->add_flag("--emit-defaults", flags->emit_defaults, "print fields with default values");
  cmd->add_flag("--get", flags->get, "Connect: unary side-effect-free calls as GET");
  cmd->add_option("--reflect-protocol", flags->reflect_protocol,
                  "grpc-v1 or grpc-v1alpha (default: v1, then v1alpha); not with --schema");
  cmd->add_flag("--list-services", flags->list_services, "list the schema's services");
  cmd->add_flag("--list-methods", flags->list_methods, "list the schema's methods");
  cmd->footer(
      "Exit status, as buf curl's: 0 when the call succeeded; the code times 8 for an error\n"
      "status from the server (or an expired --timeout); 1 for a failure here, printed as\n"
      "\"Failure: ...\": a bad flag value, contradictory flags (such as two HTTP versions), an\n"
      "unreadable file, a bad URL, a connection that got no answer, a server without\n"
      "reflection when no --schema is given. 2 for a command line that cannot be parsed (an\n"
      "unknown flag, a flag without its value).");
  cmd->callback([flags] {
    try {
      set_exit_code(curl(*flags));
    } catch (const std::exception& e) {
      std::cerr << "Failure: " << e.what() << std::endl;
      set_exit_code(kLocalFailure);
    }
  });
}

}  // namespace triplex::cli
