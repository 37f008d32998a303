#pragma once
// Maps "/package.Service/Method" to its definition. Filled before the server
// starts and read-only afterwards, so workers share it without locks.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "triplex/service.h"

namespace triplex::rpc {

class Router {
 public:
  // Throws std::invalid_argument on a duplicate path.
  void add(MethodDefinition method);
  const MethodDefinition* find(std::string_view path) const;
  // Why a path has no method: "unknown service X" or "unknown method M for service X".
  std::string describe_miss(std::string_view path) const;
  // What serves the paths find() misses (a proxy), if anything.
  void set_fallback(MethodHandler handler);
  const MethodDefinition* fallback() const { return fallback_ ? &*fallback_ : nullptr; }

 private:
  // Transparent hashing: lookups take a string_view without allocating.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, MethodDefinition, Hash, std::equal_to<>> methods_;
  std::unordered_set<std::string> services_;
  std::optional<MethodDefinition> fallback_;
};

}  // namespace triplex::rpc
