// A stand-in for `triplex eliza` and `triplex-interop-server` with HTTP/3 on
// the UDP port of the same number as the TCP port, for the buf curl --http3
// checks until triplex::Server starts an Http3Listener itself. It assembles
// the stack as Server::start does: workers, TLS, the three RPC protocols,
// HttpServer (advertising h3 with Alt-Svc) behind a TcpListener, and an
// Http3Listener feeding the same CallDispatcher.
//
//   h3_interop_server eliza --listen 127.0.0.1:0 --self-signed
//   h3_interop_server --listen 127.0.0.1:0 --self-signed      (grpc.testing.TestService)
//
// Prints "listening on HOST:PORT (...)" and drains both listeners on SIGTERM.
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "examples/eliza/eliza_service.h"
#include "src/http/h3/http3_listener.h"
#include "src/http/http_server.h"
#include "src/interop/benchmark_service.h"
#include "src/interop/test_service.h"
#include "src/net/tcp_listener.h"
#include "src/net/tls_context.h"
#include "src/net/worker_pool.h"
#include "src/rpc/call_dispatcher.h"
#include "src/rpc/protocol_connect.h"
#include "src/rpc/protocol_grpc.h"
#include "src/rpc/router.h"
#include "triplex/health.h"

namespace {

using namespace triplex;

int usage() {
  std::cerr << "usage: h3_interop_server [eliza] --listen HOST:PORT --self-signed [--workers N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool eliza = false;
  std::string listen = "127.0.0.1:0";
  std::size_t workers = 2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "eliza") {
      eliza = true;
    } else if (arg == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else if (arg == "--workers" && i + 1 < argc) {
      workers = std::stoul(argv[++i]);
    } else if (arg != "--self-signed") {
      return usage();
    }
  }
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return usage();
  std::string host = listen.substr(0, colon);
  auto address = asio::ip::make_address(host);
  auto port = static_cast<unsigned short>(std::stoul(listen.substr(colon + 1)));

  std::vector<std::shared_ptr<Service>> services;
  if (eliza) {
    services.push_back(std::make_shared<eliza::ElizaServiceImpl>());
  } else {
    services.push_back(std::make_shared<interop::TestServiceImpl>());
    services.push_back(std::make_shared<interop::BenchmarkServiceImpl>());
  }
  services.push_back(std::make_shared<HealthService>());
  rpc::Router router;
  for (auto& service : services) {
    for (auto& method : service->methods()) router.add(std::move(method));
  }

  ConnectionOptions connection;
  net::WorkerPool pool(workers);
  TlsOptions tls_options;
  tls_options.self_signed = true;
  auto tls = std::make_shared<net::TlsContext>(tls_options);
  std::vector<std::unique_ptr<rpc::ServerProtocol>> protocols;
  protocols.push_back(std::make_unique<rpc::GrpcProtocol>(false));
  protocols.push_back(std::make_unique<rpc::GrpcProtocol>(true));
  protocols.push_back(std::make_unique<rpc::ConnectProtocol>());
  rpc::CallLimits limits;
  if (!eliza) limits = {16 * 1024 * 1024, 16 * 1024 * 1024};
  rpc::CallDispatcher dispatcher(router, std::move(protocols), {}, limits, rpc::CorsPolicy({"*"}));
  auto handler = [d = &dispatcher](std::shared_ptr<http::Exchange> ex) { d->dispatch(ex); };

  http::HttpServer http(pool, connection, handler);
  net::TcpListener tcp(pool, {address, port}, tls, [h = &http](std::unique_ptr<net::ByteStream> s) {
    h->accept(std::move(s));
  });
  std::uint16_t bound = tcp.local_endpoint().port();
  http::Http3Listener h3(pool, {address, bound}, tls, connection, handler);
  http.advertise_http3(bound);

  asio::signal_set signals(pool.context(0), SIGINT, SIGTERM);
  asio::steady_timer poll(pool.context(0));
  std::function<void()> wait_drained = [&] {
    if (http.open_connections() == 0 && h3.open_connections() == 0) {
      pool.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait([&](const asio::error_code&) { wait_drained(); });
  };
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    tcp.stop();
    http.drain();
    h3.drain();
    wait_drained();
  });

  std::cout << "listening on " << host << ":" << bound << " (HTTP/2 over TLS, HTTP/3)" << std::endl;
  pool.run();
  return 0;
}
