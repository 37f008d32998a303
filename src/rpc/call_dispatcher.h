#pragma once
// Turns each incoming Exchange into a call: answers CORS preflights, picks
// the protocol by content-type (HTTP 415 when none claims it), routes the
// path, and runs the handler coroutine with interceptors, deadline and
// cancellation.
#include <memory>
#include <vector>

#include "src/http/exchange.h"
#include "src/rpc/cors.h"
#include "src/rpc/protocol.h"
#include "src/rpc/router.h"
#include "triplex/server.h"

namespace triplex::rpc {

class CallDispatcher {
 public:
  CallDispatcher(const Router& router, std::vector<std::unique_ptr<ServerProtocol>> protocols,
                 std::vector<std::shared_ptr<Interceptor>> interceptors, CallLimits limits,
                 CorsPolicy cors);

  void dispatch(std::shared_ptr<http::Exchange> exchange);

 private:
  void start_call(std::shared_ptr<http::Exchange> exchange, const ServerProtocol* protocol);

  const Router& router_;
  std::vector<std::unique_ptr<ServerProtocol>> protocols_;
  std::vector<std::shared_ptr<Interceptor>> interceptors_;
  CallLimits limits_;
  CorsPolicy cors_;
};

}  // namespace triplex::rpc
