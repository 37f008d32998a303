#include "src/rpc/router.h"

#include <stdexcept>

namespace triplex::rpc {
namespace {

// "/pkg.Svc/Method" -> {"pkg.Svc", "Method"}; empty service when malformed.
std::pair<std::string_view, std::string_view> split_path(std::string_view path) {
  if (path.size() < 2 || path[0] != '/') return {};
  path.remove_prefix(1);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return {};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace

void Router::add(MethodDefinition method) {
  auto [service, name] = split_path(method.path);
  if (service.empty() || name.empty()) {
    throw std::invalid_argument("bad method path: " + method.path);
  }
  services_.emplace(service);
  std::string path = method.path;
  if (!methods_.emplace(path, std::move(method)).second) {
    throw std::invalid_argument("method registered twice: " + path);
  }
}

const MethodDefinition* Router::find(std::string_view path) const {
  auto it = methods_.find(path);
  return it == methods_.end() ? nullptr : &it->second;
}

std::string Router::describe_miss(std::string_view path) const {
  auto [service, name] = split_path(path);
  if (service.empty()) return "malformed method path: " + std::string(path);
  if (!services_.contains(std::string(service))) return "unknown service " + std::string(service);
  return "unknown method " + std::string(name) + " for service " + std::string(service);
}

void Router::set_fallback(MethodHandler handler) {
  MethodDefinition fallback;
  // Framing is the same for every kind but Connect unary, which its content
  // type announces; the handler sees every kind as a stream.
  fallback.kind = RpcKind::kBidiStreaming;
  fallback.handler = std::move(handler);
  fallback_ = std::move(fallback);
}

}  // namespace triplex::rpc
