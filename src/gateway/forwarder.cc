#include "src/gateway/forwarder.h"

#include <asio/error.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>

#include "src/services/reflection_client.h"
#include "triplex/log.h"

namespace triplex::gateway {
namespace {

using namespace asio::experimental::awaitable_operators;

// Hop-by-hop and per-connection fields never travel on (RFC 9110 7.6.1).
bool is_hop_by_hop(const std::string& key) {
  return key == "connection" || key == "keep-alive" || key == "proxy-connection" ||
         key == "transfer-encoding" || key == "upgrade" || key == "te" || key == "host";
}

Metadata end_to_end(const Metadata& in) {
  Metadata out;
  for (const auto& [key, value] : in) {
    if (!is_hop_by_hop(key)) out.add(key, value);
  }
  return out;
}

// How messages change on the way: nothing (binary both sides), or JSON
// downstream <-> binary upstream with the method's types.
struct Transcoding {
  const Schemas* schemas = nullptr;
  const google::protobuf::MethodDescriptor* method = nullptr;

  std::string request(std::string message) const {
    if (method == nullptr) return message;
    return schemas->json_to_binary(*method->input_type(), message);
  }
  std::string response(std::string message) const {
    if (method == nullptr) return message;
    return schemas->binary_to_json(*method->output_type(), message);
  }
};

void check_size(std::size_t size, std::optional<std::size_t> limit, const char* which) {
  if (limit && size > *limit) {
    throw Error(Code::kResourceExhausted,
                std::string(which) + " message of " + std::to_string(size) +
                    " bytes exceeds the route's limit of " + std::to_string(*limit) + " bytes");
  }
}

// Requests downstream -> upstream, then half-close. False when it failed
// (the caller went away, a bad message): the upstream call is then cancelled
// and the error kept for the handler.
asio::awaitable<bool> send_requests(ProxyContext& context, ClientCall& call, const Route& route,
                                    const Transcoding& transcoding, Traffic& traffic,
                                    std::exception_ptr& error) {
  try {
    while (auto message = co_await context.read_raw()) {
      check_size(message->size(), route.config.max_message_bytes, "request");
      ++traffic.request_messages;
      traffic.request_bytes += message->size();
      std::string upstream = transcoding.request(std::move(*message));
      if (!co_await call.write_raw(std::move(upstream))) break;
    }
    co_await call.writes_done();
    co_return true;
  } catch (const std::system_error& e) {
    // Cancelled: by the response side finishing first (the upstream's answer
    // stands), or with the whole call (the dispatcher knows why).
    if (e.code() != asio::error::operation_aborted) error = std::current_exception();
  } catch (...) {
    error = std::current_exception();
  }
  call.cancel();
  co_return false;
}

// send_requests, then waits to be cancelled, so that the response side
// decides when the call is over.
asio::awaitable<void> pump_requests(ProxyContext& context, ClientCall& call, const Route& route,
                                    const Transcoding& transcoding, Traffic& traffic,
                                    std::exception_ptr& error) {
  if (!co_await send_requests(context, call, route, transcoding, traffic, error)) co_return;
  asio::steady_timer forever(co_await asio::this_coro::executor,
                             asio::steady_timer::time_point::max());
  // Ends by cancellation: an error code, not an exception (one per call
  // would cost a tenth of the gateway's CPU).
  asio::error_code cancelled;
  co_await forever.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
}

void copy_headers(ClientCall& call, ServerContext& context) {
  for (const auto& [key, value] : end_to_end(call.response_headers())) {
    context.response_headers().add(key, value);
  }
}

// Responses upstream -> downstream, headers before the first.
asio::awaitable<void> pump_responses(ProxyContext& context, ClientCall& call, const Route& route,
                                     const Transcoding& transcoding, Traffic& traffic,
                                     std::exception_ptr& error) {
  try {
    bool first = true;
    while (auto message = co_await call.read_raw()) {
      if (first) copy_headers(call, context);
      first = false;
      check_size(message->size(), route.config.max_message_bytes, "response");
      std::string downstream = transcoding.response(std::move(*message));
      co_await context.write_raw(downstream);
      ++traffic.response_messages;
      traffic.response_bytes += downstream.size();
    }
    // An answer with no message (an error after headers) still has headers.
    if (first) copy_headers(call, context);
  } catch (const std::system_error& e) {
    if (e.code() != asio::error::operation_aborted) error = std::current_exception();
    call.cancel();
  } catch (...) {
    error = std::current_exception();
    call.cancel();
  }
}

// The upstream's timeout: what is left of the caller's deadline, capped by
// the route's and the cluster's, in whole milliseconds rounded up.
std::optional<std::chrono::milliseconds> upstream_timeout(const ProxyContext& context,
                                                          const Route& route) {
  std::optional<std::chrono::milliseconds> timeout;
  if (auto deadline = context.deadline()) {
    timeout = std::max(
        std::chrono::ceil<std::chrono::milliseconds>(*deadline - ServerContext::Clock::now()),
        std::chrono::milliseconds(1));
  }
  for (const auto& cap : {route.config.timeout, route.cluster->config().request_timeout}) {
    if (cap && cap->count() > 0 && (!timeout || *cap < *timeout)) timeout = *cap;
  }
  return timeout;
}

RpcProtocol upstream_protocol(UpstreamProtocol configured, RpcProtocol downstream) {
  switch (configured) {
    case UpstreamProtocol::kGrpc:
      return RpcProtocol::kGrpc;
    case UpstreamProtocol::kGrpcWeb:
      return RpcProtocol::kGrpcWeb;
    case UpstreamProtocol::kConnect:
      return RpcProtocol::kConnect;
    case UpstreamProtocol::kPassThrough:
      break;
  }
  return downstream;
}

// The method's kind from its schema, else from the caller's framing (Connect
// tells unary from streaming), else bidi, which carries any kind over gRPC.
RpcKind upstream_kind(const ProxyContext& context,
                      const google::protobuf::MethodDescriptor* schema) {
  if (schema != nullptr) {
    if (schema->client_streaming()) {
      return schema->server_streaming() ? RpcKind::kBidiStreaming : RpcKind::kClientStreaming;
    }
    return schema->server_streaming() ? RpcKind::kServerStreaming : RpcKind::kUnary;
  }
  return context.framing_kind().value_or(RpcKind::kBidiStreaming);
}

// The status a call that threw ends with, as the dispatcher will answer it.
Status status_of(const std::exception_ptr& error, const ServerContext& context) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.status();
  } catch (const std::exception& e) {
    if (context.is_cancelled()) {
      bool expired = context.deadline() && *context.deadline() <= ServerContext::Clock::now();
      return expired ? Status(Code::kDeadlineExceeded, "deadline exceeded")
                     : Status(Code::kCancelled, "cancelled");
    }
    return Status(Code::kUnknown, std::string("handler failed: ") + e.what());
  }
}

