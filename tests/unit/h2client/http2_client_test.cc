// The HTTP/2 client (Http2ClientConnection over connect_tcp) against the
// triplex HTTP server in the same process: requests and bodies, trailers,
// flow control as the caller reads, the server's stream limit, resets both
// ways, GOAWAY, h2c and TLS, keepalive; informational heads from a scripted
// peer; and nghttpd, a server we did not write, when it is installed.
//
// The client runs on an io_context driven by the test thread; the server on
// its own worker thread.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "src/http/h2/http2_client_connection.h"
#include "src/net/tcp_connector.h"
#include "tests/support/client_test_kit.h"
#include "tests/support/test_pki.h"
#include "tests/unit/h2client/h2client_test_support.h"

extern char** environ;

namespace triplex::http::testing {
namespace {

std::string field(const Headers& headers, std::string_view name) {
  const std::string* value = headers.find(name);
  return value ? *value : "<none>";
}

class Http2ClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<Http2ClientConnection> connect(std::uint16_t port,
                                                 const net::ClientTlsContext* tls = nullptr,
                                                 const Http2ClientOptions& options = {}) {
    auto stream =
        run(io_, net::connect_tcp(io_.get_executor(), "127.0.0.1", port, tls, "localhost", 5s));
    return Http2ClientConnection::start(std::move(stream), options);
  }
  Reply get(const std::shared_ptr<Http2ClientConnection>& c, std::string path) {
    return run(io_, fetch(c, request("GET", std::move(path))));
  }
  ResetReason reset_reason_of(const std::shared_ptr<Http2ClientConnection>& c, std::string path) {
    try {
      get(c, std::move(path));
    } catch (const ExchangeReset& e) {
      return e.reason;
    }
    return ResetReason::kNone;
  }

  asio::io_context io_;  // first: outlives the connections
};

TEST_F(Http2ClientTest, GetsAResponseOverH2c) {
  TestServer server;
  auto c = connect(server.port());
  EXPECT_TRUE(run(io_, c->wait_connected()));
  EXPECT_EQ(c->version(), HttpVersion::kHttp2);
  EXPECT_FALSE(c->peer().tls);
  Reply reply = get(c, "/hello");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "hello h2");
  EXPECT_EQ(field(reply.headers, "content-type"), "text/plain");
  RequestHead head = request("GET", "/info?x=1");
  head.headers.add("x-custom", "yes");
  Reply info = run(io_, fetch(c, std::move(head)));
  EXPECT_EQ(info.body, "GET\n/info?x=1\nhttp\nlocalhost\nHTTP/2\n\nx-custom=yes\n");
  EXPECT_EQ(c->active_requests(), 0u);
  EXPECT_TRUE(c->is_open());
}

