#pragma once
// The query part of a request target, decoded as HTML forms do ('+' is a
// space, %XX a byte). Connect GET carries its message here.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triplex::rpc {

// `value` escaped for a query parameter: every byte but RFC 3986's
// unreserved characters as %XX, so '+', '&', '#', '=' and spaces survive
// the decoding above.
std::string query_escape(std::string_view value);

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
