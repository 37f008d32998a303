#include "tests/unit/h1/h1_test_support.h"

#include <netinet/tcp.h>

#include <asio/read.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace triplex::http::testing {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// Behaviour by path:
//   /echo          reads the body, answers it chunked with trailer x-echo-bytes
//   /echo-length   the same with a content-length
//   /stream?n=&size=  n chunks of `size` bytes, trailer x-chunks
//   /respond-200, /respond-204  respond() at once
//   /no-read       answers "ok" (content-length) without reading the body
//   /wait-body     reads the body, reports how that ended
//   /gate-read     waits for Probe::gate, then reads the body and answers its size
//   /big?total=    streams `total` bytes in 64 KiB writes, counting in Probe::written
//   /info          the request head as text
//   /wrong-length  content-length 10, writes 5
//   /too-long      content-length 3, writes 5
//   /close         answers with `connection: close`
//   /slow          answers after 300 ms
//   /reset         reset() at once
//   /extra         respond() with Exchange::extra_response_headers set
asio::awaitable<void> echo(Exchange& ex, bool with_length) {
  std::string body = co_await read_all(ex);
  if (with_length) {
    ex.send_head(head_with(200, {{"content-length", std::to_string(body.size())}}));
  } else {
    ex.send_head(head_with(200, {{"content-type", "text/plain"},
                                 {"x-te-trailers", ex.capabilities().trailers ? "1" : "0"}}));
  }
  if (!body.empty()) co_await ex.write(body);
  Headers trailers;
  trailers.add("x-echo-bytes", std::to_string(body.size()));
  ex.finish(std::move(trailers));
}

asio::awaitable<void> stream(Exchange& ex, std::size_t n, std::size_t size) {
  ex.send_head(head_with(200, {}));
  for (std::size_t i = 0; i < n; ++i) {
    co_await ex.write(std::string(size, static_cast<char>('a' + i % 26)));
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
    co_await ex.write(std::string(n, 'x'));
    sent += n;
    probe.written = sent;
  }
  ex.finish({});
  probe.add("big-done");
}

asio::awaitable<void> gate_read(Exchange& ex, Probe& probe) {
  probe.add("gate-waiting");
  while (!probe.gate) co_await sleep_for(5ms);
  std::string body = co_await read_all(ex);
  ex.send_head(head_with(200, {}));
  co_await ex.write(std::to_string(body.size()));
  ex.finish({});
}

asio::awaitable<void> info(Exchange& ex) {
  const auto& r = ex.request();
  std::string text = r.method + "\n" + r.path + "\n" + r.scheme + "\n" + r.authority + "\n";
  for (const auto& h : r.headers) text += h.name + "=" + h.value + "\n";
  ex.send_head(head_with(200, {}));
  co_await ex.write(text);
  ex.finish({});
}

// `head`, then `body`.
asio::awaitable<void> fixed(Exchange& ex, ResponseHead head, std::string body) {
  ex.send_head(std::move(head));
  co_await ex.write(std::move(body));
  ex.finish({});
}

asio::awaitable<void> slow(Exchange& ex, Probe& probe) {
  probe.add("slow-started");
  co_await sleep_for(300ms);
  ex.send_head(head_with(200, {}));
  co_await ex.write("slow");
  ex.finish({});
}

asio::awaitable<void> wait_body(Exchange& ex, Probe& probe) {
  std::string body = co_await read_all(ex);
  probe.add("read-done " + std::to_string(body.size()));
  ex.respond(head_with(200, {}));
}

// Behaviour by path:
//   /echo          reads the body, answers it chunked with trailer x-echo-bytes
//   /echo-length   the same with a content-length
//   /stream?n=&size=  n chunks of `size` bytes, trailer x-chunks
//   /respond-200, /respond-204  respond() at once
//   /no-read       answers "ok" (content-length) without reading the body
//   /wait-body     reads the body, reports how that ended
//   /gate-read     waits for Probe::gate, then reads the body and answers its size
//   /big?total=    streams `total` bytes in 64 KiB writes, counting in Probe::written
//   /info          the request head as text
//   /wrong-length  content-length 10, writes 5
//   /too-long      content-length 3, writes 5
//   /close         answers with `connection: close`
//   /slow          answers after 300 ms
//   /reset         reset() at once
//   /extra         respond() with Exchange::extra_response_headers set
asio::awaitable<void> route_to(Exchange& ex, Probe& probe, const std::string& path,
                               const std::string& route) {
  if (route == "/echo" || route == "/echo-length") {
    co_await echo(ex, route == "/echo-length");
  } else if (route == "/stream") {
    co_await stream(ex, query_number(path, "n"), query_number(path, "size"));
  } else if (route == "/respond-200") {
    ex.respond(head_with(200, {{"x-kind", "respond"}}));
  } else if (route == "/respond-204") {
    ex.respond(head_with(204, {}));
  } else if (route == "/no-read") {
    ResponseHead head = head_with(200, {{"content-length", "2"}});
    co_await fixed(ex, std::move(head), "ok");
  } else if (route == "/wait-body") {
    co_await wait_body(ex, probe);
  } else if (route == "/gate-read") {
    co_await gate_read(ex, probe);
  } else if (route == "/big") {
    co_await big(ex, probe, query_number(path, "total"));
  } else if (route == "/info") {
    co_await info(ex);
  } else if (route == "/wrong-length") {
    ResponseHead head = head_with(200, {{"content-length", "10"}});
    co_await fixed(ex, std::move(head), "12345");
  } else if (route == "/too-long") {
    ResponseHead head = head_with(200, {{"content-length", "3"}});
    co_await fixed(ex, std::move(head), "12345");
  } else if (route == "/close") {
    ResponseHead head = head_with(200, {{"connection", "close"}, {"content-length", "3"}});
    co_await fixed(ex, std::move(head), "bye");
  } else if (route == "/slow") {
    co_await slow(ex, probe);
  } else if (route == "/reset") {
    ex.reset(ResetReason::kCancel);
  } else if (route == "/extra") {
    ex.extra_response_headers.add("x-extra", "1");
    ex.respond(head_with(200, {}));
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
  for (const auto& h : headers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
}

const std::string* Response::trailer(std::string_view name) const {
  for (const auto& h : trailers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
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
