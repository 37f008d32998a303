#include "src/gateway/forwarder.h"

#include <asio/error.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <stdexcept>

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

// Requests downstream -> upstream, then half-close; then waits to be
// cancelled, so that the response side decides when the call is over. A
// failure (the caller went away, a bad message) cancels the upstream call
// and ends the pump, keeping the error for the handler.
asio::awaitable<void> pump_requests(ServerContext& context, ClientCall& call,
                                    std::exception_ptr& error) {
  try {
    while (auto message = co_await context.read_raw()) {
      if (!co_await call.write_raw(std::move(*message))) break;
    }
    co_await call.writes_done();
  } catch (const std::system_error& e) {
    // Cancelled: by the response side finishing first (the upstream's answer
    // stands), or with the whole call (the dispatcher knows why).
    if (e.code() != asio::error::operation_aborted) error = std::current_exception();
    call.cancel();
    co_return;
  } catch (...) {
    error = std::current_exception();
    call.cancel();
    co_return;
  }
  asio::steady_timer forever(co_await asio::this_coro::executor,
                             asio::steady_timer::time_point::max());
  co_await forever.async_wait(asio::use_awaitable);
}

// Responses upstream -> downstream, headers before the first.
asio::awaitable<void> pump_responses(ServerContext& context, ClientCall& call,
                                     std::exception_ptr& error) {
  try {
    bool first = true;
    while (auto message = co_await call.read_raw()) {
      if (first) {
        for (const auto& [key, value] : end_to_end(call.response_headers())) {
          context.response_headers().add(key, value);
        }
        first = false;
      }
      co_await context.write_raw(*message);
    }
  } catch (const std::system_error& e) {
    if (e.code() != asio::error::operation_aborted) error = std::current_exception();
    call.cancel();
  } catch (...) {
    error = std::current_exception();
    call.cancel();
  }
}

}  // namespace

Upstream parse_upstream(const std::string& spec, bool insecure) {
  auto scheme_end = spec.find("://");
  if (scheme_end == std::string::npos) {
    throw std::invalid_argument("upstream must be h2c://, h2:// or h3://HOST:PORT: " + spec);
  }
  std::string scheme = spec.substr(0, scheme_end);
  std::string rest = spec.substr(scheme_end + 3);
  Upstream upstream;
  upstream.options.protocol = RpcProtocol::kGrpc;
  upstream.options.tls.insecure = insecure;
  upstream.options.follow_alt_svc = false;
  upstream.options.max_receive_message_size = 64 * 1024 * 1024;
  upstream.options.user_agent = "triplex-proxy";
  if (scheme == "h2c") {
    upstream.url = "http://" + rest;
    upstream.options.http_version = HttpVersion::kHttp2;
  } else if (scheme == "h2") {
    upstream.url = "https://" + rest;
    upstream.options.http_version = HttpVersion::kHttp2;
  } else if (scheme == "h3") {
    upstream.url = "https://" + rest;
    upstream.options.http_version = HttpVersion::kHttp3;
  } else {
    throw std::invalid_argument("upstream must be h2c://, h2:// or h3://HOST:PORT: " + spec);
  }
  return upstream;
}

MethodHandler Forwarder::handler() {
  return [self = shared_from_this()](ServerContext& context) { return self->forward(context); };
}

std::shared_ptr<Channel> Forwarder::channel_for(asio::io_context& io) {
  std::lock_guard lock(mutex_);
  auto& channel = channels_[&io];
  if (!channel) channel = Channel::create(io, upstream_.url, upstream_.options);
  return channel;
}

asio::awaitable<Status> Forwarder::forward(ServerContext& context) {
  if (context.codec() != "proto") {
    co_return Status(
        Code::kUnimplemented,
        "the gateway forwards binary (proto) messages; JSON needs the method's schema");
  }
  auto executor = co_await asio::this_coro::executor;
  auto& io = asio::query(executor, asio::execution::context);
  auto channel = channel_for(static_cast<asio::io_context&>(io));
  CallOptions options;
  options.metadata = end_to_end(context.request_metadata());
  if (auto deadline = context.deadline()) {
    // What is left of the caller's deadline, rounded up to whole milliseconds.
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(*deadline - ServerContext::Clock::now());
    options.timeout = std::max(left, std::chrono::milliseconds(1));
  }
  ClientMethod method{std::string(context.method()), RpcKind::kBidiStreaming, false};
  auto call = channel->call(std::move(method), std::move(options));
  std::exception_ptr request_error;
  std::exception_ptr response_error;
  co_await (pump_requests(context, *call, request_error) ||
            pump_responses(context, *call, response_error));
  if (request_error) std::rethrow_exception(request_error);
  if (response_error) std::rethrow_exception(response_error);
  Status status = co_await call->finish();
  for (const auto& [key, value] : end_to_end(call->response_trailers())) {
    context.response_trailers().add(key, value);
  }
  co_return status;
}

}  // namespace triplex::gateway
