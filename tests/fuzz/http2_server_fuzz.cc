// An HTTP/2 server connection fed frames from memory: the client preface,
// then the input after two splitter bytes, delivered in fuzzer-chosen
// pieces; whatever the server writes is swallowed. Every request is answered
// 200 after its body is read (or early, or reset, or with a body bigger than
// the peer's window, as its path says). The io_context runs until nothing is
// left: the connection must end, free itself, and never let a task fail.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "src/http/h2/http2_server_connection.h"
#include "src/net/byte_stream.h"
#include "tests/fuzz/fuzz_util.h"
#include "triplex/log.h"

namespace {

using triplex::fuzz::check;
using triplex::fuzz::Splitter;
using namespace triplex::http;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// Turns of the io_context a read at the end of the input waits, so handlers
// can answer before the connection sees the peer hang up.
constexpr int kTurnsBeforeEof = 16;

class MemoryStream final : public triplex::net::ByteStream {
 public:
  MemoryStream(asio::any_io_executor executor, std::string_view input, Splitter splitter)
      : executor_(std::move(executor)), input_(input), splitter_(splitter) {}

  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer) override {
    co_await asio::post(executor_, asio::use_awaitable);  // others get a turn
    if (closed_) co_return 0;
    if (input_.empty()) {
      for (int i = 0; i < kTurnsBeforeEof && !closed_; ++i) {
        co_await asio::post(executor_, asio::use_awaitable);
      }
      co_return 0;
    }
    std::size_t n = std::min(splitter_.next(input_.size()), buffer.size());
    std::memcpy(buffer.data(), input_.data(), n);
    input_.remove_prefix(n);
    co_return n;
  }
  asio::awaitable<bool> write(std::span<const asio::const_buffer> buffers) override {
    co_await asio::post(executor_, asio::use_awaitable);
    for (const auto& b : buffers) written_ += b.size();
    co_return !closed_;
  }
  void close() override { closed_ = true; }
  void shutdown_send() override {}
  const triplex::net::PeerInfo& peer() const override { return peer_; }
  asio::any_io_executor executor() override { return executor_; }

 private:
  asio::any_io_executor executor_;
  std::string_view input_;
  Splitter splitter_;
  triplex::net::PeerInfo peer_;
  std::size_t written_ = 0;
  bool closed_ = false;
};

// The path picks the handler's behaviour, so the fuzzer can reach each.
asio::awaitable<void> answer(std::shared_ptr<Exchange> exchange) {
  const std::string& path = exchange->request().path;
  try {
    if (path.find('r') != std::string::npos) {
      exchange->reset(ResetReason::kCancel);
      co_return;
    }
    const bool early = path.find('e') != std::string::npos;
    std::string body;
    std::size_t total = 0;
    while (!early && co_await exchange->read(body)) {
      total += body.size();
      check(total <= (std::size_t{16} << 20), "no more body than the input could carry");
      body.clear();
    }
    ResponseHead head;
    head.headers.add("content-type", "application/grpc");
    exchange->send_head(std::move(head));
    // Beyond the default 64 KiB window: the write waits for credit.
    const std::size_t size = path.find('b') != std::string::npos ? 100'000 : 2;
    co_await exchange->write(std::string(size, 'x'));
    Headers trailers;
    trailers.add("grpc-status", "0");
    exchange->finish(std::move(trailers));
  } catch (const ExchangeReset&) {
    // The peer reset the stream or the connection went away.
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // An exception escaping one of the library's tasks is a bug, not peer misbehaviour.
  triplex::set_log_level(triplex::LogLevel::kError);
  triplex::set_log_sink([](const triplex::LogRecord& record) {
    check(record.message != "internal task failed", "a library task threw");
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Splitter splitter(input);

  asio::io_context io;
  std::exception_ptr failure;
  ExchangeHandler handler = [&](std::shared_ptr<Exchange> exchange) {
    asio::co_spawn(exchange->executor(), answer(std::move(exchange)), [&](std::exception_ptr e) {
      if (e && !failure) failure = e;
    });
  };
  ConnectionOptions options;
  options.max_concurrent_streams = 8;
  std::weak_ptr<Http2ServerConnection> connection;
  {
    auto stream = std::make_unique<MemoryStream>(io.get_executor(), input, splitter);
    auto started =
        Http2ServerConnection::start(std::move(stream), std::string(kPreface), options, handler);
    check(started != nullptr, "the session starts");
    connection = started;
  }
  io.run();
  if (failure) std::rethrow_exception(failure);
  check(connection.expired(), "the connection is freed once it ends");
  return 0;
}