TEST_F(Http2ClientTest, PostsBodiesAndReceivesTrailers) {
  TestServer server;
  auto c = connect(server.port());
  // The second is larger than the server's 1 MiB stream window.
  for (std::size_t size : {300u * 1024, 3u * 1024 * 1024}) {
    std::string body(size, 'x');
    for (std::size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
    Reply reply = run(io_, fetch(c, request("POST", "/echo-trailer"), body));
    EXPECT_EQ(reply.status, 200);
    EXPECT_TRUE(reply.body == body) << "echoed " << reply.body.size() << " of " << size;
    EXPECT_EQ(field(reply.trailers, "x-echo-bytes"), std::to_string(size));
  }
}

TEST_F(Http2ClientTest, LargeResponsesFlowOnlyAsTheCallerReads) {
  TestServer server;
  Http2ClientOptions options;
  options.stream_window = 64 * 1024;
  options.connection_window = 128 * 1024;
  auto c = connect(server.port(), nullptr, options);
  constexpr std::size_t kTotal = 4 * 1024 * 1024;
  auto exchange = c->open(request("GET", "/big?total=" + std::to_string(kTotal)), true);
  EXPECT_EQ(run(io_, exchange->read_head()).status, 200);
  run_for(io_, 300ms);
  // Unread: the server is held at our window plus its own write buffer.
  std::size_t written = server.probe().written;
  EXPECT_LT(written, 1024u * 1024) << "flow control did not hold the server back";
  std::string body = run(io_, read_body(exchange));
  EXPECT_EQ(body.size(), kTotal);
  EXPECT_EQ(body.find_first_not_of('x'), std::string::npos);
  // Streamed writes with trailers, through the same small windows.
  Reply streamed = get(c, "/stream?n=64&size=65536");
  ASSERT_EQ(streamed.body.size(), 64u * 65536);
  EXPECT_EQ(streamed.body[65536 * 3], 'd');
  EXPECT_EQ(field(streamed.trailers, "x-chunks"), "64");
  // Connection-level credit came back too.
  EXPECT_EQ(get(c, "/hello").body, "hello h2");
}

// A request body the server's handler never read gives its connection-level
// credit back when the stream closes; otherwise every POST answered without
// reading shrinks the connection window for good, and the connection stalls.
TEST_F(Http2ClientTest, UnreadRequestBodiesGiveTheirCreditBack) {
  ConnectionOptions server_options;
  server_options.connection_window = 65535;  // the initial window, never widened
  server_options.stream_window = 65535;
  TestServer server(server_options);
  auto c = connect(server.port());
  for (int i = 0; i < 6; ++i) {
    Reply reply = run(io_, fetch(c, request("POST", "/hello"), std::string(30 * 1024, 'u')), 5s);
    EXPECT_EQ(reply.body, "hello h2");
  }
  std::string body(60 * 1024, 'e');
  Reply echoed = run(io_, fetch(c, request("POST", "/echo-trailer"), body), 5s);
  EXPECT_EQ(echoed.body.size(), body.size());
}

TEST_F(Http2ClientTest, QueuesRequestsBeyondTheServersStreamLimit) {
  ConnectionOptions server_options;
  server_options.max_concurrent_streams = 100;
  TestServer server(server_options);
  auto c = connect(server.port());
  ASSERT_TRUE(run(io_, c->wait_connected()));
  constexpr int kRequests = 300;
  int ok = 0, failed = 0;
  for (int i = 0; i < kRequests; ++i) {
    asio::co_spawn(
        io_, fetch(c, request("GET", "/sleep?ms=20")),
        [&](std::exception_ptr e, Reply reply) { (!e && reply.body == "awake" ? ok : failed)++; });
  }
  EXPECT_EQ(c->active_requests(), std::size_t{kRequests});
  EXPECT_TRUE(run_until(
      io_, [&] { return ok + failed == kRequests; }, 30s));
  EXPECT_EQ(ok, kRequests);  // the server refuses streams past its limit: none were sent
  EXPECT_LE(server.probe().max_in_flight, 100);
  EXPECT_GE(server.probe().max_in_flight, 50);
  EXPECT_EQ(c->active_requests(), 0u);
}

TEST_F(Http2ClientTest, ServerResetsFailTheExchangeWithTheirReason) {
  TestServer server;
  auto c = connect(server.port());
  for (ResetReason reason : {ResetReason::kCancel, ResetReason::kRefused, ResetReason::kInternal,
                             ResetReason::kEnhanceYourCalm, ResetReason::kProtocol}) {
    int n = static_cast<int>(reason);
    EXPECT_EQ(reset_reason_of(c, "/reset?reason=" + std::to_string(n)), reason) << n;
  }
  EXPECT_EQ(get(c, "/hello").body, "hello h2");  // the connection goes on
}

TEST_F(Http2ClientTest, ClientResetsCancelTheServersHandler) {
  TestServer server;
  auto c = connect(server.port());
  int started = 0;
  for (ResetReason reason : {ResetReason::kCancel, ResetReason::kEnhanceYourCalm}) {
    auto exchange = c->open(request("GET", "/sleep?ms=5000"), true);
    ++started;
    ASSERT_TRUE(run_until(io_, [&] { return server.probe().in_flight == started; }));
    exchange->reset(reason);
    EXPECT_TRUE(exchange->is_reset());
    std::string event = "on_reset /sleep " + std::to_string(static_cast<int>(reason));
    EXPECT_TRUE(run_until(
        io_, [&] { return server.probe().contains(event); }, 3s))
        << event;
    try {
      run(io_, exchange->read_head());
      ADD_FAILURE() << "no reset";
    } catch (const ExchangeReset& e) {
      EXPECT_EQ(e.reason, reason);
    }
  }
  EXPECT_EQ(c->active_requests(), 0u);
  EXPECT_EQ(get(c, "/hello").body, "hello h2");
}

TEST_F(Http2ClientTest, ResettingARequestHeldBackByTheStreamLimitSendsNothing) {
  ConnectionOptions server_options;
  server_options.max_concurrent_streams = 1;
  TestServer server(server_options);
  auto c = connect(server.port());
  ASSERT_TRUE(run(io_, c->wait_connected()));
  auto first = c->open(request("GET", "/sleep?ms=300"), true);
  auto held = c->open(request("GET", "/hello"), true);
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().in_flight == 1; }));
  held->reset(ResetReason::kCancel);
  EXPECT_THROW(run(io_, held->read_head()), ExchangeReset);
  EXPECT_EQ(run(io_, read_reply(first)).body, "awake");
  // An RST_STREAM for a stream the server never saw would have been a
  // connection error.
  EXPECT_EQ(get(c, "/hello").body, "hello h2");
  auto events = server.probe().events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "done /hello"), 1);  // the held one never ran
  EXPECT_EQ(c->active_requests(), 0u);
}

