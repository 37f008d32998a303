#pragma once
// A client of a server's reflection service (grpc.reflection v1, or v1alpha
// for older servers), as buf curl uses it: for `triplex curl` without
// --schema and for the gateway's JSON transcoding. Each round is one stream
// that sends every question, then reads every answer, so it works on
// half-duplex HTTP/1.1 too.
#include <google/protobuf/descriptor.pb.h>

#include <asio/awaitable.hpp>
#include <string>
#include <vector>

#include "triplex/client.h"

namespace triplex {

enum class ReflectVersion { kV1, kV1Alpha };

struct Reflection {
  std::vector<std::string> services;  // list_services
  std::vector<google::protobuf::FileDescriptorProto> files;
};

// The files defining `symbols` and everything they import; with
// `list_services`, the service names too. Throws triplex::Error with the
// server's status when reflection fails.
asio::awaitable<Reflection> reflect(Channel& channel, ReflectVersion version,
                                    std::vector<std::string> symbols, bool list_services,
                                    CallOptions options);

}  // namespace triplex
