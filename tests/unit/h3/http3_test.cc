// The HTTP/3 server end to end: an in-process Http3Listener, driven by
// ngtcp2's example client (gtlsclient) over loopback UDP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "tests/unit/h3/h3_test_support.h"

namespace triplex::http::testing {
namespace {

constexpr std::int64_t kH3NoError = 0x100;
constexpr std::int64_t kH3RequestRejected = 0x10b;
constexpr std::int64_t kH3RequestCancelled = 0x10c;

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// Sends one datagram to the server and returns the first answer (empty when
// none comes within `wait`).
std::string exchange_datagram(std::uint16_t port, const std::string& datagram,
                              std::chrono::milliseconds wait = 500ms) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  pollfd p{fd, POLLIN, 0};
  std::string answer;
  if (::poll(&p, 1, static_cast<int>(wait.count())) == 1) {
    char buf[2048];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n > 0) answer.assign(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

std::uint32_t read_u32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) |
         (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

#define ASSERT_RUN_OK(run) ASSERT_EQ((run).exit_code, 0) << (run).log.substr(0, 20000)

TEST(Http3, GetOverH3) {
  TestServer server;
  auto run = run_client(server.port(), {"/hello"});
  ASSERT_RUN_OK(run);
  EXPECT_TRUE(run.handshake_completed);
  EXPECT_EQ(run.alpn, "h3");
  ASSERT_EQ(run.responses.size(), 1u);
  const Response& r = run.responses[0];
  EXPECT_EQ(r.status, 200);
  ASSERT_NE(r.header("content-type"), nullptr);
  EXPECT_EQ(*r.header("content-type"), "text/plain");
  EXPECT_EQ(r.body, "hello h3");
  EXPECT_TRUE(r.trailers.empty());
  EXPECT_EQ(r.close_code, kH3NoError);
  EXPECT_TRUE(server.probe().wait_for("done /hello"));
}

TEST(Http3, RequestHeadAndCapabilities) {
  TestServer server;
  auto run = run_client(server.port(), {"/info?x=1&y=two"});
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  std::string expected =
      "GET\n/info?x=1&y=two\nhttps\n127.0.0.1:" + std::to_string(server.port()) + "\nHTTP/3\nh3\n";
  EXPECT_EQ(run.responses[0].body.substr(0, expected.size()), expected);
  EXPECT_NE(run.responses[0].body.find("user-agent="), std::string::npos);
}

TEST(Http3, PostBodyEchoedWithTrailers) {
  TestServer server;
  ClientOptions options;
  options.method = "POST";
  options.body = pattern(300 * 1024);
  auto run = run_client(server.port(), {"/echo-trailer"}, options);
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  const Response& r = run.responses[0];
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), options.body.size());
  EXPECT_TRUE(r.body == options.body);
  ASSERT_NE(r.trailer("x-echo-bytes"), nullptr);
  EXPECT_EQ(*r.trailer("x-echo-bytes"), std::to_string(options.body.size()));
  EXPECT_EQ(r.close_code, kH3NoError);
}

TEST(Http3, StreamedChunksThenTrailers) {
  TestServer server;
  auto run = run_client(server.port(), {"/stream?n=40&size=5000"});
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  const Response& r = run.responses[0];
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.body.size(), 40u * 5000u);
  for (std::size_t i = 0; i < 40; ++i) {
    ASSERT_EQ(r.body.substr(i * 5000, 5000), std::string(5000, static_cast<char>('a' + i % 26)));
  }
  ASSERT_NE(r.trailer("x-chunks"), nullptr);
  EXPECT_EQ(*r.trailer("x-chunks"), "40");
}

TEST(Http3, LargeResponseThroughSmallWriteBuffer) {
  ConnectionOptions options;
  options.stream_write_buffer = 64 * 1024;  // write() must wait for acknowledgements
  TestServer server(options);
  ClientOptions client;
  client.dump_bodies = false;
  auto run = run_client(server.port(), {"/stream?n=64&size=65536"}, client);
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  ASSERT_EQ(run.downloads.size(), 1u);
  EXPECT_EQ(run.downloads.begin()->second.size(), 64u * 65536u);
  ASSERT_NE(run.responses[0].trailer("x-chunks"), nullptr);
  EXPECT_TRUE(server.probe().wait_for("done /stream"));
}

TEST(Http3, RespondWithoutBody) {
  TestServer server;
  auto run = run_client(server.port(), {"/respond-204"});
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  EXPECT_EQ(run.responses[0].status, 204);
  ASSERT_NE(run.responses[0].header("x-kind"), nullptr);
  EXPECT_EQ(run.responses[0].body_bytes, 0u);
  EXPECT_EQ(run.responses[0].close_code, kH3NoError);
}

