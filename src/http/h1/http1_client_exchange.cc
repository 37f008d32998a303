#include "src/http/h1/http1_client_exchange.h"

#include <charconv>

#include "src/http/h1/http1_client_connection.h"
#include "src/http/h1/http1_syntax.h"

namespace triplex::http {
namespace {

using namespace h1syntax;

// Chunks up to this size are copied next to their framing (one buffer);
// larger ones are passed on as they are.
constexpr std::size_t kCoalesce = 4096;

// request-target and authority bytes: no whitespace or controls, which would
// end the request line early.
bool is_target(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7f;
  });
}

bool lists(const Header& h, std::string_view token) {
  for (auto t : list_tokens(h.value)) {
    if (iequals(t, token)) return true;
  }
  return false;
}

// Methods whose requests mean something with a body: an empty one is said.
bool expects_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

Http1ClientExchange::Http1ClientExchange(Http1ClientConnection* connection,
                                         const asio::any_io_executor& executor)
    : connection_(connection), drained_(executor), readable_(executor) {}

bool Http1ClientExchange::prepare(const RequestHead& head, bool end_stream) {
  if (!is_token(head.method) || head.path.empty() || !is_target(head.path) ||
      !is_target(head.authority)) {
    return false;
  }
  head_request_ = head.method == "HEAD";
  std::string out = head.method + " " + head.path + " HTTP/1.1\r\n";
  const std::string* host = head.authority.empty() ? head.headers.find("host") : &head.authority;
  out.append("host: ").append(host ? *host : std::string()).append("\r\n");
  std::size_t lengths = 0;
  bool length_ok = true;
  bool te = false;
  for (const auto& h : head.headers) {
    if (h.name.empty() || h.name[0] == ':') continue;  // pseudo-headers are in the request line
    if (!is_token(h.name) ||
        h.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return false;  // would split the request
    }
    if (h.name == "host" || h.name == "transfer-encoding") continue;  // ours to say
    if (h.name == "content-length") {
      ++lengths;
      length_ok = length_ok && parse_decimal(h.value, declared_);
      continue;
    }
    close_requested_ = close_requested_ || (h.name == "connection" && lists(h, "close"));
    te = te || h.name == "te";
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  // TE is hop-by-hop: its sender must name it in Connection (RFC 9110 10.1.4).
  if (te) out.append("connection: te\r\n");
  if (end_stream) {
    mode_ = BodyMode::kNone;
    request_finished_ = true;
    if (expects_body(head.method)) out.append("content-length: 0\r\n");
  } else if (lengths > 0) {
    if (lengths > 1 || !length_ok) return false;
    mode_ = BodyMode::kLength;
    out.append("content-length: ").append(std::to_string(declared_)).append("\r\n");
  } else {
    mode_ = BodyMode::kChunked;
    out.append("transfer-encoding: chunked\r\n");
  }
  out.append("\r\n");
  emit(std::move(out));
  return true;
}

std::deque<std::string> Http1ClientExchange::start() {
  started_ = true;
  held_bytes_ = 0;
  drained_.notify();
  return std::move(held_);
}

void Http1ClientExchange::emit(std::string bytes) {
  if (started_) {
    if (connection_) connection_->enqueue(std::move(bytes));
    return;
  }
  held_bytes_ += bytes.size();
  held_.push_back(std::move(bytes));
}

std::size_t Http1ClientExchange::unwritten() const {
  if (!started_) return held_bytes_;
  return connection_ ? connection_->queued() : 0;
}

bool Http1ClientExchange::frame(std::string data) {
  if (mode_ == BodyMode::kLength) {
    if (data.size() > declared_ - sent_) return false;
    sent_ += data.size();
    emit(std::move(data));
    return true;
  }
  if (mode_ != BodyMode::kChunked) return false;
  char size[24];
  auto end = std::to_chars(size, size + sizeof(size), data.size(), 16).ptr;
  std::string framed(size, end);
  framed.append("\r\n");
  sent_ += data.size();
  if (data.size() <= kCoalesce) {
    framed.append(data).append("\r\n");
    emit(std::move(framed));
  } else {
    emit(std::move(framed));
    emit(std::move(data));
    emit("\r\n");
  }
  return true;
}

asio::awaitable<void> Http1ClientExchange::write(std::string data) {
  if (is_reset()) throw ExchangeReset(reset_, reset_detail_);
  // A complete response: the server wants no more (the connection is not
  // reused). After finish(): nothing may follow the body's end.
  if (response_ended_ || request_finished_) co_return;
  if (connection_ == nullptr || write_failed_) throw ExchangeReset(ResetReason::kConnectionLost);
  if (data.empty()) co_return;  // an empty chunk would end the body
  if (!frame(std::move(data))) {
    reset(ResetReason::kInternal);  // more than the declared content-length
    throw ExchangeReset(ResetReason::kInternal);
  }
  for (;;) {
    if (is_reset()) throw ExchangeReset(reset_, reset_detail_);
    if (response_ended_) co_return;
    if (connection_ == nullptr || write_failed_) throw ExchangeReset(ResetReason::kConnectionLost);
    if (unwritten() <= connection_->options().write_buffer) co_return;
    co_await drained_.wait();
  }
}

void Http1ClientExchange::finish() {
  if (request_finished_ || is_reset()) return;
  if (!response_ended_ && mode_ == BodyMode::kLength && sent_ != declared_) {
    // The server would wait for the rest, or take our next request for it.
    reset(ResetReason::kInternal);
    return;
  }
  request_finished_ = true;
  if (!response_ended_ && mode_ == BodyMode::kChunked) emit("0\r\n\r\n");
}

asio::awaitable<ResponseHead> Http1ClientExchange::read_head() {
  for (;;) {
    if (head_done_) co_return head_;
    if (is_reset()) throw ExchangeReset(reset_, reset_detail_);
    if (connection_ == nullptr) throw ExchangeReset(ResetReason::kConnectionLost);
    co_await readable_.wait();
  }
}

asio::awaitable<bool> Http1ClientExchange::read(std::string& out) {
  for (;;) {
    if (!inbound_.empty()) {
      if (out.empty()) {
        out.swap(inbound_);
      } else {
        out.append(inbound_);
        inbound_.clear();
      }
      if (connection_) connection_->on_body_consumed();
      co_return true;
    }
    if (response_ended_) co_return false;
    if (is_reset()) throw ExchangeReset(reset_, reset_detail_);
    if (connection_ == nullptr) throw ExchangeReset(ResetReason::kConnectionLost);
    co_await readable_.wait();
  }
}

void Http1ClientExchange::reset(ResetReason reason) {
  if (is_reset() || response_ended_) return;
  mark_reset(reason == ResetReason::kNone ? ResetReason::kCancel : reason);
  if (connection_) connection_->on_exchange_reset(this);
}

void Http1ClientExchange::on_abandoned() {
  if (!response_ended_ || !request_finished_) reset(ResetReason::kCancel);
}

void Http1ClientExchange::on_head(ResponseHead head) {
  head_ = std::move(head);
  head_done_ = true;
  readable_.notify();
}

void Http1ClientExchange::on_end(Headers trailers) {
  trailers_ = std::move(trailers);
  response_ended_ = true;
  readable_.notify();
  drained_.notify();  // a blocked write() returns: nothing more is wanted
}

void Http1ClientExchange::on_write_failed() {
  write_failed_ = true;
  drained_.notify();
}

void Http1ClientExchange::on_failed(ResetReason reason, std::string detail) {
  if (response_ended_ || is_reset()) return;  // what arrived stands
  reset_detail_ = std::move(detail);
  mark_reset(reason);
}

void Http1ClientExchange::mark_reset(ResetReason reason) {
  if (is_reset()) return;
  reset_ = reason;
  readable_.notify();
  drained_.notify();
}

}  // namespace triplex::http
