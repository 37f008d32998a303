// triplex-bench-client: unary load from the triplex client library, to
// measure it as a load generator and to compare HTTP versions.
//
//   triplex-bench-client https://127.0.0.1:PORT --http 3 -k -c 4 -m 100 -n 200000
//
// Calls grpc.testing.BenchmarkService/UnaryCall with the request bench/run
// sends (SimpleRequest{response_size: 10, 10-byte payload}) from `-m` calls in
// flight on each of `-c` channels (one connection each), on one thread,
// until `-n` calls completed. Prints one line:
//   requests N errors E seconds S req/s R p50_us A p99_us B cpu_s C
// Exits 1 when any call failed.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "grpc/testing/messages.pb.h"
#include "triplex/client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string url;
  std::string protocol = "grpc";
  std::string http = "2";
  bool insecure = false;
  int connections = 4;
  int streams = 100;
  long requests = 100000;
};

struct Run {
  long remaining = 0;  // calls not yet started
  long errors = 0;
  std::vector<std::uint32_t> latencies_us;
  int active_workers = 0;
  std::vector<std::shared_ptr<triplex::Channel>> channels;
};

triplex::ChannelOptions channel_options(const Flags& flags) {
  triplex::ChannelOptions options;
  if (flags.protocol == "grpcweb") options.protocol = triplex::RpcProtocol::kGrpcWeb;
  if (flags.protocol == "connect") options.protocol = triplex::RpcProtocol::kConnect;
  if (flags.http == "1.1") options.http_version = triplex::HttpVersion::kHttp1;
  if (flags.http == "2") options.http_version = triplex::HttpVersion::kHttp2;
  if (flags.http == "3") options.http_version = triplex::HttpVersion::kHttp3;
  options.tls.insecure = flags.insecure;
  return options;
}

// One call in flight at a time, taking calls from the shared budget.
asio::awaitable<void> worker(std::shared_ptr<triplex::Channel> channel, Run& run) {
  const triplex::ClientMethod method{"/grpc.testing.BenchmarkService/UnaryCall",
                                     triplex::RpcKind::kUnary, false};
  grpc::testing::SimpleRequest request;
  request.set_response_size(10);
  request.mutable_payload()->set_body(std::string(10, '\0'));
  grpc::testing::SimpleResponse response;
  while (run.remaining > 0) {
    --run.remaining;
    auto started = Clock::now();
    triplex::Status status = co_await channel->unary(method, request, response);
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
    run.latencies_us.push_back(static_cast<std::uint32_t>(micros));
    if (!status.ok()) {
      if (run.errors++ == 0) std::cerr << "first error: " << status.to_string() << "\n";
    }
  }
  // The last one out closes the connections, so that io.run() returns.
  if (--run.active_workers == 0) {
    for (auto& c : run.channels) c->close();
  }
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uint32_t percentile(std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"unary load from the triplex client"};
  app.add_option("url", flags.url, "https://HOST:PORT or http://HOST:PORT")->required();
  app.add_option("--protocol", flags.protocol)
      ->check(CLI::IsMember({"grpc", "grpcweb", "connect"}))
      ->capture_default_str();
  app.add_option("--http", flags.http)
      ->check(CLI::IsMember({"1.1", "2", "3"}))
      ->capture_default_str();
  app.add_flag("-k,--insecure", flags.insecure, "accept any server certificate");
  app.add_option("-c,--connections", flags.connections)->check(CLI::PositiveNumber);
  app.add_option("-m,--streams", flags.streams, "calls in flight per connection")
      ->check(CLI::PositiveNumber);
  app.add_option("-n,--requests", flags.requests)->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  asio::io_context io(1);
  Run run;
  run.remaining = flags.requests;
  run.latencies_us.reserve(static_cast<std::size_t>(flags.requests));
  double cpu_before = cpu_seconds();
  auto started = Clock::now();
  for (int c = 0; c < flags.connections; ++c) {
    run.channels.push_back(triplex::Channel::create(io, flags.url, channel_options(flags)));
    for (int s = 0; s < flags.streams; ++s) {
      ++run.active_workers;
      asio::co_spawn(io, worker(run.channels.back(), run), asio::detached);
    }
  }
  io.run();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  double cpu = cpu_seconds() - cpu_before;
  std::sort(run.latencies_us.begin(), run.latencies_us.end());
  std::printf("requests %zu errors %ld seconds %.3f req/s %.0f p50_us %u p99_us %u cpu_s %.3f\n",
              run.latencies_us.size(), run.errors, seconds,
              static_cast<double>(run.latencies_us.size()) / seconds,
              percentile(run.latencies_us, 0.50), percentile(run.latencies_us, 0.99), cpu);
  return run.errors == 0 ? 0 : 1;
}
