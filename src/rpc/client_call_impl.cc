#include "src/rpc/client_call_impl.h"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

#include "src/net/deadline.h"
#include "src/rpc/codec.h"
#include "src/wire/envelope.h"

namespace triplex::rpc {
namespace {

const Metadata kNoMetadata;

}  // namespace

ClientCallImpl::ClientCallImpl(std::shared_ptr<ChannelImpl> channel, ClientMethod method,
                               CallOptions options)
    : channel_(std::move(channel)),
      method_(std::move(method)),
      options_(std::move(options)),
      deadline_timer_(channel_->io()) {
  if (!options_.timeout) return;
  deadline_ = net::deadline_after(std::chrono::steady_clock::now(), *options_.timeout);
  deadline_timer_.expires_at(*deadline_);
  deadline_timer_.async_wait([weak = std::weak_ptr<State>(state_)](const asio::error_code& ec) {
    auto state = weak.lock();
    if (ec || !state) return;
    Status expired(Code::kDeadlineExceeded, "deadline exceeded");
    if (state->transport) {
      state->transport->cancel(std::move(expired));
    } else if (!state->failure) {
      state->failure = std::move(expired);
      if (state->connecting) state->stop_connecting.emit(asio::cancellation_type::terminal);
    }
  });
}

ClientCallImpl::~ClientCallImpl() {
  deadline_timer_.cancel();
  // Abandoned before the end: tell the server.
  if (state_->transport) state_->transport->cancel(Status(Code::kCancelled, "call abandoned"));
}

void ClientCallImpl::fail(Status status) {
  if (state_->transport) {
    state_->transport->cancel(std::move(status));
  } else if (!state_->failure) {
    state_->failure = std::move(status);
    if (state_->connecting) state_->stop_connecting.emit(asio::cancellation_type::terminal);
  }
}

asio::awaitable<bool> ClientCallImpl::start() {
  if (started_) {
    // A read and a write may both start the call (a proxy pumps both ways):
    // the second waits for the first to connect.
    while (starting_) co_await start_done_.wait();
    co_return state_->transport != nullptr;
  }
  started_ = true;
  starting_ = true;
  bool ready = co_await connect_and_open();
  starting_ = false;
  start_done_.notify();
  co_return ready;
}

asio::awaitable<bool> ClientCallImpl::connect_and_open() {
  if (state_->failure) co_return false;
  // On a coroutine of its own, so that the deadline (or cancel()) can stop it.
  state_->connecting = true;
  std::optional<Status> failed;
  try {
    connection_ = co_await asio::co_spawn(
        channel_->io(), channel_->acquire(method_),
        asio::bind_cancellation_slot(state_->stop_connecting.slot(), asio::use_awaitable));
  } catch (const Error& e) {
    failed = e.status();
  } catch (const std::exception& e) {
    failed = Status(Code::kUnavailable, e.what());
  }
  state_->connecting = false;
  if (failed) fail(std::move(*failed));
  if (state_->failure || !connection_) co_return false;  // failed, or the deadline passed
  ClientCallSpec spec = channel_->spec_for(method_, options_);
  if (deadline_) {
    auto left = *deadline_ - std::chrono::steady_clock::now();
    spec.timeout = std::max<std::chrono::nanoseconds>(left, std::chrono::milliseconds(1));
  }
  auto connection = connection_;
  state_->transport = make_client_transport(channel_->protocol(), std::move(spec),
                                            [connection](http::RequestHead head, bool end_stream) {
                                              return connection->open(std::move(head), end_stream);
                                            });
  co_return true;
}

asio::awaitable<bool> ClientCallImpl::write(const google::protobuf::Message& request) {
  bool ready = co_await start();
  if (!ready) co_return false;
  std::string bytes;
  try {
    bytes = encode_message(channel_->options().json ? Codec::kJson : Codec::kProto, request);
  } catch (const Error& e) {
    fail(e.status());
    co_return false;
  }
  co_return co_await send(std::move(bytes));
}

asio::awaitable<bool> ClientCallImpl::send(std::string message) {
  std::size_t limit =
      std::min<std::size_t>(channel_->options().max_send_message_size, wire::kMaxEnvelopePayload);
  if (message.size() > limit) {
    fail(Status(Code::kResourceExhausted, "request message larger than max (" +
                                              std::to_string(message.size()) + " vs. " +
                                              std::to_string(limit) + ")"));
    co_return false;
  }
  co_return co_await state_->transport->send(std::move(message));
}

asio::awaitable<void> ClientCallImpl::writes_done() {
  bool ready = co_await start();
  if (ready) co_await state_->transport->close_send();
}

asio::awaitable<bool> ClientCallImpl::write_raw(std::string payload) {
  bool ready = co_await start();
  if (!ready) co_return false;
  co_return co_await send(std::move(payload));
}

asio::awaitable<std::optional<std::string>> ClientCallImpl::read_raw() {
  bool ready = co_await start();
  if (!ready) co_return std::nullopt;
  co_return co_await state_->transport->receive();
}

asio::awaitable<bool> ClientCallImpl::read(google::protobuf::Message& response) {
  bool ready = co_await start();
  if (!ready) co_return false;
  std::optional<std::string> bytes = co_await state_->transport->receive();
  if (!bytes) co_return false;
  try {
    decode_message(channel_->options().json ? Codec::kJson : Codec::kProto, *bytes, response);
  } catch (const Error& e) {
    fail(Status(Code::kInternal, "cannot parse the response message: " + e.status().message));
    co_return false;
  }
  co_return true;
}

asio::awaitable<Status> ClientCallImpl::finish() {
  bool ready = co_await start();
  if (!ready) co_return state_->failure.value_or(Status(Code::kUnknown, "call failed"));
  for (;;) {
    std::optional<std::string> rest = co_await state_->transport->receive();
    if (!rest) break;
  }
  deadline_timer_.cancel();
  co_return state_->transport->status();
}

const Metadata& ClientCallImpl::response_headers() const {
  return state_->transport ? state_->transport->headers() : kNoMetadata;
}

const Metadata& ClientCallImpl::response_trailers() const {
  return state_->transport ? state_->transport->trailers() : kNoMetadata;
}

void ClientCallImpl::cancel() { fail(Status(Code::kCancelled, "cancelled by the client")); }

bool ClientCallImpl::sent_as_early_data() const {
  return state_->transport && state_->transport->sent_as_early_data();
}

HttpVersion ClientCallImpl::http_version() const {
  return connection_ ? connection_->version() : HttpVersion::kAuto;
}

CallTimings ClientCallImpl::timings() const {
  using std::chrono::microseconds;
  auto since = [](auto start, std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<microseconds>(t - start);
  };
  CallTimings timings;
  if (connection_) {
    const auto& line = connection_->timeline;
    timings.reused_connection = line.started < made_;
    if (line.connected) timings.connect = since(line.started, *line.connected);
    if (line.secured) timings.handshake = since(line.started, *line.secured);
  }
  if (state_->transport) {
    if (auto head = state_->transport->response_started()) timings.first_byte = since(made_, *head);
  }
  return timings;
}

}  // namespace triplex::rpc