TEST_F(Http2ClientTest, GoawayLetsRequestsInFlightFinishAndRefusesNewOnes) {
  TestServer server;
  auto c = connect(server.port());
  ASSERT_EQ(get(c, "/hello").status, 200);
  auto slow = c->open(request("GET", "/slow"), true);
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().contains("slow-started"); }));
  server.drain();
  ASSERT_TRUE(run_until(io_, [&] { return !c->is_open(); }));
  Reply reply = run(io_, read_reply(slow));
  EXPECT_EQ(reply.body, "slow");
  EXPECT_EQ(reset_reason_of(c, "/hello"), ResetReason::kRefused);  // safe to send elsewhere
  EXPECT_TRUE(run_until(io_, [&] { return server.open_connections() == 0; }));
}

TEST_F(Http2ClientTest, GoawayRefusesRequestsHeldBackByTheStreamLimit) {
  ConnectionOptions server_options;
  server_options.max_concurrent_streams = 2;
  TestServer server(server_options);
  auto c = connect(server.port());
  ASSERT_TRUE(run(io_, c->wait_connected()));
  int ok = 0, refused = 0, other = 0;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(io_, fetch(c, request("GET", "/sleep?ms=400")),
                   [&](std::exception_ptr e, Reply reply) {
                     if (!e) {
                       (reply.body == "awake" ? ok : other)++;
                       return;
                     }
                     try {
                       std::rethrow_exception(e);
                     } catch (const ExchangeReset& reset) {
                       (reset.reason == ResetReason::kRefused ? refused : other)++;
                     } catch (...) {
                       ++other;
                     }
                   });
  }
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().in_flight == 2; }));
  server.drain();
  EXPECT_TRUE(run_until(io_, [&] { return ok + refused + other == 5; }));
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(other, 0);
}

