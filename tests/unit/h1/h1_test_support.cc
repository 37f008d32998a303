#include "tests/unit/h1/h1_test_support.h"

#include <netinet/tcp.h>

#include <asio/read.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace triplex::http::testing {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

ExchangeHandler make_handler(std::shared_ptr<Probe> probe) {
  // /echo answers chunked (trailers when the client sent `TE: trailers`, as
  // x-te-trailers tells), /echo-length with a content-length.
  auto echo_chunked = [](const Exchange& ex, std::size_t) {
    return head_with(200, {{"content-type", "text/plain"},
                           {"x-te-trailers", ex.capabilities().trailers ? "1" : "0"}});
  };
  auto echo_length = [](const Exchange&, std::size_t size) {
    return head_with(200, {{"content-length", std::to_string(size)}});
  };
  using routes::EchoTrailer;
  RouteTable table;
  table.add("/echo", routes::echo(echo_chunked, EchoTrailer::kByteCount))
      .add("/echo-length", routes::echo(echo_length, EchoTrailer::kByteCount))
      .add("/stream", routes::stream())  // ?n=&size=
      .add("/respond-200", routes::respond(head_with(200, {{"x-kind", "respond"}})))
      .add("/respond-204", routes::respond(head_with(204, {})))
      // Answers without reading the body.
      .add("/no-read", routes::fixed(head_with(200, {{"content-length", "2"}}), "ok"))
      .add("/wait-body", routes::wait_body())
      .add("/gate-read", routes::gate_read())
      .add("/big", routes::big())  // ?total=
      .add("/info", routes::info({}))
      // Framing the handler gets wrong: fewer bytes than promised, more.
      .add("/wrong-length", routes::fixed(head_with(200, {{"content-length", "10"}}), "12345"))
      .add("/too-long", routes::fixed(head_with(200, {{"content-length", "3"}}), "12345"))
      .add("/close",
           routes::fixed(head_with(200, {{"connection", "close"}, {"content-length", "3"}}), "bye"))
      .add("/slow", routes::slow())
      .add("/reset", routes::reset(ResetReason::kCancel))
      .add("/extra", routes::extra_header());
  return table.handler(std::move(probe));
}

TestServer::TestServer(ConnectionOptions options, Http1Timeouts timeouts, int receive_buffer)
    : acceptor_(io_), options_(options), timeouts_(timeouts) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  // Accepted sockets inherit it: small kernel buffers make backpressure visible.
  if (receive_buffer > 0) {
    acceptor_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  }
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

TestServer::~TestServer() {
  asio::post(io_, [this] { acceptor_.close(); });
  io_.stop();
  thread_.join();
}

asio::awaitable<void> TestServer::accept_loop() {
  auto handler = make_handler(probe_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) co_return;
    std::string preread(sniff_bytes.load(), '\0');
    if (!preread.empty()) {
      auto [read_ec, n] = co_await asio::async_read(socket, asio::buffer(preread), kNoThrow);
      if (read_ec) continue;
    }
    auto conn = Http1ServerConnection::start(std::make_unique<net::PlainStream>(std::move(socket)),
                                             std::move(preread), options_, handler, timeouts_);
    ++open_;
    conn->on_closed = [this](ServerConnection*) {
      --open_;
      probe_->add("connection-closed");
    };
    connections_.push_back(conn);
  }
}

void TestServer::drain_all() {
  asio::post(io_, [this] {
    for (auto& weak : connections_) {
      if (auto conn = weak.lock()) conn->drain();
    }
  });
}

const std::string* Response::header(std::string_view name) const {
  return find_field(headers, name);
}

const std::string* Response::trailer(std::string_view name) const {
  return find_field(trailers, name);
}

Client::Client(std::uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (receive_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
}

Client::~Client() { close(); }

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Client::abort() {
  linger lg{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close();
}

void Client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may have closed: the reads will tell
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool Client::fill(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[64 * 1024];
  auto n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

bool Client::read_line(std::string& line) {
  std::size_t lf;
  while ((lf = buffer_.find("\r\n")) == std::string::npos) {
    if (!fill()) return false;
  }
  line = buffer_.substr(0, lf);
  buffer_.erase(0, lf + 2);
  return true;
}

bool Client::read_exact(std::size_t n, std::string& out) {
  while (buffer_.size() < n) {
    if (!fill()) return false;
  }
  out.append(buffer_, 0, n);
  buffer_.erase(0, n);
  return true;
}

Response Client::read_response(bool head_request) {
  Response r;
  std::string line;
  if (!read_line(line) || !line.starts_with("HTTP/1.1 ") || line.size() < 12) return r;
  int status = std::stoi(line.substr(9, 3));
  auto read_fields = [&](std::vector<Header>& out) {
    while (read_line(line)) {
      if (line.empty()) return true;
      auto colon = line.find(':');
      if (colon == std::string::npos) return false;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      out.push_back({name, value});
    }
    return false;
  };
  if (!read_fields(r.headers)) return r;
  r.status = status;
  if (status < 200 || status == 204 || status == 304 || head_request) {
    r.complete = true;
    return r;
  }
  if (const auto* te = r.header("transfer-encoding")) {
    EXPECT_EQ(*te, "chunked");
    EXPECT_EQ(r.header("content-length"), nullptr);
    for (;;) {
      if (!read_line(line)) return r;
      std::size_t size = std::stoul(line, nullptr, 16);
      if (size == 0) break;
      if (!read_exact(size, r.body) || !read_line(line) || !line.empty()) return r;
    }
    r.complete = read_fields(r.trailers);
  } else if (const auto* length = r.header("content-length")) {
    r.complete = read_exact(std::stoul(*length), r.body);
  } else {
    while (fill()) {
    }
    r.body = std::move(buffer_);
    buffer_.clear();
    r.complete = true;
  }
  return r;
}

bool Client::closed_within(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[64 * 1024];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return true;
  }
}

bool Client::data_within(std::chrono::milliseconds timeout) {
  if (!buffer_.empty()) return true;
  return fill(timeout);
}

}  // namespace triplex::http::testing
