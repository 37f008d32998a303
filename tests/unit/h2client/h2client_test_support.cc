#include "tests/unit/h2client/h2client_test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace triplex::http::testing {

// --- the test application -------------------------------------------------------------------

namespace {

asio::awaitable<void> echo_with_trailer(Exchange& ex) {
  std::string body = co_await read_all(ex);
  std::size_t size = body.size();
  ex.send_head(head_with(200, {{"content-type", "application/octet-stream"}}));
  if (!body.empty()) co_await ex.write(std::move(body));
  Headers trailers;
  trailers.add("x-echo-bytes", std::to_string(size));
  ex.finish(std::move(trailers));
}

asio::awaitable<void> stream(Exchange& ex, std::size_t n, std::size_t size) {
  ex.send_head(head_with(200, {}));
  for (std::size_t i = 0; i < n; ++i) {
    std::string chunk(size, static_cast<char>('a' + i % 26));
    co_await ex.write(std::move(chunk));
  }
  Headers trailers;
  trailers.add("x-chunks", std::to_string(n));
  ex.finish(std::move(trailers));
}

asio::awaitable<void> big(Exchange& ex, Probe& probe, std::size_t total) {
  ex.send_head(head_with(200, {}));
  std::size_t sent = 0;
  while (sent < total) {
    std::size_t n = std::min<std::size_t>(64 * 1024, total - sent);
    std::string chunk(n, 'x');
    co_await ex.write(std::move(chunk));
    sent += n;
    probe.written = sent;
  }
  ex.finish({});
}

asio::awaitable<void> sleep_then_answer(Exchange& ex, Probe& probe, std::size_t ms) {
  int now = ++probe.in_flight;
  int seen = probe.max_in_flight;
  while (now > seen && !probe.max_in_flight.compare_exchange_weak(seen, now)) {
  }
  probe.add("sleep-started");
  std::chrono::milliseconds pause(ms);
  co_await sleep_for(pause);
  --probe.in_flight;
  ex.send_head(head_with(200, {}));
  std::string body = "awake";
  co_await ex.write(std::move(body));
  ex.finish({});
}

asio::awaitable<void> info(Exchange& ex) {
  const auto& r = ex.request();
  std::string text = r.method + "\n" + r.path + "\n" + r.scheme + "\n" + r.authority + "\n" +
                     std::string(http_version_name(ex.capabilities().version)) + "\n" +
                     ex.peer().alpn + "\n";
  for (const auto& h : r.headers) text += h.name + "=" + h.value + "\n";
  if (!ex.peer().client_subject.empty()) text += "client=" + ex.peer().client_subject + "\n";
  ex.send_head(head_with(200, {}));
  co_await ex.write(std::move(text));
  ex.finish({});
}

// Behaviour by path:
//   /hello            "hello h2"
//   /echo-trailer     reads the body, answers it with trailer x-echo-bytes
//   /stream?n=&size=  n writes of `size` bytes, trailer x-chunks
//   /big?total=       `total` bytes in 64 KiB writes, counted in Probe::written
//   /sleep?ms=        answers "awake" after `ms`; counts concurrent sleepers
//   /slow             reports slow-started, answers "slow" after 300 ms
//   /reset?reason=N   reset(ResetReason(N)) at once
//   /info             the request head as text (and version, ALPN, client certificate)
asio::awaitable<void> route_to(Exchange& ex, Probe& probe, const std::string& path,
                               const std::string& route) {
  if (route == "/hello") {
    ex.send_head(head_with(200, {{"content-type", "text/plain"}}));
    std::string body = "hello h2";
    co_await ex.write(std::move(body));
    ex.finish({});
  } else if (route == "/echo-trailer") {
    co_await echo_with_trailer(ex);
  } else if (route == "/stream") {
    std::size_t n = query_number(path, "n");
    std::size_t size = query_number(path, "size");
    co_await stream(ex, n, size);
  } else if (route == "/big") {
    std::size_t total = query_number(path, "total");
    co_await big(ex, probe, total);
  } else if (route == "/sleep") {
    std::size_t ms = query_number(path, "ms");
    co_await sleep_then_answer(ex, probe, ms);
  } else if (route == "/slow") {
    probe.add("slow-started");
    std::chrono::milliseconds pause = 300ms;
    co_await sleep_for(pause);
    ex.send_head(head_with(200, {}));
    std::string body = "slow";
    co_await ex.write(std::move(body));
    ex.finish({});
  } else if (route == "/reset") {
    ex.reset(static_cast<ResetReason>(query_number(path, "reason")));
  } else if (route == "/info") {
    co_await info(ex);
  } else {
    ex.respond(head_with(404, {}));
  }
}

asio::awaitable<void> serve(std::shared_ptr<Exchange> ex, std::shared_ptr<Probe> probe) {
  std::string path = ex->request().path;
  std::string route = path.substr(0, path.find('?'));
  ex->on_reset = [probe, route](ResetReason r) {
    probe->add("on_reset " + route + " " + std::to_string(static_cast<int>(r)));
  };
  try {
    co_await route_to(*ex, *probe, path, route);
    probe->add("done " + route);
  } catch (const ExchangeReset& e) {
    probe->add("reset " + route + " " + std::to_string(static_cast<int>(e.reason)));
  }
}

}  // namespace