TEST(Http3, ExtraResponseHeadersAppended) {
  TestServer server;
  auto run = run_client(server.port(), {"/extra"});
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  ASSERT_NE(run.responses[0].header("x-extra"), nullptr);
  EXPECT_EQ(*run.responses[0].header("x-extra"), "1");
}

TEST(Http3, ResetCancelIsRequestCancelled) {
  TestServer server;
  auto run = run_client(server.port(), {"/reset"});
  ASSERT_EQ(run.responses.size(), 1u) << run.log;
  EXPECT_EQ(run.responses[0].status, 0);
  EXPECT_EQ(run.responses[0].reset_code, kH3RequestCancelled);
  EXPECT_EQ(run.responses[0].close_code, kH3RequestCancelled);
  // Our own reset is not reported back through on_reset.
  EXPECT_TRUE(server.probe().wait_for("done /reset"));
  EXPECT_FALSE(server.probe().contains("on_reset /reset 1"));
}

TEST(Http3, ResetRefusedIsRequestRejected) {
  TestServer server;
  auto run = run_client(server.port(), {"/reset-refused"});
  ASSERT_EQ(run.responses.size(), 1u) << run.log;
  EXPECT_EQ(run.responses[0].reset_code, kH3RequestRejected);
}

TEST(Http3, ManyStreamsOnOneConnection) {
  TestServer server;
  std::vector<std::string> paths;
  for (int i = 0; i < 30; ++i) paths.push_back(i % 2 ? "/hello" : "/stream?n=3&size=1000");
  auto run = run_client(server.port(), paths);
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(run.responses[i].status, 200);
    EXPECT_EQ(run.responses[i].body_bytes, i % 2 ? 8u : 3000u);
  }
}

TEST(Http3, MoreStreamsThanTheConcurrencyLimit) {
  ConnectionOptions options;
  options.max_concurrent_streams = 4;  // credit comes back as streams close
  TestServer server(options);
  std::vector<std::string> paths(20, "/hello");
  auto run = run_client(server.port(), paths);
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), paths.size());
  for (const auto& r : run.responses) EXPECT_EQ(r.body, "hello h3");
}

TEST(Http3, RequestBodyCreditFollowsTheHandler) {
  ConnectionOptions options;
  options.stream_window = 64 * 1024;
  TestServer server(options);
  ClientOptions client;
  client.method = "POST";
  client.body = pattern(1 << 20);
  std::thread release([&] {
    server.probe().wait_for("gate-waiting");
    std::this_thread::sleep_for(300ms);  // the client sends all it may meanwhile
    server.probe().gate = true;
  });
  auto run = run_client(server.port(), {"/gate-read"}, client);
  release.join();
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  EXPECT_EQ(run.responses[0].body, std::to_string(1 << 20));
  // Before the handler read anything, only the stream window had arrived.
  EXPECT_GT(server.probe().first_read.load(), 0u);
  EXPECT_LE(server.probe().first_read.load(), 64u * 1024u);
}

TEST(Http3, EarlyResponseAsksClientToStopSending) {
  ConnectionOptions options;
  options.stream_window = 64 * 1024;
  TestServer server(options);
  ClientOptions client;
  client.method = "POST";
  client.body = pattern(1 << 20);
  auto run = run_client(server.port(), {"/no-read"}, client);
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  EXPECT_EQ(run.responses[0].body, "ok");
  EXPECT_EQ(run.responses[0].stop_sending_code, kH3NoError);
  // The exchange ended well: the client's answering reset is no cancellation.
  EXPECT_TRUE(server.probe().wait_for("done /no-read"));
  std::this_thread::sleep_for(100ms);  // nothing to poll for: no on_reset may follow
  for (const auto& e : server.probe().events())
    EXPECT_EQ(e.rfind("on_reset", 0), std::string::npos) << e;
}

TEST(Http3, OversizedHeaderSectionGets431) {
  ConnectionOptions options;
  options.max_header_list_size = 100;  // gtlsclient's request head is larger
  TestServer server(options);
  auto run = run_client(server.port(), {"/hello"});
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  EXPECT_EQ(run.responses[0].status, 431);
  EXPECT_FALSE(server.probe().contains("done /hello"));
}

TEST(Http3, DrainFinishesStreamsThenClosesGracefully) {
  TestServer server;
  ClientOptions client;
  client.exit_when_streams_close = false;  // stay until the server closes
  std::thread drainer([&] {
    server.probe().wait_for("slow-started");
    server.listener().drain();
  });
  auto run = run_client(server.port(), {"/slow"}, client);
  drainer.join();
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  EXPECT_EQ(run.responses[0].body, "slow");
  ASSERT_FALSE(run.connection_closes.empty()) << run.log.substr(0, 20000);
  EXPECT_EQ(run.connection_closes.back(), "0x1d 0x100");  // H3_NO_ERROR
  EXPECT_TRUE(server.wait_idle());
}

