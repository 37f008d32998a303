#pragma once
// The gRPC interop test cases (grpc's doc/interop-test-descriptions.md) as
// coroutines on the triplex client, for any grpc.testing.TestService server
// and any protocol x HTTP version the client speaks.
//
// A case throws CaseFailure to fail and CaseSkipped when the transport cannot
// carry what it needs (HTTP/1.1 is half-duplex; gRPC-Web there cannot stream
// requests; Connect has no bidi streaming on HTTP/1.1).
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "triplex/client.h"

namespace triplex::interop {

struct CaseFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CaseSkipped : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What one RPC protocol can carry over one HTTP version.
struct TransportCaps {
  RpcProtocol protocol = RpcProtocol::kGrpc;
  HttpVersion http = HttpVersion::kHttp2;

  bool client_streaming() const;
  // Bidi calls that write everything before reading (request, then response).
  bool half_duplex_bidi() const;
  // Bidi calls that read a response before the request has ended.
  bool full_duplex() const;
  // The version a call goes over (kAuto: HTTP/2), as ClientCall::http_version() says it.
  HttpVersion http_used() const;
  // "gRPC-Web over HTTP/1.1"
  std::string describe() const;
};

// Everything a case works with: channels to the server (made on first use,
// each with different options) and what the transport can carry. Lives on
// the io_context's thread.
class CaseEnv {
 public:
  CaseEnv(asio::io_context& io, std::string target, ChannelOptions options);
  ~CaseEnv();
  CaseEnv(const CaseEnv&) = delete;
  CaseEnv& operator=(const CaseEnv&) = delete;

  const TransportCaps& caps() const { return caps_; }
  const ChannelOptions& options() const { return options_; }
  // Requests uncompressed.
  Channel& plain();
  // Requests gzip-compressed (every message big enough to gain).
  Channel& gzip();
  // Connect unary NO_SIDE_EFFECTS calls as GET.
  Channel& connect_get();
  // Closes every channel's connections (so the io_context can run out of work).
  void close();

  // Set by a case that ran only some of its parts; printed after PASS.
  std::string note;

 private:
  std::shared_ptr<Channel> make(ChannelOptions options);

  asio::io_context& io_;
  std::string target_;
  ChannelOptions options_;
  TransportCaps caps_;
  std::shared_ptr<Channel> plain_;
  std::shared_ptr<Channel> gzip_;
  std::shared_ptr<Channel> get_;
};

using CaseFn = asio::awaitable<void> (*)(CaseEnv&);

struct InteropCase {
  const char* name;
  CaseFn run;
};

// Every case, in the order grpc's descriptions list them.
const std::vector<InteropCase>& all_cases();

enum class Outcome { kPass, kSkip, kFail };

struct CaseResult {
  Outcome outcome = Outcome::kPass;
  std::string detail;  // why it failed or was skipped, or a note on a pass
};

// Runs one case; never throws.
asio::awaitable<CaseResult> run_case(const InteropCase& test, CaseEnv& env);

}  // namespace triplex::interop
