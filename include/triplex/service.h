#pragma once
/// @file
/// Services and methods as the server routes them, and the typed streams that
/// generated code hands to handlers. A generated `Foo::Service` derives from
/// triplex::Service and lists its methods; user code overrides the coroutines.
#include <asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "triplex/server_context.h"
#include "triplex/status.h"

namespace triplex {

using MethodHandler = std::function<asio::awaitable<Status>(ServerContext&)>;

struct MethodDefinition {
  std::string path;  ///< "/package.Service/Method"
  RpcKind kind = RpcKind::kUnary;
  bool no_side_effects = false;  ///< idempotency_level = NO_SIDE_EFFECTS
  MethodHandler handler;
};

class Service {
 public:
  virtual ~Service() = default;
  /// Fully-qualified name, "package.Service".
  virtual std::string_view service_name() const = 0;
  virtual std::vector<MethodDefinition> methods() = 0;
};

template <typename Request>
class ServerReader {
 public:
  explicit ServerReader(ServerContext& context) : context_(context) {}
  /// Fills `message` and returns true, or returns false at the end of the stream.
  asio::awaitable<bool> read(Request& message) { return context_.read_message(message); }

 private:
  ServerContext& context_;
};

template <typename Response>
class ServerWriter {
 public:
  explicit ServerWriter(ServerContext& context) : context_(context) {}
  /// Suspends while the peer is slow to read (flow control).
  asio::awaitable<void> write(const Response& message) { return context_.write_message(message); }

 private:
  ServerContext& context_;
};

template <typename Request, typename Response>
class ServerReaderWriter {
 public:
  explicit ServerReaderWriter(ServerContext& context) : context_(context) {}
  asio::awaitable<bool> read(Request& message) { return context_.read_message(message); }
  asio::awaitable<void> write(const Response& message) { return context_.write_message(message); }

 private:
  ServerContext& context_;
};

namespace detail {

/// Reads the single request of a unary or server-streaming call.
template <typename Request>
asio::awaitable<Request> read_single(ServerContext& context) {
  Request request;
  if (!co_await context.read_message(request)) {
    throw Error(Code::kUnimplemented, "expected one request message, got none");
  }
  Request extra;
  if (co_await context.read_message(extra)) {
    throw Error(Code::kUnimplemented, "expected one request message, got more");
  }
  co_return request;
}

}  // namespace detail

/// Adapters from typed member coroutines to MethodHandler, used by generated code.
template <typename Request, typename Response, typename Fn>
MethodHandler make_unary_handler(Fn fn) {
  return [fn](ServerContext& context) -> asio::awaitable<Status> {
    Request request = co_await detail::read_single<Request>(context);
    Response response;
    Status status = co_await fn(context, request, response);
    if (status.ok()) co_await context.write_message(response);
    co_return status;
  };
}

template <typename Request, typename Response, typename Fn>
MethodHandler make_server_streaming_handler(Fn fn) {
  return [fn](ServerContext& context) -> asio::awaitable<Status> {
    Request request = co_await detail::read_single<Request>(context);
    ServerWriter<Response> writer(context);
    co_return co_await fn(context, request, writer);
  };
}

template <typename Request, typename Response, typename Fn>
MethodHandler make_client_streaming_handler(Fn fn) {
  return [fn](ServerContext& context) -> asio::awaitable<Status> {
    ServerReader<Request> reader(context);
    Response response;
    Status status = co_await fn(context, reader, response);
    if (status.ok()) co_await context.write_message(response);
    co_return status;
  };
}

template <typename Request, typename Response, typename Fn>
MethodHandler make_bidi_streaming_handler(Fn fn) {
  return [fn](ServerContext& context) -> asio::awaitable<Status> {
    ServerReaderWriter<Request, Response> stream(context);
    co_return co_await fn(context, stream);
  };
}

}  // namespace triplex
