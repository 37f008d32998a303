#include "src/rpc/client_transport.h"

#include "src/rpc/client_transport_base.h"
#include "src/rpc/protocol_connect_client.h"
#include "src/rpc/protocol_grpc_client.h"
#include "src/wire/metadata_codec.h"

namespace triplex::rpc {

std::unique_ptr<ClientTransport> make_client_transport(RpcProtocol protocol, ClientCallSpec spec,
                                                       ExchangeOpener open) {
  switch (protocol) {
    case RpcProtocol::kGrpc:
      return std::make_unique<GrpcClientTransport>(std::move(spec), std::move(open), false);
    case RpcProtocol::kGrpcWeb:
      return std::make_unique<GrpcClientTransport>(std::move(spec), std::move(open), true);
    case RpcProtocol::kConnect:
      break;
  }
  return std::make_unique<ConnectClientTransport>(std::move(spec), std::move(open));
}

Status status_from_reset(http::ResetReason reason) {
  switch (reason) {
    case http::ResetReason::kRefused:
      return Status(Code::kUnavailable, "the server refused the stream (safe to retry)");
    case http::ResetReason::kCancel:
      return Status(Code::kCancelled, "the server cancelled the stream");
    case http::ResetReason::kEnhanceYourCalm:
      return Status(Code::kResourceExhausted, "the server reset the stream: excessive load");
    case http::ResetReason::kConnectionLost:
      return Status(Code::kUnavailable, "the connection was lost");
    case http::ResetReason::kProtocol:
      return Status(Code::kInternal, "the stream was reset: protocol error");
    case http::ResetReason::kNone:
    case http::ResetReason::kInternal:
      break;
  }
  return Status(Code::kInternal, "the server reset the stream: internal error");
}

Status status_from_reset(const http::ExchangeReset& reset) {
  Status status = status_from_reset(reset.reason);
  if (!reset.detail.empty()) status.message = reset.detail;
  return status;
}

void ClientTransportBase::cancel(Status status) { end(std::move(status)); }

void ClientTransportBase::end(Status status) {
  if (done_) return;
  done_ = true;
  status_ = std::move(status);
  // Nothing more to hear: tell the server to stop (a no-op once finished).
  if (!status_.ok() && exchange_ != nullptr && !exchange_->is_reset()) {
    exchange_->reset(http::ResetReason::kCancel);
  }
}

http::RequestHead ClientTransportBase::base_head(std::string method, std::string path) const {
  http::RequestHead head;
  head.method = std::move(method);
  head.scheme = spec_.scheme;
  head.authority = spec_.authority;
  head.path = std::move(path);
  head.headers.add("user-agent", spec_.user_agent);
  for (const auto& [key, value] : spec_.metadata) {
    head.headers.add(key, wire::encode_metadata_value(key, value));
  }
  return head;
}

void ClientTransportBase::collect_metadata(const http::Headers& fields, Metadata& out,
                                           std::string_view prefix) {
  for (const auto& f : fields) {
    std::string_view name = f.name;
    if (!prefix.empty()) {
      if (!name.starts_with(prefix)) continue;
      name.remove_prefix(prefix.size());
    }
    if (name.empty() || name.front() == ':' || wire::is_reserved_header(name)) continue;
    wire::decode_metadata_field(name, f.value, out);  // a bad -bin value is dropped
  }
}

}  // namespace triplex::rpc