ExchangeHandler make_handler(std::shared_ptr<Probe> probe) {
  return [probe](std::shared_ptr<Exchange> ex) {
    auto executor = ex->executor();
    asio::co_spawn(executor, serve(std::move(ex), probe), asio::detached);
  };
}

// --- TestServer -----------------------------------------------------------------------------

TestServer::TestServer(ConnectionOptions options, std::optional<TlsOptions> tls) {
  if (tls) {
    if (tls->cert_file.empty()) tls->self_signed = true;
    tls_ = std::make_shared<net::TlsContext>(*tls);
  }
  http_ = std::make_unique<HttpServer>(pool_, options, make_handler(probe_));
  asio::ip::tcp::endpoint bind_to(asio::ip::make_address("127.0.0.1"), 0);
  listener_ = std::make_unique<net::TcpListener>(
      pool_, bind_to, tls_,
      [http = http_.get()](std::unique_ptr<net::ByteStream> s) { http->accept(std::move(s)); });
  work_.emplace(pool_.context(0).get_executor());
  thread_ = std::thread([this] { pool_.run(); });
}

TestServer::~TestServer() {
  listener_->stop();
  http_->drain();
  wait_idle(3000ms);
  pool_.stop();
  thread_.join();
}

bool TestServer::wait_idle(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (http_->open_connections() != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// --- ScriptedPeer ---------------------------------------------------------------------------

PeerSocket::PeerSocket(int fd) : fd_(fd) {
  nghttp2_hd_deflater* deflater = nullptr;
  nghttp2_hd_deflate_new(&deflater, 4096);
  deflater_ = deflater;
}

PeerSocket::~PeerSocket() { nghttp2_hd_deflate_del(static_cast<nghttp2_hd_deflater*>(deflater_)); }

bool PeerSocket::fill() {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return false;
  char buf[16 * 1024];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

bool PeerSocket::wait_for_frame(std::uint8_t type) {
  for (;;) {
    if (!preface_seen_ && buffer_.size() >= NGHTTP2_CLIENT_MAGIC_LEN) {
      buffer_.erase(0, NGHTTP2_CLIENT_MAGIC_LEN);
      preface_seen_ = true;
    }
    while (preface_seen_ && buffer_.size() >= 9) {
      auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(buffer_[i]); };
      std::size_t length = (b(0) << 16) | (b(1) << 8) | b(2);
      if (buffer_.size() < 9 + length) break;
      std::uint8_t frame_type = b(3);
      buffer_.erase(0, 9 + length);
      if (frame_type == type) return true;
    }
    if (!fill()) return false;
  }
}

void PeerSocket::send_frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream,
                            const std::string& payload) {
  std::string frame(9, '\0');
  frame[0] = static_cast<char>(payload.size() >> 16);
  frame[1] = static_cast<char>(payload.size() >> 8);
  frame[2] = static_cast<char>(payload.size());
  frame[3] = static_cast<char>(type);
  frame[4] = static_cast<char>(flags);
  std::uint32_t id = htonl(static_cast<std::uint32_t>(stream));
  std::memcpy(frame.data() + 5, &id, 4);
  frame += payload;
  std::string_view rest = frame;
  while (!rest.empty()) {
    auto n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

void PeerSocket::send_headers(std::int32_t stream,
                              const std::vector<std::pair<std::string, std::string>>& fields,
                              bool end_stream) {
  std::vector<nghttp2_nv> nva;
  for (const auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  auto* deflater = static_cast<nghttp2_hd_deflater*>(deflater_);
  std::string block(nghttp2_hd_deflate_bound(deflater, nva.data(), nva.size()), '\0');
  auto n = nghttp2_hd_deflate_hd(deflater, reinterpret_cast<std::uint8_t*>(block.data()),
                                 block.size(), nva.data(), nva.size());
  if (n < 0) throw std::runtime_error("HPACK encoding failed");
  block.resize(static_cast<std::size_t>(n));
  std::uint8_t flags = NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0);
  send_frame(NGHTTP2_HEADERS, flags, stream, block);
}

void PeerSocket::send_data(std::int32_t stream, const std::string& data, bool end_stream) {
  send_frame(NGHTTP2_DATA, end_stream ? NGHTTP2_FLAG_END_STREAM : 0, stream, data);
}

void PeerSocket::drain_until_eof() {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && fill()) buffer_.clear();
}

ScriptedPeer::ScriptedPeer(std::function<void(PeerSocket&)> script) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 4) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("scripted peer: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this, script = std::move(script)] {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    connection_fd_ = fd;
    PeerSocket socket(fd);
    socket.send_frame(NGHTTP2_SETTINGS, 0, 0, {});
    script(socket);
  });
}

ScriptedPeer::~ScriptedPeer() {
  // Wakes the thread whether it still waits for the client or reads from it.
  ::shutdown(listen_fd_, SHUT_RDWR);
  int fd = connection_fd_.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  thread_.join();
  if (fd >= 0 || (fd = connection_fd_.load()) >= 0) ::close(fd);
  ::close(listen_fd_);
}

}  // namespace triplex::http::testing
