#include "src/http/exchange.h"

#include <asio/post.hpp>

#include "src/log/log.h"

namespace triplex::http {

void post_reset_notice(std::shared_ptr<Exchange> exchange, ResetReason reason) {
  auto executor = exchange->executor();
  asio::post(executor, [exchange = std::move(exchange), reason] {
    if (exchange->on_reset) exchange->on_reset(reason);
  });
}

void run_handler(const ExchangeHandler& handler, const std::shared_ptr<Exchange>& exchange) {
  try {
    handler(exchange);
    return;
  } catch (const std::exception& e) {
    TRIPLEX_LOG(LogLevel::kWarn, "request handler threw",
                {{"path", exchange->request().path}, {"what", e.what()}});
  } catch (...) {
    TRIPLEX_LOG(LogLevel::kWarn, "request handler threw something that is not a std::exception",
                {{"path", exchange->request().path}});
  }
  // This request only: the connection and its other streams carry on.
  if (exchange->is_reset()) return;
  if (exchange->head_sent()) {
    exchange->reset(ResetReason::kInternal);
    return;
  }
  ResponseHead head;
  head.status = 500;
  exchange->respond(std::move(head));
}

}  // namespace triplex::http
