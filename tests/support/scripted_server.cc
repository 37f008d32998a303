#include "tests/support/scripted_server.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cctype>
#include <charconv>
#include <cstring>
#include <map>
#include <string_view>

namespace triplex::testing {
namespace {

using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
using SocketPtr = std::shared_ptr<tcp::socket>;

asio::awaitable<bool> read_more(tcp::socket& socket, std::string& in) {
  char buffer[16 * 1024];
  auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
  if (ec || n == 0) co_return false;
  in.append(buffer, n);
  co_return true;
}

asio::awaitable<bool> write_all(tcp::socket& socket, const std::string& out) {
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
  co_return !ec;
}

// Reads (and drops) until the client goes away.
asio::awaitable<void> drain(tcp::socket& socket) {
  std::string in;
  while (co_await read_more(socket, in)) in.clear();
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The end of the chunked body starting at `pos`, or npos while incomplete.
std::size_t chunked_end(const std::string& in, std::size_t pos) {
  for (;;) {
    std::size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return std::string::npos;
    std::size_t size = 0;
    std::from_chars(in.data() + pos, in.data() + eol, size, 16);
    if (size == 0) return in.size() >= eol + 4 ? eol + 4 : std::string::npos;  // no trailers
    pos = eol + 2 + size + 2;
    if (pos > in.size()) return std::string::npos;
  }
}

// Reads one whole HTTP/1.1 request (head and body) and removes it from `in`.
asio::awaitable<bool> read_http1_request(tcp::socket& socket, std::string& in) {
  for (;;) {
    std::size_t head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::string head = lowercase(in.substr(0, head_end));
      std::size_t body = head_end + 4;
      std::size_t end = body;
      if (head.find("transfer-encoding: chunked") != std::string::npos) {
        end = chunked_end(in, body);
      } else if (auto at = head.find("content-length: "); at != std::string::npos) {
        std::size_t length = 0;
        std::from_chars(head.data() + at + 16, head.data() + head.size(), length);
        end = in.size() >= body + length ? body + length : std::string::npos;
      }
      if (end != std::string::npos) {
        in.erase(0, end);
        co_return true;
      }
    }
    if (!co_await read_more(socket, in)) co_return false;
  }
}

std::string http1_response(const Script& script) {
  std::string reason = script.status == 200 ? "OK" : script.status == 502 ? "Bad Gateway" : "X";
  std::string out = "HTTP/1.1 " + std::to_string(script.status) + " " + reason + "\r\n";
  for (const auto& [name, value] : script.headers) out += name + ": " + value + "\r\n";
  // Chunked whenever the response is cut short, so the framing promises more.
  bool chunked = !script.trailers.empty() || script.ending != Script::Ending::kComplete;
  if (!chunked) {
    return out + "content-length: " + std::to_string(script.body.size()) + "\r\n\r\n" + script.body;
  }
  out += "transfer-encoding: chunked\r\n\r\n";
  if (!script.body.empty()) {
    char size[16];
    auto end = std::to_chars(size, size + sizeof size, script.body.size(), 16).ptr;
    out.append(size, end).append("\r\n").append(script.body).append("\r\n");
  }
  if (script.ending != Script::Ending::kComplete) return out;
  out += "0\r\n";
  for (const auto& [name, value] : script.trailers) out += name + ": " + value + "\r\n";
  return out + "\r\n";
}

asio::awaitable<void> pause(tcp::socket& socket, std::chrono::milliseconds delay) {
  if (delay.count() == 0) co_return;
  asio::steady_timer timer(socket.get_executor(), delay);
  co_await timer.async_wait(kNoThrow);
}

asio::awaitable<void> serve_http1(SocketPtr socket, const Script& script) {
  std::string in;
  while (co_await read_http1_request(*socket, in)) {
    if (script.mode == Script::Mode::kNeverAnswer) break;
    co_await pause(*socket, script.delay);
    if (!co_await write_all(*socket, http1_response(script))) co_return;
    if (script.ending == Script::Ending::kCloseConnection) {
      asio::error_code ignored;
      socket->close(ignored);
      co_return;
    }
  }
  co_await drain(*socket);
}

// HTTP/2 on nghttp2's server session: answers every request once its
// END_STREAM arrives, as the script says.
class Http2Script {
 public:
  explicit Http2Script(const Script& script) : script_(script) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* self) {
          return static_cast<Http2Script*>(self)->on_frame(frame);
        });
    nghttp2_session_server_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Http2Script() { nghttp2_session_del(session_); }
  Http2Script(const Http2Script&) = delete;
  Http2Script& operator=(const Http2Script&) = delete;

