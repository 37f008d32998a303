// The HTTP/1.1 client against a peer we did not write: python3's
// http.server (python_peer.py beside this file). A file with Content-Length,
// kept alive across requests; HEAD; a 404 that says `Connection: close`;
// and an HTTP/1.0 response delimited by the connection's close.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/unit/h1client/h1client_test_support.h"

namespace triplex::http::testing {
namespace {

const std::string kPython = H1CLIENT_TESTS_PYTHON3;
const std::string kFolder = H1CLIENT_TESTS_DIR;

// python_peer.py in a child process; its first output line is its port.
class PythonPeer {
 public:
  PythonPeer() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    std::string script = kFolder + "/python_peer.py";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::execl(kPython.c_str(), kPython.c_str(), script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string line;
    char c;
    pollfd p{fds[0], POLLIN, 0};
    while (::poll(&p, 1, 10000) > 0 && ::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    if (!line.empty()) port_ = static_cast<std::uint16_t>(std::stoi(line));
  }
  ~PythonPeer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class Http1ClientPythonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kPython.empty()) GTEST_SKIP() << "python3 not found";
    peer_ = std::make_unique<PythonPeer>();
    ASSERT_NE(peer_->port(), 0) << "python_peer.py did not start";
  }

  Reply get(const std::shared_ptr<Http1ClientConnection>& conn, std::string path,
            std::string method = "GET") {
    return run(io_, complete(conn->open(request(std::move(method), std::move(path)), true)));
  }

  asio::io_context io_;
  std::unique_ptr<PythonPeer> peer_;
};

TEST_F(Http1ClientPythonTest, FileWithContentLengthKeptAlive) {
  const std::string expected = file_contents(kFolder + "/python_peer.py");
  ASSERT_FALSE(expected.empty());
  auto conn = connect(io_, peer_->port());
  for (int i = 0; i < 2; ++i) {
    Reply reply = get(conn, "/python_peer.py");
    ASSERT_FALSE(reply.reset) << i;
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.header("content-length"), std::to_string(expected.size()));
    EXPECT_EQ(reply.body, expected);
    EXPECT_TRUE(conn->is_open());
  }
  Reply head = get(conn, "/python_peer.py", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(expected.size()));
  EXPECT_EQ(head.body, "");
  EXPECT_TRUE(conn->is_open());
  Reply missing = get(conn, "/missing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_FALSE(missing.body.empty());
  EXPECT_FALSE(conn->is_open());  // it said `Connection: close`
}

TEST_F(Http1ClientPythonTest, Http10BodyEndsAtClose) {
  auto conn = connect(io_, peer_->port());
  auto exchange = conn->open(request("GET", "/until-close"), true);
  auto behind = conn->open(request("GET", "/python_peer.py"), true);
  Reply reply = run(io_, complete(exchange));
  ASSERT_FALSE(reply.reset);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-length"), "");
  EXPECT_EQ(reply.body, "line 0\nline 1\nline 2\n");
  EXPECT_FALSE(conn->is_open());
  EXPECT_EQ(run(io_, complete(behind)).reset, ResetReason::kRefused);
}

}  // namespace
}  // namespace triplex::http::testing
