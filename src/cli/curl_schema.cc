#include "src/cli/curl_schema.h"

#include <google/protobuf/descriptor.pb.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace triplex::cli {
namespace {

namespace fs = std::filesystem;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptorProto;
using google::protobuf::FileDescriptorSet;

// Collects the importer's complaints as "file:line:column: message".
class Collector final : public google::protobuf::compiler::MultiFileErrorCollector,
                        public DescriptorPool::ErrorCollector {
 public:
  explicit Collector(std::vector<std::string>& errors) : errors_(errors) {}
  void AddError(const std::string& file, int line, int column,
                const std::string& message) override {
    errors_.push_back(file + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) +
                      ": " + message);
  }
  void AddError(const std::string& file, const std::string& element,
                const google::protobuf::Message*, ErrorLocation,
                const std::string& message) override {
    errors_.push_back(file + ": " + element + ": " + message);
  }

 private:
  std::vector<std::string>& errors_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Schema::Schema(const std::vector<std::string>& sources)
    : builtin_(*DescriptorPool::generated_pool()) {
  std::vector<std::string> errors;
  std::vector<std::string> protos;
  for (const auto& source : sources) {
    std::error_code ec;
    if (fs::is_directory(source, ec)) {
      tree_.MapPath("", source);
      for (const auto& entry : fs::recursive_directory_iterator(source, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".proto") {
          protos.push_back(fs::relative(entry.path(), source).generic_string());
        }
      }
    } else if (fs::path(source).extension() == ".proto") {
      tree_.MapPath("", fs::path(source).parent_path().empty()
                            ? "."
                            : fs::path(source).parent_path().string());
      protos.push_back(fs::path(source).filename().string());
    } else if (fs::is_regular_file(source, ec)) {
      add_descriptor_set(source, errors);
    } else {
      errors.push_back(source + ": no such file or folder");
    }
  }
  Collector collector(errors);
  sources_ = std::make_unique<google::protobuf::compiler::SourceTreeDescriptorDatabase>(&tree_);
  sources_->RecordErrorsTo(&collector);
  // Built-in files (the well-known types) first: the source tree would
  // report them missing before the fallback found them.
  merged_ = std::make_unique<google::protobuf::MergedDescriptorDatabase>(
      std::vector<google::protobuf::DescriptorDatabase*>{&sets_, &builtin_, sources_.get()});
  pool_ = std::make_unique<DescriptorPool>(merged_.get(), &collector);
  for (const auto& file : protos) {
    if (pool_->FindFileByName(file) == nullptr && errors.empty()) {
      errors.push_back(file + ": cannot be compiled");
    }
    files_.push_back(file);
  }
  if (!errors.empty()) {
    std::string text = "schema errors:";
    for (const auto& e : errors) text += "\n  " + e;
    throw std::runtime_error(text);
  }
}

Schema::Schema(const std::vector<FileDescriptorProto>& files)
    : builtin_(*DescriptorPool::generated_pool()) {
  for (const auto& file : files) {
    sets_.Add(file);
    files_.push_back(file.name());
  }
  merged_ = std::make_unique<google::protobuf::MergedDescriptorDatabase>(&sets_, &builtin_);
  pool_ = std::make_unique<DescriptorPool>(merged_.get());
}

void Schema::add_descriptor_set(const std::string& path, std::vector<std::string>& errors) {
  FileDescriptorSet set;
  if (!set.ParseFromString(read_file(path))) {
    errors.push_back(path + ": neither a .proto file nor a FileDescriptorSet");
    return;
  }
  for (const auto& file : set.file()) {
    if (!sets_.Add(file)) errors.push_back(path + ": duplicate file " + file.name());
    files_.push_back(file.name());
  }
}

const google::protobuf::MethodDescriptor& Schema::method(const std::string& service,
                                                         const std::string& name) const {
  const auto* s = pool_->FindServiceByName(service);
  if (s == nullptr) throw std::runtime_error("unknown service \"" + service + "\"");
  const auto* m = s->FindMethodByName(name);
  if (m == nullptr) {
    throw std::runtime_error("service \"" + service + "\" has no method \"" + name + "\"");
  }
  return *m;
}

std::vector<const google::protobuf::ServiceDescriptor*> Schema::services() const {
  std::vector<const google::protobuf::ServiceDescriptor*> out;
  if (!listed_.empty()) {
    for (const auto& name : listed_) {
      if (const auto* s = pool_->FindServiceByName(name)) out.push_back(s);
    }
    return out;
  }
  std::set<std::string> seen;
  for (const auto& name : files_) {
    const auto* file = pool_->FindFileByName(name);
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) {
      if (seen.insert(file->service(i)->full_name()).second) out.push_back(file->service(i));
    }
  }
  return out;
}

}  // namespace triplex::cli
