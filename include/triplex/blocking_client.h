#pragma once
/// @file
/// Calling services from programs that do not use coroutines.
///
///    triplex::BlockingChannel channel("https://localhost:8443", options);
///    SayResponse reply;
///    triplex::Status s = channel.unary("/connectrpc.eliza.v1.ElizaService/Say", request, reply);
///
/// A BlockingChannel owns a Channel and one background thread running its
/// io_context; each call is handed to that thread and the caller waits for
/// the result. Calls from several threads share the channel's connections
/// (one multiplexed HTTP/2 or HTTP/3 connection) and run concurrently.
///
/// Concurrency: any thread may call at any time, one call at a time per
/// thread. Callbacks (server streaming) run on the calling thread, between
/// reads, so they may block or make calls of their own. Destroy the channel
/// only once no call is in flight.
#include <google/protobuf/message.h>

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "triplex/client.h"

namespace triplex {

class BlockingChannel {
 public:
  /// `target` and `options` as for Channel::create (which throws
  /// std::invalid_argument for a malformed one).
  explicit BlockingChannel(const std::string& target, ChannelOptions options = {});
  ~BlockingChannel();
  BlockingChannel(const BlockingChannel&) = delete;
  BlockingChannel& operator=(const BlockingChannel&) = delete;

  /// One request, one response, with the channel's retry policy applied.
  Status unary(const ClientMethod& method, const google::protobuf::Message& request,
               google::protobuf::Message& response, CallOptions options = {});
  Status unary(const std::string& path, const google::protobuf::Message& request,
               google::protobuf::Message& response, CallOptions options = {});

  /// Sees each response, parsed into the caller's message; returning false
  /// stops the call, which then ends CANCELLED.
  using MessageCallback = std::function<bool(const google::protobuf::Message&)>;

  /// One request, a stream of responses: each is read into `response` and
  /// handed to `on_message` before the next is read (so a slow callback slows
  /// the server, not memory). `method.kind` is taken as server streaming.
  Status server_streaming(ClientMethod method, const google::protobuf::Message& request,
                          google::protobuf::Message& response, const MessageCallback& on_message,
                          CallOptions options = {});

  /// Typed: `on_message(const Response&)` returns void, or bool as above.
  template <typename Response, typename OnMessage>
  Status server_streaming(ClientMethod method, const google::protobuf::Message& request,
                          OnMessage&& on_message, CallOptions options = {}) {
    Response response;
    auto typed = [&](const google::protobuf::Message&) -> bool {
      if constexpr (std::is_void_v<std::invoke_result_t<OnMessage&, const Response&>>) {
        on_message(response);
        return true;
      } else {
        return static_cast<bool>(on_message(response));
      }
    };
    return server_streaming(std::move(method), request, response, typed, std::move(options));
  }

  /// Closes every connection; later calls open new ones.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triplex
