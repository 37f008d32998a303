#pragma once
// gRPC over HTTP/2 (and later HTTP/3): application/grpc[+proto], enveloped
// messages, grpc-status in trailers or Trailers-Only. gRPC-Web will be this
// protocol with its web flag set (trailers in the body).
#include "src/rpc/protocol.h"

namespace triplex::rpc {

class GrpcProtocol final : public ServerProtocol {
 public:
  bool accepts(const http::RequestHead& head) const override;
  std::unique_ptr<ServerTransport> open(std::shared_ptr<http::Exchange> exchange,
                                        const CallLimits& limits) const override;
};

}  // namespace triplex::rpc
