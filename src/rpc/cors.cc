#include "src/rpc/cors.h"

#include <algorithm>

namespace triplex::rpc {
namespace {

constexpr const char* kExposedHeaders =
    "grpc-status, grpc-message, grpc-status-details-bin, grpc-encoding, grpc-accept-encoding, "
    "connect-content-encoding, connect-accept-encoding, content-encoding, etag";
constexpr const char* kAllowedHeaders =
    "content-type, connect-protocol-version, connect-timeout-ms, connect-content-encoding, "
    "connect-accept-encoding, grpc-timeout, grpc-encoding, grpc-accept-encoding, x-grpc-web, "
    "x-user-agent";

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins)
    : allowed_origins_(std::move(allowed_origins)) {}

bool CorsPolicy::allowed(const std::string& origin) const {
  return std::any_of(allowed_origins_.begin(), allowed_origins_.end(),
                     [&](const std::string& o) { return o == "*" || o == origin; });
}

bool CorsPolicy::handle_preflight(http::Exchange& exchange) const {
  const auto& head = exchange.request();
  if (head.method != "OPTIONS") return false;
  const std::string* origin = head.headers.find("origin");
  const std::string* method = head.headers.find("access-control-request-method");
  if (origin == nullptr || method == nullptr) return false;
  http::ResponseHead response;
  response.status = 204;
  if (enabled() && allowed(*origin)) {
    response.headers.add("access-control-allow-origin", *origin);
    response.headers.add("access-control-allow-methods", "POST, GET");
    const std::string* requested = head.headers.find("access-control-request-headers");
    response.headers.add("access-control-allow-headers", requested ? *requested : kAllowedHeaders);
    response.headers.add("access-control-max-age", "7200");
    response.headers.add("vary", "origin");
  }
  exchange.respond(std::move(response));
  return true;
}

void CorsPolicy::decorate(http::Exchange& exchange) const {
  if (!enabled()) return;
  const std::string* origin = exchange.request().headers.find("origin");
  if (origin == nullptr || !allowed(*origin)) return;
  exchange.extra_response_headers.add("access-control-allow-origin", *origin);
  exchange.extra_response_headers.add("access-control-expose-headers", kExposedHeaders);
  exchange.extra_response_headers.add("vary", "origin");
}

}  // namespace triplex::rpc
