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

#include "tests/support/eventually.h"

namespace triplex::http::testing {

// --- the test application -------------------------------------------------------------------

namespace {

// ?reason=N: reset(ResetReason(N)) at once.
asio::awaitable<void> reset_from_query(Exchange& ex, Probe&, const std::string& path) {
  ex.reset(static_cast<ResetReason>(query_number(path, "reason")));
  co_return;
}

}  // namespace

ExchangeHandler make_handler(std::shared_ptr<Probe> probe) {
  using routes::EchoTrailer;
  RouteTable table;
  table.add("/hello", routes::fixed(head_with(200, {{"content-type", "text/plain"}}), "hello h2"))
      .add("/echo-trailer",
           routes::echo(head_with(200, {{"content-type", "application/octet-stream"}}),
                        EchoTrailer::kByteCount))
      .add("/stream", routes::stream())  // ?n=&size=
      .add("/big", routes::big())        // ?total=
      .add("/sleep", routes::sleep())    // ?ms=
      .add("/slow", routes::slow())
      .add("/reset", reset_from_query)
      // With the version, the ALPN and the client certificate's subject.
      .add("/info", routes::info({.version_and_alpn = true, .client_subject = true}));
  return table.handler(std::move(probe));
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
  pool_.start();
}

TestServer::~TestServer() {
  listener_->stop();
  http_->drain();
  wait_idle(3000ms);
  pool_.stop();
  pool_.join();
}

bool TestServer::wait_idle(std::chrono::milliseconds timeout) {
  return triplex::testing::eventually([&] { return http_->open_connections() == 0; }, timeout);
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
