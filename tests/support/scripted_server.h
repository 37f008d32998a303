#pragma once
// Misbehaving plaintext servers for client tests: a TCP acceptor on
// 127.0.0.1 (a free port) whose connections read a request and then do what
// a Script says: answer with a chosen status, headers and body over HTTP/1.1
// or HTTP/2 (h2c, on nghttp2's server session) and then end the response,
// cut the connection or stall; write bytes that are not HTTP at all; or say
// nothing. It runs on the client's io_context, so a test needs no threads;
// destroying it closes the acceptor and every connection.
//
// Concurrency: lives on the io_context it was made with; not thread-safe.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace triplex::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Script {
  enum class Mode {
    kReply,        // answer each request with `status`, `headers`, `body`, then `ending`
    kNeverAnswer,  // speak HTTP (HTTP/2: SETTINGS) but never answer a request
    kSayNothing,   // accept and read, never write a byte
    kRawBytes,     // after the first request bytes, write `raw` and keep the connection open
  };
  enum class Ending {
    kComplete,         // the response ends properly (with `trailers` when there are any)
    kCloseConnection,  // the body stops where it is and the TCP connection closes
  };

  Mode mode = Mode::kReply;
  int status = 200;
  HeaderList headers;  // lowercase names
  std::string body;
  HeaderList trailers;
  Ending ending = Ending::kComplete;
  std::string raw;
  // kReply: how long the server waits before its first bytes (HTTP/2: SETTINGS).
  std::chrono::milliseconds delay{0};
};

enum class ScriptedHttp { kHttp1, kHttp2 };

class ScriptedServer {
 public:
  ScriptedServer(asio::io_context& io, ScriptedHttp http, Script script);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // What the connections share with their coroutines (public for the .cc).
  struct State;

 private:
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

// A port on 127.0.0.1 where nothing listens: bound (TCP or UDP), then closed.
std::uint16_t unused_tcp_port();
std::uint16_t unused_udp_port();

}  // namespace triplex::testing
