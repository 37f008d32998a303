// The gateway's YAML config: what it reads, and the errors a typo gets.
#include "src/gateway/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace triplex::gateway {
namespace {

using namespace std::chrono_literals;

TEST(GatewayConfigTest, ReadsAFullConfig) {
  auto config = parse_config(R"(
listeners:
  - name: public
    address: 0.0.0.0:8443
    tls: {cert: server.pem, key: server.key}
  - address: 127.0.0.1:8080
    http3: false
clusters:
  - name: users
    endpoints: [h2c://10.0.0.1:50051, "h3://users.internal:443"]
    balance: least_request
    protocol: passthrough
    connect_timeout_ms: 250
    request_timeout_ms: 5000
    insecure: true
    health_check: {service: users.v1.Users, interval_ms: 2000, timeout_ms: 300, unhealthy_threshold: 3}
routes:
  - method: users.v1.Users/Delete
    cluster: users
    timeout_ms: 100
  - service: users.v1.Users
    cluster: users
    max_message_bytes: 65536
  - prefix: /
    cluster: users
http1_bridge: {upgrade_protobuf_to_grpc: true, max_buffer_bytes: 1048576, ignore_query_parameters: true}
admin: {address: 127.0.0.1:9901}
access_log: "-"
max_concurrent_streams: 200
drain_timeout_ms: 10000
)");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].name, "public");
  EXPECT_TRUE(config.listeners[0].tls);
  EXPECT_EQ(config.listeners[0].tls_options.cert_file, "server.pem");
  EXPECT_EQ(config.listeners[1].name, "listener-1");
  EXPECT_FALSE(config.listeners[1].tls);
  EXPECT_FALSE(config.listeners[1].http3);
  const auto& users = config.clusters.at(0);
  ASSERT_EQ(users.endpoints.size(), 2u);
  EXPECT_EQ(users.endpoints[0].scheme, UpstreamScheme::kH2c);
  EXPECT_EQ(users.endpoints[1].scheme, UpstreamScheme::kH3);
  EXPECT_EQ(users.endpoints[1].authority, "users.internal:443");
  EXPECT_EQ(users.balance, Balance::kLeastRequest);
  EXPECT_EQ(users.protocol, UpstreamProtocol::kPassThrough);
  EXPECT_EQ(users.connect_timeout, 250ms);
  EXPECT_EQ(users.request_timeout, 5000ms);
  ASSERT_TRUE(users.health_check);
  EXPECT_EQ(users.health_check->service, "users.v1.Users");
  EXPECT_EQ(users.health_check->unhealthy_threshold, 3);
  ASSERT_EQ(config.routes.size(), 3u);
  EXPECT_EQ(config.routes[0].prefix, "/users.v1.Users/Delete");
  EXPECT_EQ(config.routes[0].timeout, 100ms);
  EXPECT_EQ(config.routes[1].prefix, "/users.v1.Users/");
  EXPECT_EQ(config.routes[1].max_message_bytes, 65536u);
  EXPECT_TRUE(config.bridge.upgrade_protobuf_to_grpc);
  EXPECT_EQ(config.bridge.max_buffer_size, 1048576u);
  EXPECT_EQ(config.admin->address, "127.0.0.1:9901");
  EXPECT_EQ(config.access_log, "-");
  EXPECT_EQ(config.connection.max_concurrent_streams, 200u);
  EXPECT_EQ(config.connection.drain_timeout, 10000ms);
}

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

constexpr const char* kMinimal = R"(
listeners: [{address: 127.0.0.1:0}]
clusters: [{name: c, endpoints: [h2c://127.0.0.1:1]}]
routes: [{prefix: /, cluster: c}]
)";

TEST(GatewayConfigTest, MinimalConfigHasDefaults) {
  auto config = parse_config(kMinimal);
  EXPECT_EQ(config.clusters[0].balance, Balance::kRoundRobin);
  EXPECT_FALSE(config.clusters[0].health_check);
  EXPECT_FALSE(config.admin);
  EXPECT_FALSE(config.bridge.upgrade_protobuf_to_grpc);
}

TEST(GatewayConfigTest, MistakesAreNamed) {
  // A key that is no word (here a list) is named too, not a crash in yaml-cpp.
  EXPECT_NE(error_of("[]: x\n").find("must be a word"), std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "timeout: 3\n").find("unknown field `timeout`"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
listeners: [{address: 127.0.0.1:0}]
clusters: [{name: c, endpoints: [http://127.0.0.1:1]}]
routes: [{prefix: /, cluster: c}]
)")
                .find("h2c://HOST:PORT"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
listeners: [{address: 127.0.0.1:0}]
clusters: [{name: c, endpoints: [h2c://127.0.0.1:1]}]
routes: [{prefix: /, cluster: d}]
)")
                .find("unknown cluster: d"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
listeners: [{address: 127.0.0.1:0, tls: {cert: a.pem}}]
clusters: [{name: c, endpoints: [h2c://127.0.0.1:1]}]
routes: [{prefix: /, cluster: c}]
)")
                .find("line 2"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
listeners: [{address: 127.0.0.1:0}]
clusters: [{name: c, endpoints: [h2c://127.0.0.1:1], balance: random}]
routes: [{prefix: /, cluster: c}]
)")
                .find("round_robin or least_request"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
listeners: [{address: 127.0.0.1:0}]
clusters: [{name: c, endpoints: [h2c://127.0.0.1:1], protocol: thrift}]
routes: [{prefix: /, cluster: c}]
)")
                .find("grpc, grpc-web, connect or passthrough"),
            std::string::npos);
  EXPECT_NE(error_of("listeners: [").find("end of"), std::string::npos) << error_of("listeners: [");
  EXPECT_NE(error_of(R"(
listeners: [{address: 127.0.0.1:0}]
clusters: [{name: c, endpoints: [h2c://127.0.0.1:1]}]
routes: [{prefix: /, service: x, cluster: c}]
)")
                .find("exactly one of prefix, service or method"),
            std::string::npos);
  EXPECT_NE(error_of(R"(
listeners: [{address: 127.0.0.1:0}]
clusters: [{name: c, endpoints: [h2c://127.0.0.1:1]}]
routes: [{prefix: /, cluster: c, timeout_ms: -5}]
)")
                .find("must not be negative"),
            std::string::npos);
}

TEST(GatewayConfigTest, LoadNamesTheFile) {
  try {
    load_config("/nonexistent/gateway.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/gateway.yaml"), std::string::npos);
  }
}

// The README's example is a config the gateway takes.
TEST(GatewayConfigTest, ReadmeExampleParses) {
  std::ifstream in(TRIPLEX_SOURCE_DIR "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  std::string readme = text.str();
  auto start = readme.find("```yaml\nlisteners:");
  ASSERT_NE(start, std::string::npos);
  start += 8;
  auto end = readme.find("```", start);
  auto config = parse_config(readme.substr(start, end - start));
  EXPECT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.clusters.size(), 2u);
  EXPECT_EQ(config.routes.size(), 3u);
  EXPECT_TRUE(config.clusters[0].reflection);
}

}  // namespace
}  // namespace triplex::gateway
