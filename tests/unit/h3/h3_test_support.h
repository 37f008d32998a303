#pragma once
// Test scaffolding for the HTTP/3 server: an Http3Listener on a background
// WorkerPool with the test application (tests/support/route_table.h: routes
// by path, a Probe through which handlers report what they saw), and a
// runner for ngtcp2's example client (gtlsclient) that parses the responses
// it logs.
//
// Concurrency: the server's connections and handlers run on the pool's
// threads; the Probe is the only state shared with the test thread
// (mutex-guarded, atomics).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/ip/udp.hpp>

#include "src/http/exchange.h"
#include "src/http/h3/http3_listener.h"
#include "src/net/tls_context.h"
#include "src/net/worker_pool.h"
#include "tests/support/route_table.h"

namespace triplex::http::testing {

using namespace std::chrono_literals;

// The test application: behaviour by path (see the .cc for the table).
ExchangeHandler make_handler(std::shared_ptr<Probe> probe);

// An Http3Listener on `address` (a free port; 127.0.0.1 unless told) with a
// self-signed certificate, on `workers` background threads.
class TestServer {
 public:
  explicit TestServer(ConnectionOptions options = {}, std::size_t workers = 1,
                      const std::string& address = "127.0.0.1");
  // Serving with `handler` instead of the test application, with `tls`
  // (self-signed when empty).
  explicit TestServer(ExchangeHandler handler, ConnectionOptions options = {}, TlsOptions tls = {});
  ~TestServer();

  std::uint16_t port() const { return listener_->local_endpoint().port(); }
  Probe& probe() { return *probe_; }
  Http3Listener& listener() { return *listener_; }
  // Waits until no connection is open; false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout = 5000ms);

 private:
  void start(ExchangeHandler handler, const ConnectionOptions& options, TlsOptions tls,
             const std::string& address);
  std::shared_ptr<Probe> probe_ = std::make_shared<Probe>();
  net::WorkerPool pool_;
  std::shared_ptr<net::TlsContext> tls_;
  std::unique_ptr<Http3Listener> listener_;
};

// One request stream as gtlsclient reported it.
struct Response {
  std::int64_t stream_id = -1;
  int status = 0;
  std::vector<Header> headers;
  std::vector<Header> trailers;
  std::string body;                     // from its hex dump (not with dump_bodies off)
  std::size_t body_bytes = 0;           // as counted by the client (not with dump_bodies off)
  std::int64_t close_code = -1;         // HTTP/3 error code the stream closed with
  std::int64_t reset_code = -1;         // RESET_STREAM from the server
  std::int64_t stop_sending_code = -1;  // STOP_SENDING from the server
  const std::string* header(std::string_view name) const;
  const std::string* trailer(std::string_view name) const;
};

// What one gtlsclient run saw.
struct ClientRun {
  int exit_code = -1;
  std::vector<Response> responses;  // by stream ID
  std::string log;                  // its stderr and stdout, for failure messages
  bool handshake_completed = false;
  std::string alpn;
  // CONNECTION_CLOSE frames received: "0x1c 0x2" (transport) or "0x1d 0x100".
  std::vector<std::string> connection_closes;
  // With dump_bodies off: the bodies the client saved, by file name.
  std::map<std::string, std::string> downloads;
  const Response* stream(std::int64_t id) const;
};

struct ClientOptions {
  std::string host = "127.0.0.1";  // the address to connect to ("::1" for IPv6)
  std::string method = "GET";
  std::string body;                     // sent from a temporary file when not empty
  bool dump_bodies = true;              // off: bodies land in ClientRun::downloads
  bool exit_when_streams_close = true;  // off: wait for the server to close
  std::vector<std::string> extra_args;
  std::chrono::milliseconds timeout{20000};
  std::chrono::milliseconds kill_after{0};  // SIGKILL the client this early
};

// Parses gtlsclient's log (without -q).
ClientRun parse_client_log(std::string log);

// Runs gtlsclient against 127.0.0.1:`port` for `paths` (one stream each)
// and waits for it to exit.
ClientRun run_client(std::uint16_t port, const std::vector<std::string>& paths,
                     const ClientOptions& options = {});

}  // namespace triplex::http::testing