TEST(Http3, DrainingListenerRefusesNewConnections) {
  TestServer server;
  server.listener().drain();
  auto run = run_client(server.port(), {"/hello"});
  ASSERT_FALSE(run.connection_closes.empty()) << run.log.substr(0, 20000);
  EXPECT_EQ(run.connection_closes.back(), "0x1c 0x2");  // CONNECTION_REFUSED
}

TEST(Http3, LostConnectionResetsTheExchange) {
  ConnectionOptions options;
  options.idle_timeout = 500ms;
  TestServer server(options);
  ClientOptions client;
  client.kill_after = 150ms;  // gone without a word, mid-response
  run_client(server.port(), {"/slow"}, client);
  // kConnectionLost is 6.
  EXPECT_TRUE(server.probe().wait_for("on_reset /slow 6", 5000ms));
  EXPECT_TRUE(server.wait_idle());
}

TEST(Http3, IdleConnectionTimesOut) {
  ConnectionOptions options;
  options.idle_timeout = 300ms;
  TestServer server(options);
  ClientOptions client;
  client.exit_when_streams_close = false;
  auto start = std::chrono::steady_clock::now();
  auto run = run_client(server.port(), {"/hello"}, client);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_EQ(run.responses.size(), 1u) << run.log;
  EXPECT_EQ(run.responses[0].body, "hello h3");
  EXPECT_TRUE(server.wait_idle());
}

TEST(Http3, QuietCallOutlivesTheIdleTimeout) {
  // As on HTTP/2, the idle timeout is for connections without calls.
  ConnectionOptions options;
  options.idle_timeout = 300ms;
  TestServer server(options);
  auto run = run_client(server.port(), {"/sleep?ms=1000"});
  ASSERT_RUN_OK(run);
  ASSERT_EQ(run.responses.size(), 1u);
  EXPECT_EQ(run.responses[0].body, "awake");
}

TEST(Http3, SeveralWorkersShareThePort) {
  TestServer server({}, 2);
  for (int i = 0; i < 6; ++i) {
    auto run = run_client(server.port(), {"/hello"});
    ASSERT_RUN_OK(run);
    ASSERT_EQ(run.responses.size(), 1u);
    EXPECT_EQ(run.responses[0].body, "hello h3");
  }
}

// The size of the server's first Handshake CRYPTO frame in a client log.
std::size_t server_handshake_size(const std::string& log) {
  static const std::regex kCrypto(R"(frm rx \d+ Handshake CRYPTO\(0x06\) offset=0 len=(\d+))");
  std::smatch m;
  return std::regex_search(log, m, kCrypto) ? std::stoul(m[1]) : 0;
}

TEST(Http3, SessionTicketsResumeHandshakes) {
  TestServer server;
  char dir[] = "/tmp/h3resume.XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  ClientOptions client;
  client.extra_args = {std::string("--session-file=") + dir + "/session",
                       std::string("--tp-file=") + dir + "/params", "--disable-early-data"};
  auto first = run_client(server.port(), {"/hello"}, client);
  ASSERT_RUN_OK(first);
  auto second = run_client(server.port(), {"/hello"}, client);
  ASSERT_RUN_OK(second);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(second.responses.size(), 1u);
  EXPECT_EQ(second.responses[0].body, "hello h3");
  // Resumed: no certificate in the server's Handshake flight.
  std::size_t full = server_handshake_size(first.log);
  std::size_t resumed = server_handshake_size(second.log);
  EXPECT_GT(full, 0u);
  EXPECT_GT(resumed, 0u);
  EXPECT_LT(resumed * 2, full);
}

TEST(Http3, ResumedClientsSendZeroRttRequests) {
  TestServer server;
  char dir[] = "/tmp/h3early.XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  ClientOptions client;
  client.extra_args = {std::string("--session-file=") + dir + "/session",
                       std::string("--tp-file=") + dir + "/params"};
  auto first = run_client(server.port(), {"/info"}, client);
  ASSERT_RUN_OK(first);
  ASSERT_EQ(first.responses.size(), 1u);
  EXPECT_NE(first.responses[0].body.find("early=0\n"), std::string::npos);
  // Resumed: the requests go out as 0-RTT, before the handshake completes.
  auto second = run_client(server.port(), {"/info", "/after-handshake"}, client);
  std::filesystem::remove_all(dir);
  ASSERT_RUN_OK(second);
  EXPECT_NE(second.log.find("0RTT STREAM"), std::string::npos);
  ASSERT_EQ(second.responses.size(), 2u);
  EXPECT_NE(second.responses[0].body.find("early=1\n"), std::string::npos);
  // wait_for_handshake() holds a request until replay is no longer possible.
  EXPECT_EQ(second.responses[1].body, "early=1 confirmed=1");
}

