#include "src/http/h1/http1_exchange.h"

#include <http_parser.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "src/http/h1/http1_server_connection.h"

namespace triplex::http {
namespace {

// Chunks up to this size are copied next to their framing (one buffer);
// larger ones are queued as they are.
constexpr std::size_t kCoalesce = 4096;

bool is_tchar(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
}

// Fields we would send verbatim: anything else could split the response.
bool sendable(const Header& h) {
  if (h.name.empty()) return false;
  for (char c : h.name) {
    if (!is_tchar(c)) return false;
  }
  return h.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

std::optional<std::uint64_t> parse_length(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

bool lists_close(std::string_view value) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() == 5) {
      std::string lower(item);
      for (auto& c : lower) c = static_cast<char>(c | 0x20);
      if (lower == "close") return true;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::string content_length(std::uint64_t n) {
  return "content-length: " + std::to_string(n) + "\r\n";
}

// Trailer fields that would change the message's meaning: never sent.
bool framing_field(std::string_view name) {
  return name == "content-length" || name == "transfer-encoding" || name == "connection" ||
         name == "keep-alive" || name == "trailer" || name == "te" || name == "host";
}

// Clears a flag when the awaiting coroutine leaves, however it leaves.
struct FlagGuard {
  bool& flag;
  ~FlagGuard() { flag = false; }
};

}  // namespace

std::string http1_status_line(int status) {
  std::string_view reason = http_status_str(static_cast<http_status>(status));
  if (reason.starts_with('<')) reason = {};  // "<unknown>": the reason phrase may be empty
  std::string line = "HTTP/1.1 " + std::to_string(status) + " ";
  line.append(reason).append("\r\n");
  return line;
}

Http1Exchange::Http1Exchange(Http1ServerConnection* connection, Http1Request request,
                             const asio::any_io_executor& executor)
    : connection_(connection),
      executor_(executor),
      request_(std::move(request)),
      readable_(executor),
      drained_(executor) {}

const net::PeerInfo& Http1Exchange::peer() const {
  static const net::PeerInfo kGone;
  return connection_ ? connection_->peer() : kGone;
}

void Http1Exchange::throw_reset() const {
  throw ExchangeReset(is_reset() ? reset_ : ResetReason::kConnectionLost);
}

asio::awaitable<bool> Http1Exchange::read(std::string& out) {
  for (;;) {
    if (is_reset()) throw_reset();
    if (!inbound_.empty()) {
      if (out.empty()) {
        out.swap(inbound_);
      } else {
        out.append(inbound_);
        inbound_.clear();
      }
      if (connection_) connection_->body_consumed();
      co_return true;
    }
    if (request_ended_) co_return false;
    if (connection_ == nullptr) throw_reset();
    // The client holds the body back until told to go on; a response that
    // already started makes that pointless.
    if (request_.expect_continue && !continue_sent_ && !head_sent_) {
      continue_sent_ = true;
      connection_->enqueue("HTTP/1.1 100 Continue\r\n\r\n");
    }
    waiting_ = true;
    FlagGuard guard{waiting_};
    connection_->waiting_for_body();
    co_await readable_.wait();
  }
}

std::string Http1Exchange::serialize_head(const ResponseHead& head, bool complete) {
  head_sent_ = true;
  int status = head.status >= 100 && head.status <= 999 ? head.status : 500;
  std::string out = http1_status_line(status);
  std::optional<std::uint64_t> declared;
  bool close = !connection_->keep_alive();
  auto add = [&](const Header& h) {
    if (!sendable(h)) return;
    if (h.name == "content-length") {
      declared = parse_length(h.value);
    } else if (h.name == "connection") {
      close = close || lists_close(h.value);
    } else if (h.name != "transfer-encoding" && h.name != "keep-alive") {  // framing is ours
      out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
  };
  for (const auto& h : head.headers) add(h);
  for (const auto& h : extra_response_headers) add(h);
  bool bodiless = request_.head_method || status < 200 || status == 204 || status == 304;
  if (complete) {
    mode_ = BodyMode::kNone;
    if (status == 304 || (request_.head_method && status >= 200 && status != 204)) {
      if (declared) out += content_length(*declared);  // describes the GET body
    } else if (status >= 200 && status != 204) {
      out += content_length(0);
    }
  } else if (bodiless) {
    mode_ = BodyMode::kNone;
    if (declared && status >= 200 && status != 204) out += content_length(*declared);
  } else if (declared) {
    mode_ = BodyMode::kIdentity;
    declared_ = *declared;
    out += content_length(declared_);
  } else if (request_.minor_version == 0) {
    mode_ = BodyMode::kUntilClose;  // HTTP/1.0 knows no chunked: the close ends the body
    close = true;
  } else {
    mode_ = BodyMode::kChunked;
    out += "transfer-encoding: chunked\r\n";
  }
  // Answering before the whole request is here (an early error, or a body
  // we never asked for with no 100 Continue): unread bytes would be taken for
  // the next request, so the connection ends with this response; say so, or
  // a client would send its next request into a closing connection.
  if (!request_ended_) close = true;
  if (close) {
    connection_->disable_keep_alive();
    out += "connection: close\r\n";
  } else if (request_.minor_version == 0) {
    out += "connection: keep-alive\r\n";
  }
  out += "\r\n";
  return out;
}

void Http1Exchange::send_head(ResponseHead head) {
  if (connection_ == nullptr || head_sent_ || is_reset()) return;
  connection_->enqueue(serialize_head(head, false));
}

void Http1Exchange::respond(ResponseHead head) {
  if (connection_ == nullptr || finished_ || is_reset()) return;
  if (head_sent_) {  // too late for a head of its own: end what was started
    finish({});
    return;
  }
  finished_ = true;
  connection_->enqueue(serialize_head(head, true));
  connection_->end_response();
}

bool Http1Exchange::queue_body(std::string data) {
  if (!head_sent_) send_head({});
  written_ += data.size();
  switch (mode_) {
    case BodyMode::kNone:  // HEAD, 204, 304: no body goes out
      break;
    case BodyMode::kIdentity:
      if (written_ > declared_) {
        // More than the content-length promised: the response cannot end well.
        reset_ = ResetReason::kInternal;
        connection_->abort();
        return false;
      }
      [[fallthrough]];
    case BodyMode::kUntilClose:
      if (!data.empty()) connection_->enqueue(std::move(data));
      break;
    case BodyMode::kChunked: {
      if (data.empty()) break;  // an empty chunk would end the body
      char hex[20];
      auto end = std::to_chars(hex, hex + sizeof(hex), data.size(), 16).ptr;
      std::string frame(hex, end);
      frame += "\r\n";
      if (data.size() <= kCoalesce) {
        frame.append(data).append("\r\n");
        connection_->enqueue(std::move(frame));
      } else {
        connection_->enqueue(std::move(frame));
        connection_->enqueue(std::move(data));
        connection_->enqueue("\r\n");
      }
      break;
    }
  }
  return true;
}

void Http1Exchange::queue(std::string data) {
  if (is_reset() || connection_ == nullptr || finished_) return;
  queue_body(std::move(data));
}

asio::awaitable<void> Http1Exchange::write(std::string data) {
  if (is_reset() || connection_ == nullptr || finished_) throw_reset();
  if (!queue_body(std::move(data))) throw_reset();
  while (connection_ && connection_->queued() > connection_->options().stream_write_buffer) {
    if (is_reset()) throw_reset();
    co_await drained_.wait();
  }
  if (is_reset()) throw_reset();
}

void Http1Exchange::finish(Headers trailers) {
  if (finished_ || connection_ == nullptr || is_reset()) return;
  if (!head_sent_) send_head({});
  finished_ = true;
  switch (mode_) {
    case BodyMode::kChunked: {
      std::string tail = "0\r\n";
      // Without `TE: trailers` the client may not understand them: dropped.
      if (request_.te_trailers) {
        for (const auto& t : trailers) {
          if (!sendable(t) || framing_field(t.name)) continue;
          tail.append(t.name).append(": ").append(t.value).append("\r\n");
        }
      }
      tail += "\r\n";
      connection_->enqueue(std::move(tail));
      break;
    }
    case BodyMode::kIdentity:
      // Short of the content-length: only a close tells the client.
      if (written_ != declared_) connection_->disable_keep_alive();
      break;
    case BodyMode::kUntilClose:
      connection_->disable_keep_alive();
      break;
    case BodyMode::kNone:
      break;
  }
  connection_->end_response();
}

void Http1Exchange::reset(ResetReason reason) {
  // HTTP/1.1 has no stream reset: abandoning the exchange closes the connection.
  // After finish() the response is complete and stays so.
  if (is_reset() || connection_ == nullptr || finished_) return;
  reset_ = reason == ResetReason::kNone ? ResetReason::kCancel : reason;  // ours: no on_reset
  readable_.notify();
  drained_.notify();
  connection_->abort();
}

void Http1Exchange::on_body_data() { readable_.notify(); }

void Http1Exchange::on_body_end() {
  request_ended_ = true;
  readable_.notify();
}

void Http1Exchange::on_response_flushed() {
  detach();
  readable_.notify();
  drained_.notify();
}

void Http1Exchange::on_connection_lost(ResetReason reason) {
  detach();
  if (!finished_) mark_reset(reason);
  readable_.notify();
  drained_.notify();
}

void Http1Exchange::mark_reset(ResetReason reason) {
  if (is_reset()) return;
  reset_ = reason;
  readable_.notify();
  drained_.notify();
  if (on_reset) on_reset(reason);
}

}  // namespace triplex::http
