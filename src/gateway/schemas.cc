#include "src/gateway/schemas.h"

#include <fstream>
#include <sstream>

#include "src/gateway/config.h"
#include "src/rpc/codec.h"

namespace triplex::gateway {

bool WellKnownTypes::FindFileByName(const std::string& filename,
                                    google::protobuf::FileDescriptorProto* output) {
  return filename.starts_with("google/protobuf/") && linked_.FindFileByName(filename, output);
}

bool WellKnownTypes::FindFileContainingSymbol(const std::string& symbol_name,
                                              google::protobuf::FileDescriptorProto* output) {
  return symbol_name.starts_with("google.protobuf.") &&
         linked_.FindFileContainingSymbol(symbol_name, output);
}

bool WellKnownTypes::FindFileContainingExtension(const std::string&, int,
                                                 google::protobuf::FileDescriptorProto*) {
  return false;
}

Schemas::Schemas()
    : merged_(&files_, &builtin_),
      pool_(std::make_unique<google::protobuf::DescriptorPool>(&merged_)) {
  pool_->AllowUnknownDependencies();
}

void Schemas::add_descriptor_set_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read descriptor set " + path);
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromString(bytes.str())) {
    throw ConfigError(path + " is not a serialized FileDescriptorSet");
  }
  add_files({set.file().begin(), set.file().end()});
}

void Schemas::add_files(const std::vector<google::protobuf::FileDescriptorProto>& files) {
  std::lock_guard lock(mutex_);
  for (const auto& file : files) {
    google::protobuf::FileDescriptorProto known;
    if (files_.FindFileByName(file.name(), &known) ||
        builtin_.FindFileByName(file.name(), &known)) {
      continue;
    }
    files_.Add(file);
  }
}

const google::protobuf::MethodDescriptor* Schemas::find_method(std::string_view path) const {
  if (!path.starts_with('/')) return nullptr;
  path.remove_prefix(1);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return nullptr;
  std::lock_guard lock(mutex_);
  const auto* service = pool_->FindServiceByName(std::string(path.substr(0, slash)));
  if (service == nullptr) return nullptr;
  return service->FindMethodByName(std::string(path.substr(slash + 1)));
}

std::unique_ptr<google::protobuf::Message> Schemas::new_message(
    const google::protobuf::Descriptor& type) const {
  return std::unique_ptr<google::protobuf::Message>(factory_.GetPrototype(&type)->New());
}

std::string Schemas::json_to_binary(const google::protobuf::Descriptor& type,
                                    std::string_view json) const {
  auto message = new_message(type);
  rpc::decode_message(Codec::kJson, json, *message);
  return message->SerializeAsString();
}

std::string Schemas::binary_to_json(const google::protobuf::Descriptor& type,
                                    std::string_view bytes) const {
  auto message = new_message(type);
  rpc::decode_message(Codec::kProto, bytes, *message);
  return rpc::encode_message(Codec::kJson, *message);
}

}  // namespace triplex::gateway