  asio::awaitable<void> run(tcp::socket& socket) {
    co_await pause(socket, script_.delay);
    std::string in;
    for (;;) {
      std::string out;
      const std::uint8_t* data = nullptr;
      for (ssize_t n; (n = nghttp2_session_mem_send(session_, &data)) > 0;) {
        out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      }
      if (!out.empty() && !co_await write_all(socket, out)) co_return;
      if (close_after_flush_) {
        asio::error_code ignored;
        socket.close(ignored);
        co_return;
      }
      in.clear();
      if (!co_await read_more(socket, in)) co_return;
      auto consumed = nghttp2_session_mem_recv(
          session_, reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
      if (consumed < 0) co_return;
    }
  }

 private:
  // Views, not strings: a literal argument must not become a temporary that
  // is gone before nghttp2 copies it.
  static nghttp2_nv nv(std::string_view name, std::string_view value) {
    return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
            value.size(), NGHTTP2_NV_FLAG_NONE};
  }

  int on_frame(const nghttp2_frame* frame) {
    bool request_done = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (request_done && script_.mode == Script::Mode::kReply) respond(frame->hd.stream_id);
    return 0;
  }

  void respond(std::int32_t stream_id) {
    std::string status = std::to_string(script_.status);
    std::vector<nghttp2_nv> head{nv(":status", status)};
    for (const auto& [name, value] : script_.headers) head.push_back(nv(name, value));
    nghttp2_data_provider body{};
    body.read_callback = [](nghttp2_session*, std::int32_t id, std::uint8_t* buf,
                            std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                            void* self) {
      return static_cast<Http2Script*>(self)->read_body(id, buf, length, flags);
    };
    nghttp2_submit_response(session_, stream_id, head.data(), head.size(), &body);
  }

  ssize_t read_body(std::int32_t id, std::uint8_t* buf, std::size_t length, std::uint32_t* flags) {
    std::size_t& offset = sent_[id];
    std::size_t n = std::min(length, script_.body.size() - offset);
    std::memcpy(buf, script_.body.data() + offset, n);
    offset += n;
    if (offset < script_.body.size()) return static_cast<ssize_t>(n);
    if (script_.ending == Script::Ending::kCloseConnection) {
      close_after_flush_ = true;  // these bytes go out, then the connection ends
      return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};
    }
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!script_.trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<nghttp2_nv> trailers;
      for (const auto& [name, value] : script_.trailers) trailers.push_back(nv(name, value));
      nghttp2_submit_trailer(session_, id, trailers.data(), trailers.size());
    }
    return static_cast<ssize_t>(n);
  }

  const Script& script_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::size_t> sent_;  // body bytes handed out per stream
  bool close_after_flush_ = false;
};

}  // namespace

struct ScriptedServer::State {
  State(asio::io_context& io, ScriptedHttp http, Script script)
      : acceptor(io), http(http), script(std::move(script)) {}

  void stop() {
    stopped = true;
    asio::error_code ignored;
    acceptor.close(ignored);
    for (auto& socket : sockets) socket->close(ignored);
  }

  tcp::acceptor acceptor;
  ScriptedHttp http;
  Script script;
  std::vector<SocketPtr> sockets;
  bool stopped = false;
};

namespace {

asio::awaitable<void> serve(std::shared_ptr<ScriptedServer::State> state, SocketPtr socket) {
  const Script& script = state->script;
  switch (script.mode) {
    case Script::Mode::kSayNothing:
      co_await drain(*socket);
      co_return;
    case Script::Mode::kRawBytes: {
      std::string in;
      if (co_await read_more(*socket, in) && co_await write_all(*socket, script.raw)) {
        co_await drain(*socket);
      }
      co_return;
    }
    case Script::Mode::kReply:
    case Script::Mode::kNeverAnswer:
      break;
  }
  if (state->http == ScriptedHttp::kHttp1) {
    co_await serve_http1(socket, script);
  } else {
    Http2Script http2(script);
    co_await http2.run(*socket);
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<ScriptedServer::State> state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(kNoThrow);
    if (ec || state->stopped) co_return;
    auto shared = std::make_shared<tcp::socket>(std::move(socket));
    state->sockets.push_back(shared);
    asio::co_spawn(state->acceptor.get_executor(), serve(state, shared), asio::detached);
  }
}

}  // namespace

ScriptedServer::ScriptedServer(asio::io_context& io, ScriptedHttp http, Script script)
    : state_(std::make_shared<State>(io, http, std::move(script))) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();
  asio::co_spawn(io, accept_loop(state_), asio::detached);
}

ScriptedServer::~ScriptedServer() { state_->stop(); }

std::uint16_t unused_tcp_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();  // closed on return: nothing listens there
}

std::uint16_t unused_udp_port() {
  asio::io_context io;
  asio::ip::udp::socket socket(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return socket.local_endpoint().port();
}

}  // namespace triplex::testing
