#pragma once
// Status details travel as a serialized google.rpc.Status (gRPC's
// grpc-status-details-bin); Connect lists them as {"type", "value"} pairs.
// This converts between the two without the googleapis schema.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triplex::wire {

struct StatusDetail {
  std::string type;   // fully-qualified message name, without "type.googleapis.com/"
  std::string value;  // serialized message
};

// The google.rpc.Status fields we care about.
struct RpcStatus {
  int code = 0;
  std::string message;
  std::vector<StatusDetail> details;
};

std::string serialize_rpc_status(const RpcStatus& status);
// nullopt when the bytes are not a google.rpc.Status.
std::optional<RpcStatus> parse_rpc_status(std::string_view bytes);

}  // namespace triplex::wire
