#include "tests/unit/h1client/h1client_test_support.h"

#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace triplex::http::testing {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// Answers each request head on `socket` with the next canned response. Only
// heads are read: the canned requests carry no body.
asio::awaitable<void> answer(asio::ip::tcp::socket socket, std::vector<std::string> responses,
                             bool close_after, std::shared_ptr<std::vector<std::string>> log) {
  std::string buffer;
  char chunk[4096];
  for (auto& response : responses) {
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      auto into = asio::buffer(chunk);
      auto [ec, n] = co_await socket.async_read_some(into, kNoThrow);
      if (ec) co_return;
      buffer.append(chunk, n);
    }
    log->push_back(buffer.substr(0, end + 4));
    buffer.erase(0, end + 4);
    auto bytes = asio::buffer(response);
    auto [ec, n] = co_await asio::async_write(socket, bytes, kNoThrow);
    if (ec) co_return;
  }
  if (close_after) co_return;
  // Hold the connection open until the client goes away.
  for (;;) {
    auto into = asio::buffer(chunk);
    auto [ec, n] = co_await socket.async_read_some(into, kNoThrow);
    if (ec) co_return;
  }
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor,
                                  std::vector<std::string> responses, bool close_after,
                                  std::shared_ptr<std::vector<std::string>> log) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) co_return;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, answer(std::move(socket), responses, close_after, log),
                   asio::detached);
  }
}

}  // namespace

asio::awaitable<Reply> complete(std::shared_ptr<ClientExchange> exchange,
                                std::vector<std::string> pieces, bool finish) {
  Reply reply;
  try {
    for (auto& piece : pieces) co_await exchange->write(std::move(piece));
    if (finish) exchange->finish();
    co_await read_reply_into(exchange, reply);
  } catch (const ExchangeReset& e) {
    reply.reset = e.reason;
  }
  co_return reply;
}

std::shared_ptr<Http1ClientConnection> connect(asio::io_context& io, std::uint16_t port,
                                               const Http1ClientOptions& options) {
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  socket.set_option(asio::ip::tcp::no_delay(true));
  return Http1ClientConnection::start(std::make_unique<net::PlainStream>(std::move(socket)),
                                      options);
}

CannedServer::CannedServer(asio::io_context& io, std::vector<std::string> responses,
                           bool close_after)
    : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io, accept_loop(acceptor_, std::move(responses), close_after, requests_),
                 asio::detached);
}

CannedServer::~CannedServer() { acceptor_.close(); }

}  // namespace triplex::http::testing
