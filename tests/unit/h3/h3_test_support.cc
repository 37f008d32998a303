#include "tests/unit/h3/h3_test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/eventually.h"

namespace triplex::http::testing {

// --- the test application -------------------------------------------------------------------

namespace {

// Waits for the handshake, answers "early=E confirmed=C".
asio::awaitable<void> after_handshake(Exchange& ex, Probe&, const std::string&) {
  bool early = ex.is_early_data();
  bool confirmed = co_await ex.wait_for_handshake();
  std::string text =
      std::string("early=") + (early ? "1" : "0") + " confirmed=" + (confirmed ? "1" : "0");
  co_await reply(ex, head_with(200, {}), std::move(text));
}

}  // namespace

ExchangeHandler make_handler(std::shared_ptr<Probe> probe) {
  using routes::EchoTrailer;
  ResponseHead text_plain = head_with(200, {{"content-type", "text/plain"}});
  RouteTable table;
  table.add("/hello", routes::fixed(text_plain, "hello h3"))
      .add("/echo", routes::echo(text_plain, EchoTrailer::kNone))
      .add("/echo-trailer", routes::echo(text_plain, EchoTrailer::kByteCount))
      .add("/stream", routes::stream())  // ?n=&size=
      .add("/respond-204", routes::respond(head_with(204, {{"x-kind", "respond"}})))
      .add("/no-read", routes::fixed(head_with(200, {}), "ok"))  // without reading the body
      .add("/wait-body", routes::wait_body())
      .add("/gate-read", routes::gate_read())
      // With the version, the ALPN and whether the request came as 0-RTT.
      .add("/info", routes::info({.version_and_alpn = true, .early_data = true}))
      .add("/reset", routes::reset(ResetReason::kCancel))
      .add("/reset-refused", routes::reset(ResetReason::kRefused))
      .add("/extra", routes::extra_header())
      .add("/slow", routes::slow())
      .add("/sleep", routes::sleep())  // ?ms=
      .add("/after-handshake", after_handshake);
  return table.handler(std::move(probe));
}

// --- TestServer -----------------------------------------------------------------------------

TestServer::TestServer(ConnectionOptions options, std::size_t workers, const std::string& address)
    : pool_(workers) {
  start(make_handler(probe_), options, {}, address);
}

TestServer::TestServer(ExchangeHandler handler, ConnectionOptions options, TlsOptions tls)
    : pool_(1) {
  start(std::move(handler), options, std::move(tls), "127.0.0.1");
}

void TestServer::start(ExchangeHandler handler, const ConnectionOptions& options, TlsOptions tls,
                       const std::string& address) {
  if (tls.cert_file.empty()) tls.self_signed = true;
  tls_ = std::make_shared<net::TlsContext>(tls);
  asio::ip::udp::endpoint bind_to(asio::ip::make_address(address), 0);
  listener_ = std::make_unique<Http3Listener>(pool_, bind_to, tls_, options, std::move(handler));
  pool_.start();
}

TestServer::~TestServer() {
  listener_->drain();
  wait_idle(3000ms);
  pool_.stop();
  pool_.join();
  listener_.reset();
}

bool TestServer::wait_idle(std::chrono::milliseconds timeout) {
  return triplex::testing::eventually([&] { return listener_->open_connections() == 0; }, timeout);
}

// --- gtlsclient -----------------------------------------------------------------------------

const std::string* Response::header(std::string_view name) const {
  return find_field(headers, name);
}

const std::string* Response::trailer(std::string_view name) const {
  return find_field(trailers, name);
}

namespace {

std::string temp_dir() {
  char pattern[] = "/tmp/h3test.XXXXXX";
  const char* dir = ::mkdtemp(pattern);
  if (dir == nullptr) throw std::runtime_error("mkdtemp failed");
  return dir;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::uint64_t hex(const std::string& text) { return std::stoull(text, nullptr, 16); }

// Appends the bytes of one hex-dump line ("00000010  68 65 ...  |he...|").
void append_hex_line(const std::string& line, std::string& out) {
  auto end = line.find('|');
  std::istringstream in(line.substr(10, end == std::string::npos ? std::string::npos : end - 10));
  std::string token;
  while (in >> token) out.push_back(static_cast<char>(std::stoi(token, nullptr, 16)));
}

}  // namespace

const Response* ClientRun::stream(std::int64_t id) const {
  for (const auto& r : responses) {
    if (r.stream_id == id) return &r;
  }
  return nullptr;
}

ClientRun parse_client_log(std::string log) {
  ClientRun run;
  std::map<std::int64_t, Response> streams;
  auto at = [&](std::int64_t id) -> Response& {
    Response& r = streams[id];
    r.stream_id = id;
    return r;
  };
  static const std::regex kHttp(R"(^http: stream 0x([0-9a-f]+) (.*)$)");
  static const std::regex kField(R"(^\[(:?[^:]+): (.*)\]$)");
  static const std::regex kBody(R"(^body (\d+) bytes$)");
  static const std::regex kClosed(R"(^HTTP stream (\d+) closed with error code (\d+))");
  static const std::regex kReset(
      R"(frm rx .*RESET_STREAM\(0x04\) id=0x([0-9a-f]+) .*\(0x([0-9a-f]+)\))");
  static const std::regex kStop(
      R"(frm rx .*STOP_SENDING\(0x05\) id=0x([0-9a-f]+) .*\(0x([0-9a-f]+)\))");
  static const std::regex kClose(
      R"(frm rx .*CONNECTION_CLOSE\((0x1[cd])\) error_code=.*?\((0x[0-9a-f]+)\))");
  static const std::regex kOffset(R"(^([0-9a-f]{8})( .*)?$)");
  std::istringstream in(log);
  std::string line;
  std::int64_t body_stream = -1;  // the stream a hex dump belongs to
  bool in_trailers = false;
  std::string chunk, last_line;
  bool repeating = false;
  std::smatch m;
  auto end_chunk = [&] {
    if (body_stream >= 0) at(body_stream).body += chunk;
    chunk.clear();
    body_stream = -1;
    repeating = false;
  };
  while (std::getline(in, line)) {
    if (body_stream >= 0) {
      if (line == "*") {
        repeating = true;
        continue;
      }
      if (std::regex_match(line, m, kOffset)) {
        std::size_t offset = hex(m[1]);
        while (repeating && chunk.size() + last_line.size() <= offset && !last_line.empty()) {
          chunk += last_line;
        }
        repeating = false;
        if (m[2].matched) {
          std::string bytes;
          append_hex_line(line, bytes);
          chunk += bytes;
          last_line = bytes;
        } else {
          end_chunk();
        }
        continue;
      }
      end_chunk();
    }
    if (std::regex_match(line, m, kHttp)) {
      std::int64_t id = static_cast<std::int64_t>(hex(m[1]));
      std::string rest = m[2];
      std::smatch f;
      if (rest == "response headers started") {
        in_trailers = false;
      } else if (rest == "trailers started") {
        in_trailers = true;
      } else if (std::regex_match(rest, f, kField)) {
        Response& r = at(id);
        Header h{f[1], f[2]};
        if (h.name == ":status") {
          r.status = std::stoi(h.value);
        } else {
          (in_trailers ? r.trailers : r.headers).push_back(std::move(h));
        }
      } else if (std::regex_match(rest, f, kBody)) {
        at(id).body_bytes += std::stoul(f[1]);
        body_stream = id;
        chunk.clear();
        last_line.clear();
      }
    } else if (std::regex_search(line, m, kClosed)) {
      at(std::stoll(m[1])).close_code = std::stoll(m[2]);
    } else if (std::regex_search(line, m, kReset)) {
      at(static_cast<std::int64_t>(hex(m[1]))).reset_code = static_cast<std::int64_t>(hex(m[2]));
    } else if (std::regex_search(line, m, kStop)) {
      at(static_cast<std::int64_t>(hex(m[1]))).stop_sending_code =
          static_cast<std::int64_t>(hex(m[2]));
    } else if (std::regex_search(line, m, kClose)) {
      run.connection_closes.push_back(m[1].str() + " " + m[2].str());
    } else if (line == "QUIC handshake has completed") {
      run.handshake_completed = true;
    } else if (line.rfind("Negotiated ALPN is ", 0) == 0) {
      run.alpn = line.substr(19);
    }
  }
  end_chunk();
  for (auto& [id, r] : streams) {
    // Server-initiated unidirectional streams (control, QPACK) are not requests.
    if ((id & 0x3) == 0) run.responses.push_back(std::move(r));
  }
  run.log = std::move(log);
  return run;
}

ClientRun run_client(std::uint16_t port, const std::vector<std::string>& paths,
                     const ClientOptions& options) {
  ClientRun run;
  std::string dir = temp_dir();
  std::string log_path = dir + "/client.log";
  std::vector<std::string> args = {H3_TESTS_GTLSCLIENT, "--no-quic-dump", "--timeout=10s"};
  if (options.exit_when_streams_close) args.push_back("--exit-on-all-streams-close");
  if (!options.dump_bodies) {
    std::filesystem::create_directory(dir + "/download");
    args.push_back("--no-http-dump");
    args.push_back("--download=" + dir + "/download");
  }
  if (options.method != "GET") {
    args.push_back("-m");
    args.push_back(options.method);
  }
  if (!options.body.empty()) {
    std::string body_path = dir + "/body";
    std::ofstream(body_path, std::ios::binary) << options.body;
    args.push_back("-d");
    args.push_back(body_path);
  }
  for (const auto& a : options.extra_args) args.push_back(a);
  std::string authority =
      options.host.find(':') == std::string::npos ? options.host : "[" + options.host + "]";
  authority += ":" + std::to_string(port);
  args.push_back(options.host);
  args.push_back(std::to_string(port));
  for (const auto& p : paths) args.push_back("https://" + authority + p);

  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + options.timeout;
  if (options.kill_after.count() > 0) deadline = start + options.kill_after;
  int status = 0;
  bool killed = false;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  run = parse_client_log(read_file(log_path));
  if (const char* keep = std::getenv("H3_TESTS_KEEP_LOGS")) {
    std::filesystem::copy_file(log_path, std::string(keep) + "/" + std::to_string(pid) + ".log");
  }
  run.exit_code = killed ? -9 : (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  if (!options.dump_bodies) {
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/download")) {
      run.downloads[entry.path().filename()] = read_file(entry.path());
    }
  }
  std::filesystem::remove_all(dir);
  return run;
}

}  // namespace triplex::http::testing
