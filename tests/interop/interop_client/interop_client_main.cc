// triplex-interop-client: the gRPC interop test cases against any
// grpc.testing.TestService server, over gRPC, gRPC-Web or Connect on HTTP/1.1,
// HTTP/2 or HTTP/3. Prints "PASS case", "SKIP case: why" or "FAIL case: why"
// per case; exits 1 if any case failed, 2 on bad usage.
#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <iostream>
#include <set>

#include "tests/interop/interop_client/interop_cases.h"

namespace {

using triplex::interop::CaseEnv;
using triplex::interop::InteropCase;
using triplex::interop::Outcome;

struct Tally {
  int passed = 0;
  int skipped = 0;
  int failed = 0;
};

// "a,b" or "all" -> the cases, in the suite's order; throws on an unknown name.
std::vector<const InteropCase*> select_cases(const std::string& list) {
  std::set<std::string> wanted;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = std::min(list.find(',', start), list.size());
    std::string name = list.substr(start, comma - start);
    if (!name.empty()) wanted.insert(name);
    start = comma + 1;
  }
  bool all = wanted.erase("all") > 0;
  std::vector<const InteropCase*> selected;
  for (const auto& test : triplex::interop::all_cases()) {
    if (all || wanted.erase(test.name) > 0) selected.push_back(&test);
  }
  if (!wanted.empty()) throw CLI::ValidationError("--test_case", "unknown case " + *wanted.begin());
  if (selected.empty()) throw CLI::ValidationError("--test_case", "no cases selected");
  return selected;
}

asio::awaitable<void> run_all(CaseEnv& env, std::vector<const InteropCase*> cases, Tally& tally) {
  for (const InteropCase* test : cases) {
    auto result = co_await triplex::interop::run_case(*test, env);
    switch (result.outcome) {
      case Outcome::kPass:
        ++tally.passed;
        std::cout << "PASS " << test->name;
        if (!result.detail.empty()) std::cout << " (" << result.detail << ")";
        break;
      case Outcome::kSkip:
        ++tally.skipped;
        std::cout << "SKIP " << test->name << ": " << result.detail;
        break;
      case Outcome::kFail:
        ++tally.failed;
        std::cout << "FAIL " << test->name << ": " << result.detail;
        break;
    }
    std::cout << std::endl;
  }
  env.close();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gRPC interop test cases against a grpc.testing.TestService server"};
  std::string url;
  std::string host = "localhost";
  std::string port;
  std::string host_override;
  bool use_tls = false;
  bool insecure = false;
  std::string ca_file;
  std::string protocol = "grpc";
  std::string http = "2";
  std::string test_case = "all";
  bool json = false;
  app.add_option("url", url, "http://HOST:PORT or https://HOST:PORT, instead of --server_*");
  app.add_option("--server_host", host, "server host name or address")->capture_default_str();
  app.add_option("--server_port", port, "server port");
  app.add_option("--server_host_override", host_override, "TLS name to send and verify");
  app.add_flag("--use_tls", use_tls, "TLS (--use_tls=false for plaintext)");
  app.add_flag("-k,--insecure", insecure, "TLS without verifying the server's certificate");
  app.add_option("--ca,--ca_file", ca_file, "PEM roots to verify the server with")
      ->check(CLI::ExistingFile);
  app.add_option("--protocol", protocol, "grpc, grpcweb or connect")
      ->capture_default_str()
      ->check(CLI::IsMember({"grpc", "grpcweb", "grpc-web", "connect"}));
  app.add_option("--http", http, "HTTP version: 1.1, 2 or 3")
      ->capture_default_str()
      ->check(CLI::IsMember({"1.1", "2", "3"}));
  app.add_option("--test_case", test_case, "comma-separated case names, or all")
      ->capture_default_str();
  app.add_flag("--json", json, "messages as protobuf JSON");
  std::string names;
  for (const auto& test : triplex::interop::all_cases()) names += std::string(" ") + test.name;
  app.footer("Cases:" + names);

  std::vector<const InteropCase*> cases;
  std::string target;
  triplex::ChannelOptions options;
  try {
    app.parse(argc, argv);
    cases = select_cases(test_case);
    // TLS options imply TLS.
    bool tls = use_tls || insecure || !ca_file.empty();
    if (!url.empty()) {
      if (!port.empty()) throw CLI::ValidationError("url", "give a URL or --server_port, not both");
      target = url;
    } else {
      if (port.empty()) throw CLI::RequiredError("--server_port (or a URL)");
      std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
      target = (tls ? "https://" : "http://") + bracketed + ":" + port;
    }
    if (http == "3" && !target.starts_with("https://")) {
      throw CLI::ValidationError("--http", "HTTP/3 needs TLS");
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  options.protocol = protocol == "connect" ? triplex::RpcProtocol::kConnect
                     : protocol == "grpc"  ? triplex::RpcProtocol::kGrpc
                                           : triplex::RpcProtocol::kGrpcWeb;
  options.http_version = http == "1.1" ? triplex::HttpVersion::kHttp1
                         : http == "3" ? triplex::HttpVersion::kHttp3
                                       : triplex::HttpVersion::kHttp2;
  options.tls.ca_file = ca_file;
  options.tls.insecure = insecure;
  options.tls.server_name = host_override;
  options.json = json;
  options.user_agent = "triplex-interop-client";

  asio::io_context io;
  Tally tally;
  try {
    CaseEnv env(io, target, options);
    env.plain();  // a malformed target throws here
    std::cerr << "interop: " << env.caps().describe() << " to " << target << std::endl;
    asio::co_spawn(io, run_all(env, std::move(cases), tally), asio::detached);
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "triplex-interop-client: " << e.what() << std::endl;
    return 2;
  }
  std::cout << tally.passed << " passed, " << tally.skipped << " skipped, " << tally.failed
            << " failed" << std::endl;
  return tally.failed == 0 ? 0 : 1;
}