// "1.1", "2", "3": as Envoy's access log says %PROTOCOL% without the prefix.
std::string_view short_version(HttpVersion version) {
  std::string_view name = http_version_name(version);
  if (name.starts_with("HTTP/")) name.remove_prefix(5);
  return name;
}

}  // namespace

Forwarder::Forwarder(const GatewayConfig& config, std::shared_ptr<GatewayStats> stats,
                     std::shared_ptr<AccessLog> access_log)
    : stats_(std::move(stats)), access_log_(std::move(access_log)) {
  for (const auto& path : config.descriptors) schemas_.add_descriptor_set_file(path);
  for (const auto& c : config.clusters) clusters_.push_back(std::make_shared<Cluster>(c));
  for (const auto& r : config.routes) {
    for (const auto& c : clusters_) {
      if (c->name() == r.cluster) routes_.push_back(Route{r, c});
    }
  }
}

const Route* Forwarder::route_for(std::string_view method) const {
  for (const auto& route : routes_) {
    if (method.starts_with(route.config.prefix)) return &route;
  }
  return nullptr;
}

ProxyHandler Forwarder::handler(std::string listener) {
  return [self = shared_from_this(), listener = std::move(listener)](ProxyContext& context) {
    return self->forward(context, listener);
  };
}

asio::awaitable<const google::protobuf::MethodDescriptor*> Forwarder::schema_for(
    std::string_view method, const Route& route, Channel& channel, std::string& why) {
  if (const auto* found = schemas_.find_method(method)) co_return found;
  why = "no schema for " + std::string(method) +
        " to transcode JSON: add its FileDescriptorSet to `descriptors`";
  if (!route.cluster->config().reflection) {
    why += " or set `reflection: true` on cluster " + route.cluster->name();
    co_return nullptr;
  }
  std::string service(method.substr(1, method.rfind('/') - 1));
  CallOptions options;
  options.timeout = std::chrono::seconds(5);
  std::vector<std::string> symbols{service};
  for (auto version : {ReflectVersion::kV1, ReflectVersion::kV1Alpha}) {
    try {
      auto found = co_await reflect(channel, version, symbols, false, options);
      schemas_.add_files(found.files);
      break;
    } catch (const Error& e) {
      why += " (the upstream's reflection failed: " + e.status().message + ")";
      if (e.status().code != Code::kUnimplemented) break;
    }
  }
  co_return schemas_.find_method(method);
}

