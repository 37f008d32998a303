#pragma once
// gRPC and gRPC-Web: one implementation with a web flag, as in connect-go.
//   gRPC      application/grpc[+proto|+json]; status in HTTP trailers (or
//             Trailers-Only). On an exchange without trailers (HTTP/1.1 with no
//             `TE: trailers`) unary calls are answered the way Envoy's
//             grpc_http1_bridge does: buffered, HTTP 200 or 503, grpc-status and
//             grpc-message in the headers, content-length set. With
//             upgrade_protobuf_to_grpc the bridge also takes
//             application/x-protobuf: one unframed message each way.
//   gRPC-Web  application/grpc-web[+proto|+json] and application/grpc-web-text
//             (base64 bodies); status in a final 0x80 frame in the body, so it
//             works on any HTTP version and in browsers.
#include "src/rpc/protocol.h"
#include "triplex/server.h"

namespace triplex::rpc {

class GrpcProtocol final : public ServerProtocol {
 public:
  explicit GrpcProtocol(bool web, Http1BridgeOptions bridge = {}) : web_(web), bridge_(bridge) {}
  bool accepts(const http::RequestHead& head) const override;
  std::vector<std::string_view> content_types() const override {
    if (web_) return {"application/grpc-web", "application/grpc-web-text"};
    return {"application/grpc"};
  }
  std::unique_ptr<ServerTransport> open(std::shared_ptr<http::Exchange> exchange,
                                        const CallLimits& limits) const override;

 private:
  bool web_;
  Http1BridgeOptions bridge_;
};

}  // namespace triplex::rpc
