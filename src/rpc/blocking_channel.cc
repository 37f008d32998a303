// BlockingChannel: a Channel on a private io_context thread. Each blocking
// call is a coroutine spawned there; the caller waits on a future. Streamed
// responses come back one read at a time, so callbacks run on the caller's
// thread and nothing of the call is touched from two threads at once.
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <future>
#include <stdexcept>
#include <thread>

#include "triplex/blocking_client.h"
#include "triplex/client_stub.h"

namespace triplex {

struct BlockingChannel::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::shared_ptr<Channel> channel;
  std::thread thread;

  // Runs the coroutine `task()` on the channel's thread and waits for it.
  template <typename T, typename Task>
  T run(Task task) {
    if (io.get_executor().running_in_this_thread()) {
      throw std::logic_error("a blocking call on the channel's own thread would never return");
    }
    // Shared with the completion handler so the promise outlives set_value.
    auto done = std::make_shared<std::promise<T>>();
    std::future<T> result = done->get_future();
    asio::co_spawn(io, std::move(task), [done](std::exception_ptr e, T value) {
      if (e) {
        done->set_exception(e);
      } else {
        done->set_value(std::move(value));
      }
    });
    return result.get();
  }
};

BlockingChannel::BlockingChannel(const std::string& target, ChannelOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->channel = Channel::create(impl_->io, target, std::move(options));
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

BlockingChannel::~BlockingChannel() {
  // Connections keep reading until closed; stop rather than wait for them.
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->channel->close();
    impl->io.stop();
  });
  impl_->thread.join();
}

Status BlockingChannel::unary(const ClientMethod& method, const google::protobuf::Message& request,
                              google::protobuf::Message& response, CallOptions options) {
  Channel& channel = *impl_->channel;
  return impl_->run<Status>([&]() -> asio::awaitable<Status> {
    ClientMethod m = method;
    asio::awaitable<Status> call =
        channel.unary(std::move(m), request, response, std::move(options));
    co_return co_await std::move(call);
  });
}

Status BlockingChannel::unary(const std::string& path, const google::protobuf::Message& request,
                              google::protobuf::Message& response, CallOptions options) {
  ClientMethod method;
  method.path = path;
  return unary(method, request, response, std::move(options));
}

Status BlockingChannel::server_streaming(ClientMethod method,
                                         const google::protobuf::Message& request,
                                         google::protobuf::Message& response,
                                         const MessageCallback& on_message, CallOptions options) {
  method.kind = RpcKind::kServerStreaming;
  Channel& channel = *impl_->channel;
  std::unique_ptr<ClientCall> call;  // made, used and destroyed on the channel's thread
  // Destroys the call on the channel's thread if a callback throws.
  struct Releaser {
    Impl& impl;
    std::unique_ptr<ClientCall>& call;
    ~Releaser() {
      if (!call) return;
      try {
        impl.run<bool>([this]() -> asio::awaitable<bool> {
          call->cancel();
          call.reset();
          co_return true;
        });
      } catch (...) {
        // Nothing more to do in a destructor; the call dies with the channel.
      }
    }
  } releaser{*impl_, call};
  impl_->run<bool>([&]() -> asio::awaitable<bool> {
    call = channel.call(std::move(method), std::move(options));
    co_await detail::send_single_request(*call, request);
    co_return true;
  });
  bool stopped = false;
  for (;;) {
    bool received = impl_->run<bool>(
        [&]() -> asio::awaitable<bool> { co_return co_await call->read(response); });
    if (!received) break;
    if (!on_message(response)) {
      stopped = true;
      break;
    }
  }
  return impl_->run<Status>([&]() -> asio::awaitable<Status> {
    if (stopped) call->cancel();
    Status status = co_await call->finish();
    call.reset();
    co_return status;
  });
}

void BlockingChannel::close() {
  Channel& channel = *impl_->channel;
  impl_->run<bool>([&]() -> asio::awaitable<bool> {
    channel.close();
    co_return true;
  });
}

}  // namespace triplex
