#pragma once
// Where `triplex curl` learns message and method types: --schema arguments
// (.proto files or folders, compiled with protobuf's importer, or files that
// hold a serialized FileDescriptorSet), with the well-known types built in.
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>

#include <memory>
#include <string>
#include <vector>

namespace triplex::cli {

class Schema {
 public:
  // Throws std::runtime_error with every problem found.
  explicit Schema(const std::vector<std::string>& sources);
  // Descriptors added from elsewhere (server reflection): FileDescriptorProtos.
  explicit Schema(const std::vector<google::protobuf::FileDescriptorProto>& files);

  // The method named by "package.Service/Method"; throws std::runtime_error.
  const google::protobuf::MethodDescriptor& method(const std::string& service,
                                                   const std::string& name) const;
  const google::protobuf::DescriptorPool& pool() const { return *pool_; }
  // The services to list: those named by set_listed(), else every one the
  // schema defines.
  std::vector<const google::protobuf::ServiceDescriptor*> services() const;
  // What a server said it serves (reflection's list_services).
  void set_listed(std::vector<std::string> names) { listed_ = std::move(names); }

 private:
  void add_descriptor_set(const std::string& path, std::vector<std::string>& errors);

  google::protobuf::compiler::DiskSourceTree tree_;
  std::unique_ptr<google::protobuf::compiler::SourceTreeDescriptorDatabase> sources_;
  google::protobuf::SimpleDescriptorDatabase sets_;
  google::protobuf::DescriptorPoolDatabase builtin_;
  std::unique_ptr<google::protobuf::MergedDescriptorDatabase> merged_;
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::vector<std::string> files_;  // what the sources named, to list services
  std::vector<std::string> listed_;
};

}  // namespace triplex::cli
