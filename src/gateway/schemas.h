#pragma once
// The gateway's knowledge of message types, for transcoding Connect JSON
// (and gRPC/gRPC-Web `+json`) to the upstream's binary protobuf and back:
// FileDescriptorSets named in the config, and files the upstreams' reflection
// services send when a JSON call names a method not known yet.
//
// Concurrency: any worker may look up, convert and add files; lookups and
// additions share one mutex (once per call), conversions run outside it
// (descriptors are immutable once built; the message factory locks itself).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace triplex::gateway {

// protobuf's well-known types (google/protobuf/*.proto) from the types linked
// in, so descriptor sets and reflection may leave them out; nothing else, so
// a method is only known from the config or the upstream.
class WellKnownTypes final : public google::protobuf::DescriptorDatabase {
 public:
  bool FindFileByName(const std::string& filename,
                      google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingSymbol(const std::string& symbol_name,
                                google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingExtension(const std::string& containing_type, int field_number,
                                   google::protobuf::FileDescriptorProto* output) override;

 private:
  google::protobuf::DescriptorPoolDatabase linked_{
      *google::protobuf::DescriptorPool::generated_pool()};
};

class Schemas {
 public:
  Schemas();
  // A file holding a serialized FileDescriptorSet (protoc -o / --include_imports,
  // buf build -o). Throws ConfigError.
  void add_descriptor_set_file(const std::string& path);
  // Files from elsewhere (reflection); files already known are skipped.
  void add_files(const std::vector<google::protobuf::FileDescriptorProto>& files);
  // "/package.Service/Method" -> its descriptor, or null when unknown.
  const google::protobuf::MethodDescriptor* find_method(std::string_view path) const;
  // JSON text -> binary message of `type`: INVALID_ARGUMENT when it does not fit.
  std::string json_to_binary(const google::protobuf::Descriptor& type, std::string_view json) const;
  // Binary message of `type` -> JSON text: INTERNAL when the upstream's bytes do not parse.
  std::string binary_to_json(const google::protobuf::Descriptor& type,
                             std::string_view bytes) const;

 private:
  std::unique_ptr<google::protobuf::Message> new_message(
      const google::protobuf::Descriptor& type) const;

  mutable std::mutex mutex_;
  google::protobuf::SimpleDescriptorDatabase files_;
  WellKnownTypes builtin_;
  google::protobuf::MergedDescriptorDatabase merged_;
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  mutable google::protobuf::DynamicMessageFactory factory_;
};

}  // namespace triplex::gateway
