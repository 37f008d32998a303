// `triplex proxy --config FILE`: any text must give a config that passes the
// cross-checks, or a ConfigError naming the problem. Any other exception
// escapes to the fuzzer, which reports it: the command only catches
// ConfigError.
#include <cstddef>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>

#include "src/gateway/config.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::fuzz::check;
using namespace triplex::gateway;

void check_config(const GatewayConfig& config) {
  check(!config.listeners.empty() && !config.routes.empty(), "something listens and routes");
  std::set<std::string> clusters;
  for (const auto& c : config.clusters) {
    check(!c.name.empty() && clusters.insert(c.name).second, "clusters have unique names");
    check(!c.endpoints.empty(), "a cluster has endpoints");
    for (const auto& e : c.endpoints) check(!e.authority.empty(), "an endpoint has an authority");
    check(c.connect_timeout.count() >= 0, "timeouts are not negative");
    if (c.health_check) {
      check(c.health_check->interval.count() > 0, "health checks have an interval");
      check(c.health_check->timeout.count() >= 0, "health checks have a timeout");
    }
  }
  for (const auto& r : config.routes) {
    check(!r.prefix.empty() && r.prefix[0] == '/', "route prefixes start with /");
    check(clusters.count(r.cluster) == 1, "routes name known clusters");
    if (r.max_message_bytes) check(*r.max_message_bytes > 0, "message limits are positive");
  }
  for (const auto& l : config.listeners) {
    check(!l.address.empty(), "listeners have an address");
    if (l.tls) {
      const auto& t = l.tls_options;
      check(t.self_signed != (!t.cert_file.empty() && !t.key_file.empty()),
            "TLS is self-signed or a certificate and key");
    }
  }
  check(config.max_message_bytes > 0, "the message limit is positive");
  validate(config);  // what parse_config returned passes its own cross-checks
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check_config(parse_config(text));
  } catch (const ConfigError& e) {
    check(*e.what() != '\0', "a config error says what is wrong");
  }
  // --upstream takes the same endpoint syntax.
  try {
    EndpointConfig endpoint = parse_endpoint(text);
    check(!endpoint.authority.empty(), "an endpoint has an authority");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