TEST(Http3, DatagramsReachTheOwningWorker) {
  // The kernel picks a worker's socket by address; a connection lives on the
  // worker named in its connection IDs, and datagrams are handed over.
  TestServer server({}, 2);
  for (const char* first : {"00", "01", "00", "01"}) {
    ClientOptions client;  // the client's first DCID names a worker too
    client.extra_args = {std::string("--dcid=") + first + "2233445566778899aabbccdd"};
    auto run = run_client(server.port(), {"/hello"}, client);
    ASSERT_RUN_OK(run);
    ASSERT_EQ(run.responses.size(), 1u);
    EXPECT_EQ(run.responses[0].body, "hello h3");
  }
  for (int i = 0; i < 4; ++i) {
    ClientOptions client;  // a new client port mid-call: maybe another socket
    client.extra_args = {"--change-local-addr=100ms"};
    auto run = run_client(server.port(), {"/slow"}, client);
    ASSERT_RUN_OK(run);
    ASSERT_EQ(run.responses.size(), 1u);
    EXPECT_EQ(run.responses[0].body, "slow");
  }
}

TEST(Http3, IPv6AndDualStack) {
  {
    TestServer server({}, 1, "::1");
    ClientOptions client;
    client.host = "::1";
    auto run = run_client(server.port(), {"/info"}, client);
    ASSERT_RUN_OK(run);
    ASSERT_EQ(run.responses.size(), 1u);
    EXPECT_NE(run.responses[0].body.find("[::1]:"), std::string::npos);
  }
  // Bound to any address: answers come from the address the client wrote
  // to, over IPv6 and (mapped) IPv4 alike.
  TestServer server({}, 2, "::");
  for (const char* host : {"::1", "127.0.0.1"}) {
    ClientOptions client;
    client.host = host;
    auto run = run_client(server.port(), {"/hello"}, client);
    ASSERT_RUN_OK(run);
    ASSERT_EQ(run.responses.size(), 1u);
    EXPECT_EQ(run.responses[0].body, "hello h3");
  }
}

TEST(Http3, UnknownVersionGetsVersionNegotiation) {
  TestServer server;
  std::string dcid = "\x11\x22\x33\x44\x55\x66\x77\x88";
  std::string scid = "\xa1\xa2\xa3\xa4\xa5";
  std::string packet = "\xc3";
  packet += std::string("\x5a\x6a\x7a\x8a", 4);  // not a version anyone speaks
  packet += static_cast<char>(dcid.size()) + dcid + static_cast<char>(scid.size()) + scid;
  packet.resize(1200, '\0');
  std::string answer = exchange_datagram(server.port(), packet);
  ASSERT_GE(answer.size(), 7u + dcid.size() + scid.size() + 4u);
  EXPECT_NE(answer[0] & 0x80, 0);
  EXPECT_EQ(read_u32(answer, 1), 0u);  // Version Negotiation
  // Its DCID is our SCID and the other way round.
  EXPECT_EQ(answer.substr(5, 1 + scid.size()), static_cast<char>(scid.size()) + scid);
  std::size_t at = 6 + scid.size();
  EXPECT_EQ(answer.substr(at, 1 + dcid.size()), static_cast<char>(dcid.size()) + dcid);
  bool v1 = false;
  for (at += 1 + dcid.size(); at + 4 <= answer.size(); at += 4) v1 |= read_u32(answer, at) == 1;
  EXPECT_TRUE(v1);

  // A datagram too small to be a client's first is not answered.
  packet.resize(600);
  EXPECT_EQ(exchange_datagram(server.port(), packet, 200ms), "");
}

TEST(Http3, UnknownShortHeaderPacketGetsStatelessReset) {
  TestServer server;
  std::string packet = "\x41";
  packet += std::string(18, '\x5c');  // a connection ID the server never issued
  packet += std::string(60, '\x33');
  std::string first = exchange_datagram(server.port(), packet);
  ASSERT_FALSE(first.empty());
  EXPECT_LT(first.size(), packet.size());  // never larger than what triggered it
  EXPECT_EQ(first[0] & 0xc0, 0x40);        // looks like a short-header packet
  // The token (last 16 bytes) is derived from the connection ID: the same again.
  std::string second = exchange_datagram(server.port(), packet);
  ASSERT_GE(second.size(), 16u);
  EXPECT_EQ(first.substr(first.size() - 16), second.substr(second.size() - 16));

  // Too short to be one of our packets: no answer.
  packet.resize(30);
  EXPECT_EQ(exchange_datagram(server.port(), packet, 200ms), "");
}

}  // namespace
}  // namespace triplex::http::testing