TEST_F(Http2ClientTest, SpeaksH2OverTlsWithAlpn) {
  TestServer server({}, TlsOptions{});  // self-signed
  net::ClientTlsOptions tls_options;
  tls_options.insecure = true;
  tls_options.alpn = {"h2"};
  net::ClientTlsContext tls(tls_options);
  auto c = connect(server.port(), &tls);
  EXPECT_TRUE(c->peer().tls);
  EXPECT_EQ(c->peer().alpn, "h2");
  EXPECT_TRUE(c->peer().client_subject.empty());  // the server's certificate is no client's
  Reply info = get(c, "/info");
  EXPECT_EQ(info.body, "GET\n/info\nhttps\nlocalhost\nHTTP/2\nh2\n");
  Reply echoed = run(io_, fetch(c, request("POST", "/echo-trailer"), std::string(100000, 'z')));
  EXPECT_EQ(echoed.body.size(), 100000u);
  EXPECT_EQ(field(echoed.trailers, "x-echo-bytes"), "100000");
}

TEST_F(Http2ClientTest, PresentsAClientCertificate) {
  triplex::testing::Pki pki;
  ASSERT_TRUE(pki.ok());
  TlsOptions server_tls;
  server_tls.cert_file = pki.path("server.pem");
  server_tls.key_file = pki.path("server.key");
  server_tls.client_ca_file = pki.path("ca.pem");
  server_tls.require_client_cert = true;
  TestServer server({}, server_tls);
  net::ClientTlsOptions tls_options;
  tls_options.ca_file = pki.path("ca.pem");
  tls_options.cert_file = pki.path("client.pem");
  tls_options.key_file = pki.path("client.key");
  tls_options.alpn = {"h2"};
  net::ClientTlsContext tls(tls_options);
  auto c = connect(server.port(), &tls);
  Reply info = get(c, "/info");
  EXPECT_NE(info.body.find("client=/CN=client\n"), std::string::npos) << info.body;
}

TEST_F(Http2ClientTest, DroppingOrClosingTheConnectionEndsIt) {
  TestServer server;
  auto c = connect(server.port());
  ASSERT_EQ(get(c, "/hello").status, 200);
  auto exchange = c->open(request("GET", "/sleep?ms=5000"), true);
  ASSERT_TRUE(run_until(io_, [&] { return server.probe().in_flight == 1; }));
  c->close();
  EXPECT_FALSE(c->is_open());
  try {
    run(io_, exchange->read_head());
    ADD_FAILURE() << "no reset";
  } catch (const ExchangeReset& e) {
    EXPECT_EQ(e.reason, ResetReason::kConnectionLost);
  }
  EXPECT_EQ(reset_reason_of(c, "/hello"), ResetReason::kConnectionLost);
  EXPECT_TRUE(run_until(io_, [&] { return server.open_connections() == 0; }));

  auto dropped = connect(server.port());
  ASSERT_EQ(get(dropped, "/hello").status, 200);
  ASSERT_EQ(server.open_connections(), 1u);
  dropped.reset();  // the last handle: the connection closes itself
  EXPECT_TRUE(run_until(io_, [&] { return server.open_connections() == 0; }));
}

TEST_F(Http2ClientTest, UnansweredKeepalivePingsCloseTheConnection) {
  ScriptedPeer peer([](PeerSocket& s) { s.drain_until_eof(); });  // never acks a PING
  Http2ClientOptions options;
  options.keepalive_time = 100ms;
  options.keepalive_timeout = 200ms;
  auto c = connect(peer.port(), nullptr, options);
  EXPECT_TRUE(run(io_, c->wait_connected()));
  run_for(io_, 500ms);
  EXPECT_TRUE(c->is_open());  // no requests, no pings
  auto exchange = c->open(request("GET", "/"), true);
  auto started = std::chrono::steady_clock::now();
  try {
    run(io_, exchange->read_head());
    ADD_FAILURE() << "no reset";
  } catch (const ExchangeReset& e) {
    EXPECT_EQ(e.reason, ResetReason::kConnectionLost);
  }
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_FALSE(c->is_open());
}

