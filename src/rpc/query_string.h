#pragma once
// The query part of a request target, decoded as HTML forms do ('+' is a
// space, %XX a byte). Connect GET carries its message here.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triplex::rpc {

class QueryString {
 public:
  // `target` is the request path; everything after the first '?' is parsed.
  explicit QueryString(std::string_view target);
  // The first value of `name`, decoded.
  std::optional<std::string> get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace triplex::rpc
