// eliza_client: talks to connectrpc.eliza.v1.ElizaService (`triplex eliza`)
// through the stubs protoc-gen-triplex generates: Say, Introduce and Converse
// with the coroutine Client, then one Say with the BlockingClient. Prints each
// reply as "Method: sentence"; exits 1 if any call fails.
//
//   eliza_client [--protocol connect|grpc|grpcweb] [--http1.1|--http2|--http3] [-k] URL
//
// URL is the server, "https://host:port". HTTP/1.1 is half-duplex, so
// Converse (bidi streaming) is skipped there.
#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "connectrpc/eliza/v1/eliza.triplex.h"

namespace {

using namespace connectrpc::eliza::v1;
using ElizaService = triplex_rpc::ElizaService;

struct Flags {
  std::string url;
  std::string protocol = "connect";
  bool http1 = false;
  bool http2 = false;
  bool http3 = false;
  bool insecure = false;
};

triplex::ChannelOptions channel_options(const Flags& flags) {
  triplex::ChannelOptions options;
  if (flags.protocol == "grpc") {
    options.protocol = triplex::RpcProtocol::kGrpc;
  } else if (flags.protocol == "grpcweb") {
    options.protocol = triplex::RpcProtocol::kGrpcWeb;
  } else {
    options.protocol = triplex::RpcProtocol::kConnect;
  }
  if (flags.http3) {
    options.http_version = triplex::HttpVersion::kHttp3;
  } else if (flags.http2) {
    options.http_version = triplex::HttpVersion::kHttp2;
  } else if (flags.http1) {
    options.http_version = triplex::HttpVersion::kHttp1;
  }
  options.tls.insecure = flags.insecure;
  return options;
}

// Every call gets a deadline, so a stuck server fails the program rather than hangs it.
triplex::CallOptions call_options() {
  triplex::CallOptions options;
  options.timeout = std::chrono::seconds(10);
  return options;
}

bool check(const char* method, const triplex::Status& status) {
  if (status.ok()) return true;
  std::cerr << method << " failed: " << status.to_string() << "\n";
  return false;
}

asio::awaitable<bool> say(ElizaService::Client& eliza) {
  SayRequest request;
  request.set_sentence("I feel happy.");
  SayResponse response;
  triplex::CallOptions options = call_options();
  triplex::Status status = co_await eliza.Say(request, response, std::move(options));
  if (!check("Say", status)) co_return false;
  std::cout << "Say: " << response.sentence() << std::endl;
  co_return true;
}

asio::awaitable<bool> introduce(ElizaService::Client& eliza) {
  IntroduceRequest request;
  request.set_name("Alice");
  triplex::CallOptions options = call_options();
  auto reader = co_await eliza.Introduce(request, std::move(options));
  IntroduceResponse response;
  while (co_await reader.read(response)) {
    std::cout << "Introduce: " << response.sentence() << std::endl;
  }
  triplex::Status status = co_await reader.finish();
  co_return check("Introduce", status);
}

asio::awaitable<bool> converse(ElizaService::Client& eliza) {
  auto stream = eliza.Converse(call_options());
  static constexpr const char* kSentences[] = {"Hello, I am Alice.", "I feel sad today.",
                                               "My mother hates me."};
  ConverseRequest request;
  ConverseResponse response;
  for (const char* sentence : kSentences) {
    request.set_sentence(sentence);
    if (!co_await stream.write(request)) break;
    if (!co_await stream.read(response)) break;
    std::cout << "Converse: " << response.sentence() << std::endl;
  }
  triplex::Status status = co_await stream.finish();
  co_return check("Converse", status);
}

asio::awaitable<bool> talk(std::shared_ptr<triplex::Channel> channel, bool full_duplex) {
  ElizaService::Client eliza(channel);
  bool said = co_await say(eliza);
  bool introduced = co_await introduce(eliza);
  bool conversed = true;
  if (full_duplex) {
    conversed = co_await converse(eliza);
  } else {
    std::cout << "Converse: skipped (HTTP/1.1 is half-duplex)" << std::endl;
  }
  co_return said&& introduced&& conversed;
}

// The coroutine Client on an io_context of our own.
bool run_async(const Flags& flags) {
  asio::io_context io;
  auto channel = triplex::Channel::create(io, flags.url, channel_options(flags));
  bool ok = false;
  asio::co_spawn(io, talk(channel, !flags.http1), [&](std::exception_ptr error, bool result) {
    ok = result && !error;
    if (error) std::cerr << "the calls failed with an exception\n";
    channel->close();
    io.stop();
  });
  io.run();
  return ok;
}

// The BlockingClient, as a program without coroutines would call.
bool run_blocking(const Flags& flags) {
  auto channel = std::make_shared<triplex::BlockingChannel>(flags.url, channel_options(flags));
  ElizaService::BlockingClient eliza(channel);
  SayRequest request;
  request.set_sentence("I am feeling blocked.");
  SayResponse response;
  triplex::Status status = eliza.Say(request, response, call_options());
  if (!check("Blocking Say", status)) return false;
  std::cout << "Blocking Say: " << response.sentence() << std::endl;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app("Talks to the Eliza demo service with the generated client stubs.");
  app.add_option("url", flags.url, "the server, https://host:port or http://host:port")->required();
  app.add_option("--protocol", flags.protocol, "connect (default), grpc or grpcweb")
      ->check(CLI::IsMember({"connect", "grpc", "grpcweb"}));
  auto* h1 = app.add_flag("--http1.1", flags.http1, "HTTP/1.1");
  auto* h2 = app.add_flag("--http2", flags.http2, "HTTP/2 (h2c for http://)");
  auto* h3 = app.add_flag("--http3", flags.http3, "HTTP/3 over QUIC");
  h1->excludes(h2)->excludes(h3);
  h2->excludes(h3);
  app.add_flag("-k,--insecure", flags.insecure, "do not verify the server's certificate");
  CLI11_PARSE(app, argc, argv);

  try {
    bool ok = run_async(flags);
    ok = run_blocking(flags) && ok;
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "eliza_client: " << e.what() << "\n";
    return 1;
  }
}
