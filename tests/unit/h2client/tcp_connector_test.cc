// connect_tcp: name resolution and address order, refused and silent
// servers, the timeout over connect and handshake, and TLS certificate
// checks (CA file, system trust store, host names and addresses, insecure).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include "src/net/tcp_connector.h"
#include "tests/support/test_pki.h"
#include "tests/unit/h2client/h2client_test_support.h"

namespace triplex::http::testing {
namespace {

using net::ClientTlsContext;
using net::ClientTlsOptions;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

ClientTlsOptions verifying(const std::string& ca_file) {
  ClientTlsOptions options;
  options.ca_file = ca_file;
  options.alpn = {"h2"};
  return options;
}

class TcpConnectorTest : public ::testing::Test {
 protected:
  std::unique_ptr<net::ByteStream> connect(const std::string& host, std::uint16_t port,
                                           const ClientTlsContext* tls = nullptr,
                                           const std::string& name = "",
                                           std::chrono::milliseconds timeout = 5s) {
    return run(io_, net::connect_tcp(io_.get_executor(), host, port, tls, name, timeout));
  }
  // The message connect() fails with ("" if it does not).
  std::string failure(const std::string& host, std::uint16_t port, const ClientTlsContext* tls,
                      const std::string& name) {
    try {
      connect(host, port, tls, name);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }

  asio::io_context io_;
};

TEST_F(TcpConnectorTest, ResolvesNamesAndTriesEachAddress) {
  TestServer server;  // 127.0.0.1 only: "localhost" may offer ::1 first, which refuses
  auto stream = connect("localhost", server.port());
  EXPECT_EQ(stream->peer().remote.port(), server.port());
  EXPECT_TRUE(stream->peer().remote.address().is_loopback());
  EXPECT_FALSE(stream->peer().tls);
}

TEST_F(TcpConnectorTest, AClosedPortIsRefusedAtOnce) {
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  auto started = std::chrono::steady_clock::now();
  try {
    connect("127.0.0.1", port);
    FAIL() << "connected to a closed port";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), asio::error::connection_refused);
    std::string what = lower(e.what());
    EXPECT_NE(what.find("connect to 127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("connection refused"), std::string::npos) << what;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(TcpConnectorTest, TheTimeoutCoversTheTlsHandshake) {
  // Listening but never accepting: TCP connects, the ClientHello goes unanswered.
  asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
  ClientTlsOptions options;
  options.insecure = true;
  ClientTlsContext tls(options);
  auto started = std::chrono::steady_clock::now();
  try {
    connect("127.0.0.1", silent.local_endpoint().port(), &tls, "localhost", 200ms);
    FAIL() << "handshake with a silent server";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::timed_out);
    std::string what = e.what();
    EXPECT_NE(what.find("TLS handshake with 127.0.0.1:"), std::string::npos) << what;
    EXPECT_NE(lower(what).find("timed out"), std::string::npos) << what;
  }
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
}

TEST_F(TcpConnectorTest, TheTimeoutCoversConnecting) {
  // A full accept queue: Linux drops further SYNs, so connecting hangs.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(fd, 0), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::uint16_t port = ntohs(addr.sin_port);
  std::vector<std::unique_ptr<net::ByteStream>> fillers;
  for (int i = 0; i < 2; ++i) {
    try {
      fillers.push_back(connect("127.0.0.1", port, nullptr, "", 200ms));
    } catch (const std::system_error&) {
      break;  // already full
    }
  }
  try {
    connect("127.0.0.1", port, nullptr, "", 300ms);
    ::close(fd);
    GTEST_SKIP() << "this kernel accepted a connection past a full backlog";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
    EXPECT_NE(std::string(e.what()).find("connect to 127.0.0.1:"), std::string::npos) << e.what();
  }
  ::close(fd);
}

TEST_F(TcpConnectorTest, VerifiesTheServerAgainstACaFile) {
  triplex::testing::Pki pki;
  ASSERT_TRUE(pki.ok());
  TlsOptions server_tls;
  server_tls.cert_file = pki.path("server.pem");
  server_tls.key_file = pki.path("server.key");
  TestServer server({}, server_tls);
  ClientTlsContext tls(verifying(pki.path("ca.pem")));

  auto by_name = connect("127.0.0.1", server.port(), &tls, "localhost");
  EXPECT_TRUE(by_name->peer().tls);
  EXPECT_EQ(by_name->peer().alpn, "h2");
  // An address is checked against the certificate's IP addresses.
  EXPECT_NO_THROW(connect("127.0.0.1", server.port(), &tls, "127.0.0.1"));

  std::string what = failure("127.0.0.1", server.port(), &tls, "other.example");
  EXPECT_NE(what.find("TLS: certificate verify failed: "), std::string::npos) << what;
  EXPECT_NE(what.find("mismatch"), std::string::npos) << what;
}

TEST_F(TcpConnectorTest, SelfSignedServersFailVerification) {
  TestServer server({}, TlsOptions{});  // self-signed
  triplex::testing::Pki pki;
  ASSERT_TRUE(pki.ok());
  for (const std::string& ca_file : {std::string(), pki.path("ca.pem")}) {
    ClientTlsContext tls(verifying(ca_file));  // empty: the system's trust store
    std::string what = failure("127.0.0.1", server.port(), &tls, "localhost");
    EXPECT_NE(what.find("TLS: certificate verify failed: "), std::string::npos) << what;
    EXPECT_NE(what.find("self-signed"), std::string::npos) << what;
  }
}

TEST_F(TcpConnectorTest, InsecureAcceptsAnyCertificateAndNegotiatesAlpn) {
  TestServer server({}, TlsOptions{});  // self-signed, offers h2 and http/1.1
  ClientTlsOptions options;
  options.insecure = true;
  options.alpn = {"http/1.1"};
  ClientTlsContext tls(options);
  auto stream = connect("127.0.0.1", server.port(), &tls, "localhost");
  EXPECT_TRUE(stream->peer().tls);
  EXPECT_EQ(stream->peer().alpn, "http/1.1");
}

TEST_F(TcpConnectorTest, BadTlsFilesAreReportedClearly) {
  ClientTlsOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  try {
    ClientTlsContext tls(options);
    FAIL() << "loaded a missing CA file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
  }
  options = {};
  options.cert_file = "client.pem";  // without a key
  EXPECT_THROW(ClientTlsContext{options}, std::runtime_error);
}

}  // namespace
}  // namespace triplex::http::testing
