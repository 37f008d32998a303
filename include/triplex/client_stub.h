#pragma once
/// @file
/// Typed streams over a ClientCall, for the client stubs protoc-gen-triplex
/// generates (`Foo::Client`):
///
///    auto reader = co_await client.Introduce(request);     // server streaming
///    while (co_await reader.read(response)) { ... }
///    triplex::Status s = co_await reader.finish();
///
///    auto writer = client.Record();                          // client streaming
///    co_await writer.write(request);
///    triplex::Status s = co_await writer.finish(response);
///
///    auto stream = client.Converse();                        // bidi streaming
///    co_await stream.write(request);
///    co_await stream.read(response);
///    triplex::Status s = co_await stream.finish();
///
/// The templates only forward to ClientStreamBase, whose coroutines live in the
/// library, so generated code stays small.
///
/// Concurrency: like the ClientCall it wraps, a stream belongs to its channel's
/// io_context; keep it (and the messages passed to it) alive while an
/// operation on it is being awaited, and await one read and one write at a time.
#include <google/protobuf/message.h>

#include <asio/awaitable.hpp>
#include <memory>

#include "triplex/client.h"

namespace triplex {

/// What the typed streams share: the call, and whether requests are over.
class ClientStreamBase {
 public:
  /// `writes_done`: the call has already been half-closed (server streaming).
  explicit ClientStreamBase(std::unique_ptr<ClientCall> call, bool writes_done = false);
  ClientStreamBase(ClientStreamBase&&) noexcept = default;
  ClientStreamBase& operator=(ClientStreamBase&&) noexcept = default;

  const Metadata& response_headers() const { return call_->response_headers(); }
  const Metadata& response_trailers() const { return call_->response_trailers(); }
  /// Ends the call with CANCELLED; finish() reports it.
  void cancel() { call_->cancel(); }
  ClientCall& call() { return *call_; }

 protected:
  asio::awaitable<bool> write_message(const google::protobuf::Message& message);
  /// Half-closes once; later calls do nothing.
  asio::awaitable<void> close_writes();
  asio::awaitable<bool> read_message(google::protobuf::Message& message);
  /// Half-closes if still open, drains the responses, returns the status.
  asio::awaitable<Status> finish_call();
  /// Half-closes, reads the one response, returns the status (INTERNAL when
  /// an OK call brought no response).
  asio::awaitable<Status> finish_with(google::protobuf::Message& response);

 private:
  std::unique_ptr<ClientCall> call_;
  bool writes_done_ = false;
};

/// Server streaming: the request is already sent; read the responses.
template <typename Response>
class ClientReader : public ClientStreamBase {
 public:
  explicit ClientReader(std::unique_ptr<ClientCall> call)
      : ClientStreamBase(std::move(call), true) {}
  /// False at the end of the stream (or on failure: finish() says which).
  asio::awaitable<bool> read(Response& response) { return read_message(response); }
  asio::awaitable<Status> finish() { return finish_call(); }
};

/// Client streaming: write the requests, then finish() for the one response.
template <typename Request, typename Response>
class ClientWriter : public ClientStreamBase {
 public:
  explicit ClientWriter(std::unique_ptr<ClientCall> call) : ClientStreamBase(std::move(call)) {}
  /// False when the call is already over (finish() says why).
  asio::awaitable<bool> write(const Request& request) { return write_message(request); }
  asio::awaitable<void> writes_done() { return close_writes(); }
  asio::awaitable<Status> finish(Response& response) { return finish_with(response); }
};

/// Bidi streaming: writes and reads interleave as the method's protocol allows
/// (full duplex needs HTTP/2 or HTTP/3).
template <typename Request, typename Response>
class ClientReaderWriter : public ClientStreamBase {
 public:
  explicit ClientReaderWriter(std::unique_ptr<ClientCall> call)
      : ClientStreamBase(std::move(call)) {}
  asio::awaitable<bool> write(const Request& request) { return write_message(request); }
  asio::awaitable<void> writes_done() { return close_writes(); }
  asio::awaitable<bool> read(Response& response) { return read_message(response); }
  asio::awaitable<Status> finish() { return finish_call(); }
};

namespace detail {

/// Sends the single request of a server-streaming call and half-closes.
asio::awaitable<void> send_single_request(ClientCall& call,
                                          const google::protobuf::Message& request);

}  // namespace detail

}  // namespace triplex
