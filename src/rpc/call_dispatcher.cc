#include "src/rpc/call_dispatcher.h"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "src/log/log.h"
#include "src/net/spawn.h"
#include "src/rpc/server_call.h"

namespace triplex::rpc {
namespace {

asio::awaitable<void> run_call(std::shared_ptr<ServerCall> call, const MethodDefinition* method,
                               const std::vector<std::shared_ptr<Interceptor>>* interceptors) {
  Status status;
  try {
    for (const auto& interceptor : *interceptors) {
      status = co_await interceptor->before(*call);
      if (!status.ok()) break;
    }
    if (status.ok()) status = co_await method->handler(*call);
  } catch (const Error& e) {
    status = e.status();
  } catch (const asio::system_error& e) {
    if (call->is_cancelled()) {
      status = call->cancel_status();
    } else {
      status = Status(Code::kUnknown, e.what());
      TRIPLEX_LOG(LogLevel::kWarn, "handler failed with a system error",
                  {{"method", call->method()}, {"peer", call->peer().address}, {"what", e.what()}});
    }
  } catch (const std::exception& e) {
    status = Status(Code::kUnknown, std::string("handler failed: ") + e.what());
    TRIPLEX_LOG(LogLevel::kWarn, "handler threw",
                {{"method", call->method()}, {"peer", call->peer().address}, {"what", e.what()}});
  } catch (...) {
    status = Status(Code::kUnknown, "handler failed");
    TRIPLEX_LOG(LogLevel::kWarn, "handler threw something that is not a std::exception",
                {{"method", call->method()}, {"peer", call->peer().address}});
  }
  if (call->is_cancelled()) status = call->cancel_status();
  for (const auto& interceptor : *interceptors) interceptor->after(*call, status);
  call->finish(status);
}

std::string_view route_path(std::string_view path) { return path.substr(0, path.find('?')); }

// A request no protocol takes. A POST naming a content type is an RPC in a
// form this server does not speak: 415 with the types it does (Connect's
// rule). Anything else is no RPC at all, so it gets what a web server would
// answer: 404, or 405 for methods nothing here serves. A short body says
// which, and gives HTTP/2 clients a DATA frame to flow-control.
void answer_not_an_rpc(http::Exchange& exchange, const std::string& accept_post) {
  const auto& request = exchange.request();
  http::ResponseHead head;
  std::string body;
  if (request.method == "POST" && request.headers.find("content-type") != nullptr) {
    head.status = 415;
    head.headers.add("accept-post", accept_post);
    body = "unsupported content type\n";
  } else if (request.method == "GET" || request.method == "HEAD" || request.method == "POST") {
    head.status = 404;
    body = "not found\n";
  } else {
    head.status = 405;
    head.headers.add("allow", "GET, HEAD, POST");
    body = "method not allowed\n";
  }
  head.headers.add("content-type", "text/plain; charset=utf-8");
  if (request.method == "HEAD") {
    exchange.respond(std::move(head));
    return;
  }
  exchange.send_head(std::move(head));
  exchange.queue(std::move(body));
  exchange.finish({});
}

}  // namespace

CallDispatcher::CallDispatcher(const Router& router,
                               std::vector<std::unique_ptr<ServerProtocol>> protocols,
                               std::vector<std::shared_ptr<Interceptor>> interceptors,
                               CallLimits limits, CorsPolicy cors, const HttpRoutes* http_routes)
    : router_(router),
      protocols_(std::move(protocols)),
      interceptors_(std::move(interceptors)),
      limits_(limits),
      cors_(std::move(cors)),
      http_routes_(http_routes) {
  for (const auto& protocol : protocols_) {
    for (std::string_view type : protocol->content_types()) {
      if (!accept_post_.empty()) accept_post_ += ", ";
      accept_post_ += type;
    }
  }
}

bool CallDispatcher::serve_http_route(http::Exchange& exchange) {
  if (http_routes_ == nullptr || http_routes_->empty()) return false;
  const auto& request = exchange.request();
  if (request.method != "GET") return false;
  auto route = http_routes_->find(route_path(request.path));
  if (route == http_routes_->end()) return false;
  HttpReply reply = route->second();
  http::ResponseHead head;
  head.status = reply.status;
  head.headers.add("content-type", reply.content_type);
  if (reply.body.empty()) {
    exchange.respond(std::move(head));
    return true;
  }
  head.headers.add("content-length", std::to_string(reply.body.size()));
  exchange.send_head(std::move(head));
  exchange.queue(std::move(reply.body));
  exchange.finish({});
  return true;
}

void CallDispatcher::dispatch(const std::shared_ptr<http::Exchange>& exchange) {
  if (serve_http_route(*exchange)) return;
  if (cors_.handle_preflight(*exchange)) return;
  cors_.decorate(*exchange);
  const ServerProtocol* protocol = nullptr;
  for (const auto& p : protocols_) {
    if (p->accepts(exchange->request())) {
      protocol = p.get();
      break;
    }
  }
  if (protocol == nullptr) {
    answer_not_an_rpc(*exchange, accept_post_);
    return;
  }
  std::string_view path = route_path(exchange->request().path);
  const MethodDefinition* method = router_.find(path);
  // 0-RTT requests may be replays: only side-effect-free methods run from
  // early data; anything else waits until the handshake proves the client.
  if (exchange->is_early_data() && (method == nullptr || !method->no_side_effects)) {
    asio::co_spawn(
        exchange->executor(),
        [this, exchange, protocol]() -> asio::awaitable<void> {
          if (co_await exchange->wait_for_handshake()) start_call(exchange, protocol);
        },
        net::end_on_exception("0-RTT request", [exchange] {
          if (!exchange->is_reset()) exchange->reset(http::ResetReason::kInternal);
        }));
    return;
  }
  start_call(exchange, protocol);
}

void CallDispatcher::start_call(const std::shared_ptr<http::Exchange>& exchange,
                                const ServerProtocol* protocol) {
  std::string_view path = route_path(exchange->request().path);
  const MethodDefinition* method = router_.find(path);
  std::optional<MethodInfo> info;
  if (method != nullptr) info = MethodInfo{method->kind, method->no_side_effects};
  auto transport = protocol->open(exchange, limits_);
  CallStart start;
  Status status = transport->start(info ? &*info : nullptr, start);
  auto call =
      std::make_shared<ServerCall>(std::move(transport), std::string(path), std::move(start));
  if (!status.ok()) {
    call->finish(status);
    return;
  }
  if (method == nullptr) method = router_.fallback();
  if (method == nullptr) {
    call->finish(Status(Code::kUnimplemented, router_.describe_miss(path)));
    return;
  }
  auto executor = exchange->executor();
  call->arm(executor);
  // The call owns the cancellation signal the coroutine is bound to, so it must
  // outlive the coroutine's own teardown: release it from a later turn.
  asio::co_spawn(executor, run_call(call, method, &interceptors_),
                 asio::bind_cancellation_slot(call->cancellation().slot(),
                                              [call, executor](const std::exception_ptr&) mutable {
                                                asio::post(executor, [c = std::move(call)] {});
                                              }));
}

}  // namespace triplex::rpc
