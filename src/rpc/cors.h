#pragma once
// CORS for browsers calling gRPC-Web and Connect: answers preflight OPTIONS
// requests and marks actual responses readable by allowed origins, exposing
// the headers RPC clients need (grpc-status, grpc-message, ...).
#include <string>
#include <vector>

#include "src/http/exchange.h"

namespace triplex::rpc {

class CorsPolicy {
 public:
  // Empty: CORS off. "*" allows any origin.
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  bool enabled() const { return !allowed_origins_.empty(); }
  // Answers a preflight request; false when this is not one.
  bool handle_preflight(http::Exchange& exchange) const;
  // Adds the response headers for an allowed Origin to the exchange.
  void decorate(http::Exchange& exchange) const;

 private:
  bool allowed(const std::string& origin) const;
  std::vector<std::string> allowed_origins_;
};

}  // namespace triplex::rpc
