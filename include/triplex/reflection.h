#pragma once
/// @file
/// grpc.reflection ServerReflection (v1 and the older v1alpha): lets tools such
/// as grpcurl and buf curl list a server's services and fetch their schemas
/// without .proto files. Schemas come from protobuf's generated pool, so every
/// message compiled into the program can be described; the service list is read
/// from the server at call time, so services added after this one are listed.
///
/// Concurrency: holds no state between calls; each stream remembers only which
/// files it has sent. Calls may run on any worker at once.
#include <string_view>
#include <vector>

#include "triplex/service.h"

namespace triplex {

class Server;

class ReflectionService final : public Service {
 public:
  enum class Version { kV1, kV1Alpha };

  /// `server` lists the services; it owns this service once it is added, so it
  /// outlives every call.
  ReflectionService(const Server& server, Version version);

  std::string_view service_name() const override;
  std::vector<MethodDefinition> methods() override;

 private:
  const Server& server_;
  Version version_;
};

/// Adds both versions: v1 for current clients, v1alpha for older ones.
void add_reflection_services(Server& server);

}  // namespace triplex
