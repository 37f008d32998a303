#pragma once
// Turns each incoming Exchange into a call: answers CORS preflights, picks
// the protocol by content-type (HTTP 415 when none claims it), routes the
// path, and runs the handler coroutine with interceptors, deadline and
// cancellation.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/http/exchange.h"
#include "src/rpc/cors.h"
#include "src/rpc/protocol.h"
#include "src/rpc/router.h"
#include "triplex/server.h"

namespace triplex::rpc {

using HttpRoutes = std::map<std::string, HttpRoute, std::less<>>;

class CallDispatcher {
 public:
  CallDispatcher(const Router& router, std::vector<std::unique_ptr<ServerProtocol>> protocols,
                 std::vector<std::shared_ptr<Interceptor>> interceptors, CallLimits limits,
                 CorsPolicy cors, const HttpRoutes* http_routes = nullptr);

  void dispatch(const std::shared_ptr<http::Exchange>& exchange);

 private:
  void start_call(const std::shared_ptr<http::Exchange>& exchange, const ServerProtocol* protocol);
  // Plain GET routes (metrics, probes); true when one answered.
  bool serve_http_route(http::Exchange& exchange);

  const Router& router_;
  std::vector<std::unique_ptr<ServerProtocol>> protocols_;
  std::vector<std::shared_ptr<Interceptor>> interceptors_;
  CallLimits limits_;
  CorsPolicy cors_;
  const HttpRoutes* http_routes_;
  std::string accept_post_;  // every protocol's content types, for 415 answers
};

}  // namespace triplex::rpc
