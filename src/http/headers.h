#pragma once
// Header fields as every HTTP version hands them over: lowercase names, in
// order, duplicates kept.
#include <string>
#include <string_view>
#include <vector>

namespace triplex::http {

struct Header {
  std::string name;
  std::string value;
};

class Headers {
 public:
  void add(std::string_view name, std::string_view value) {
    // Most heads have a handful of fields: one allocation instead of regrowing.
    if (fields_.capacity() == 0) fields_.reserve(8);
    fields_.push_back({std::string(name), std::string(value)});
  }
  const std::string* find(std::string_view name) const {
    for (const auto& f : fields_) {
      if (f.name == name) return &f.value;
    }
    return nullptr;
  }
  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& f : fields_) n += f.name == name;
    return n;
  }
  bool empty() const { return fields_.empty(); }
  std::size_t size() const { return fields_.size(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<Header> fields_;
};

struct RequestHead {
  std::string method;
  std::string scheme;
  std::string authority;
  std::string path;  // with the query, as sent
  Headers headers;   // regular fields only; pseudo-headers are above
};

struct ResponseHead {
  int status = 200;
  Headers headers;
};

}  // namespace triplex::http
