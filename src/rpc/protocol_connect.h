#pragma once
// The Connect protocol. Unary calls are plain HTTP: POST with
// application/proto|json bodies (or GET with the message in the query, for
// NO_SIDE_EFFECTS methods), errors as JSON with a meaningful HTTP status, and
// trailing metadata as `trailer-` headers. Streaming calls use
// application/connect+proto|json, enveloped messages and an end-of-stream
// JSON message; the HTTP status is always 200.
#include "src/rpc/protocol.h"

namespace triplex::rpc {

class ConnectProtocol final : public ServerProtocol {
 public:
  bool accepts(const http::RequestHead& head) const override;
  std::vector<std::string_view> content_types() const override {
    return {"application/proto", "application/json", "application/connect+proto",
            "application/connect+json"};
  }
  std::unique_ptr<ServerTransport> open(std::shared_ptr<http::Exchange> exchange,
                                        const CallLimits& limits) const override;
};

}  // namespace triplex::rpc