asio::awaitable<Status> Forwarder::forward_call(ProxyContext& context, const Route& route,
                                                Traffic& traffic) {
  auto executor = co_await asio::this_coro::executor;
  auto& io = static_cast<asio::io_context&>(asio::query(executor, asio::execution::context));
  Endpoint& endpoint = route.cluster->pick();
  Endpoint::CallScope counted(endpoint);
  const auto& cluster = route.cluster->config();
  bool passthrough = cluster.protocol == UpstreamProtocol::kPassThrough;
  bool json = context.codec() == Codec::kJson;
  RpcProtocol protocol = upstream_protocol(cluster.protocol, context.protocol());
  // Pass-through keeps the caller's codec; otherwise the upstream gets binary.
  // Compressed in, compressed out, with the same algorithm (large messages;
  // small ones go plain either way).
  auto channel =
      endpoint.channel_for(io, protocol, passthrough && json, context.request_encoding());
  Transcoding transcoding;
  if (json && !passthrough) {
    std::string why;
    transcoding.schemas = &schemas_;
    transcoding.method = co_await schema_for(context.method(), route, *channel, why);
    if (transcoding.method == nullptr) co_return Status(Code::kUnimplemented, why);
  }
  CallOptions options;
  options.metadata = end_to_end(context.request_metadata());
  options.timeout = upstream_timeout(context, route);
  ClientMethod method{std::string(context.method()), RpcKind::kBidiStreaming, false};
  // Some protocols frame unary calls differently from streams: the kind must be right.
  if (framing_depends_on_kind(protocol)) {
    const auto* schema = transcoding.method;
    if (schema == nullptr) schema = schemas_.find_method(context.method());
    method.kind = upstream_kind(context, schema);
  }
  RpcKind method_kind = method.kind;
  auto call = channel->call(std::move(method), std::move(options));
  std::exception_ptr request_error;
  std::exception_ptr response_error;
  if (method_kind == RpcKind::kUnary || method_kind == RpcKind::kServerStreaming) {
    // One request: sent whole before the answer is read (Connect's unary form
    // has no answer to read before its request is complete).
    if (co_await send_requests(context, *call, route, transcoding, traffic, request_error)) {
      co_await pump_responses(context, *call, route, transcoding, traffic, response_error);
    }
  } else {
    co_await (pump_requests(context, *call, route, transcoding, traffic, request_error) ||
              pump_responses(context, *call, route, transcoding, traffic, response_error));
  }
  if (request_error) std::rethrow_exception(request_error);
  if (response_error) std::rethrow_exception(response_error);
  Status status = co_await call->finish();
  for (const auto& [key, value] : end_to_end(call->response_trailers())) {
    context.response_trailers().add(key, value);
  }
  co_return status;
}

asio::awaitable<Status> Forwarder::forward(ProxyContext& context, std::string listener) {
  auto started = ServerContext::Clock::now();
  auto started_wall = std::chrono::system_clock::now();
  const Route* route = route_for(context.method());
  Traffic traffic;
  Status status;
  std::exception_ptr error;
  if (route == nullptr) {
    status = Status(Code::kUnimplemented,
                    "the gateway has no route for " + std::string(context.method()));
  } else {
    try {
      status = co_await forward_call(context, *route, traffic);
    } catch (...) {
      error = std::current_exception();
      status = status_of(error, context);
    }
  }
  // Codes that say the upstream (or the way to it) is broken, not the caller.
  bool upstream_broken = status.code == Code::kUnavailable || status.code == Code::kInternal ||
                         status.code == Code::kUnknown;
  if (route != nullptr && upstream_broken && log_enabled(LogLevel::kWarn)) {
    log_message(LogLevel::kWarn, "upstream call failed",
                {{"cluster", route->cluster->name()},
                 {"method", context.method()},
                 {"code", code_name(status.code)},
                 {"message", status.message}});
  }
  CallRecord record;
  record.listener = listener;
  record.http_version = short_version(context.http_version());
  record.protocol = protocol_name(context.protocol());
  record.method = context.method();
  record.cluster = route != nullptr ? std::string_view(route->cluster->name()) : "";
  record.peer = context.peer().address;
  record.code = status.code;
  record.message = status.message;
  record.request_messages = traffic.request_messages;
  record.response_messages = traffic.response_messages;
  record.request_bytes = traffic.request_bytes;
  record.response_bytes = traffic.response_bytes;
  record.duration = ServerContext::Clock::now() - started;
  record.start = started_wall;
  if (stats_) {
    // A method nobody serves (no route, no schema or no upstream knows it:
    // UNIMPLEMENTED before any response message) is counted under one label,
    // as grpc-go counts unregistered methods, so junk paths add no series.
    // UNIMPLEMENTED after a message (the HTTP/1.1 bridge meeting a stream)
    // concerns a real method. The access log keeps the path either way.
    CallRecord counted = record;
    if (status.code == Code::kUnimplemented && traffic.response_messages == 0) {
      counted.method = GatewayStats::kOtherMethod;
    }
    stats_->record(counted);
  }
  if (access_log_) access_log_->write(record);
  // Rethrown so the dispatcher answers exactly as it would have.
  if (error) std::rethrow_exception(error);
  co_return status;
}

}  // namespace triplex::gateway