TEST_F(Http2ClientTest, AnsweredKeepalivePingsKeepTheConnection) {
  ConnectionOptions server_options;
  server_options.min_client_ping_interval = 1ms;  // no strikes for our pace
  TestServer server(server_options);
  Http2ClientOptions options;
  options.keepalive_time = 20ms;
  options.keepalive_timeout = 150ms;
  auto c = connect(server.port(), nullptr, options);
  // Silent for 600 ms: many pings, each answered within the timeout.
  EXPECT_EQ(get(c, "/sleep?ms=600").body, "awake");
  EXPECT_TRUE(c->is_open());
  EXPECT_FALSE(c->told_too_many_pings());
}

TEST_F(Http2ClientTest, ReportsTooManyPings) {
  TestServer server;  // pings during calls more often than every 5 minutes are strikes
  Http2ClientOptions options;
  options.keepalive_time = 30ms;
  auto c = connect(server.port(), nullptr, options);
  auto exchange = c->open(request("GET", "/sleep?ms=5000"), true);
  EXPECT_FALSE(c->told_too_many_pings());
  ASSERT_TRUE(run_until(
      io_, [&] { return c->told_too_many_pings(); }, 5s));
  EXPECT_FALSE(c->is_open());
  EXPECT_THROW(run(io_, exchange->read_head()), ExchangeReset);
}

TEST_F(Http2ClientTest, SkipsInformationalHeads) {
  ScriptedPeer peer([](PeerSocket& s) {
    if (!s.wait_for_frame(NGHTTP2_HEADERS)) return;
    s.send_headers(1, {{":status", "103"}, {"link", "</style.css>; rel=preload"}}, false);
    s.send_headers(1, {{":status", "200"}, {"content-type", "text/plain"}}, false);
    s.send_data(1, "after hints", false);
    s.send_headers(1, {{"x-trailer", "yes"}}, true);
    s.drain_until_eof();
  });
  auto c = connect(peer.port());
  Reply reply = get(c, "/");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers.find("link"), nullptr);
  EXPECT_EQ(field(reply.headers, "content-type"), "text/plain");
  EXPECT_EQ(reply.body, "after hints");
  EXPECT_EQ(field(reply.trailers, "x-trailer"), "yes");
}

// nghttpd (Debian's nghttp2-server) serving files over h2c: a server we did
// not write, with its own flow control and stream handling.
TEST_F(Http2ClientTest, FetchesFromNghttpd) {
  std::string nghttpd = H2CLIENT_TESTS_NGHTTPD;
  if (nghttpd.empty()) GTEST_SKIP() << "nghttpd is not installed";
  auto dir = std::filesystem::temp_directory_path() / ("h2client-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string big(3 * 1024 * 1024, 'n');
  for (std::size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  std::ofstream(dir / "hello.txt") << "hello from nghttpd";
  std::ofstream(dir / "big.bin", std::ios::binary) << big;

  // A free port: bind, read it back, release (nghttpd binds it next).
  asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = probe.local_endpoint().port();
  probe.close();
  std::string port_arg = std::to_string(port);
  std::string dir_arg = dir.string();
  std::vector<char*> argv = {nghttpd.data(),          const_cast<char*>("--no-tls"),
                             const_cast<char*>("-d"), dir_arg.data(),
                             port_arg.data(),         nullptr};
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, nghttpd.c_str(), nullptr, nullptr, argv.data(), environ), 0);

  std::shared_ptr<Http2ClientConnection> c;
  for (int attempt = 0; attempt < 100 && !c; ++attempt) {
    try {
      c = connect(port);
    } catch (const std::exception&) {
      std::this_thread::sleep_for(30ms);  // still starting
    }
  }
  if (c) {
    Reply hello = get(c, "/hello.txt");
    EXPECT_EQ(hello.status, 200);
    EXPECT_EQ(hello.body, "hello from nghttpd");
    Reply large = get(c, "/big.bin");
    EXPECT_TRUE(large.body == big) << large.body.size();
    EXPECT_EQ(get(c, "/missing").status, 404);
  } else {
    ADD_FAILURE() << "nghttpd did not start";
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace triplex::http::testing
