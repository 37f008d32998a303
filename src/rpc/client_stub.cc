// The coroutines behind the typed client streams of triplex/client_stub.h:
// compiled once here rather than in every generated header.
#include "triplex/client_stub.h"

namespace triplex {

ClientStreamBase::ClientStreamBase(std::unique_ptr<ClientCall> call, bool writes_done)
    : call_(std::move(call)), writes_done_(writes_done) {}

asio::awaitable<bool> ClientStreamBase::write_message(const google::protobuf::Message& message) {
  if (writes_done_) co_return false;  // a write after half-close would break the framing
  co_return co_await call_->write(message);
}

asio::awaitable<void> ClientStreamBase::close_writes() {
  if (writes_done_) co_return;
  writes_done_ = true;
  co_await call_->writes_done();
}

asio::awaitable<bool> ClientStreamBase::read_message(google::protobuf::Message& message) {
  return call_->read(message);
}

asio::awaitable<Status> ClientStreamBase::finish_call() {
  // A server that reads until the client's end would otherwise never finish.
  co_await close_writes();
  co_return co_await call_->finish();
}

asio::awaitable<Status> ClientStreamBase::finish_with(google::protobuf::Message& response) {
  co_await close_writes();
  bool received = co_await call_->read(response);
  Status status = co_await call_->finish();
  if (status.ok() && !received) {
    status = Status(Code::kInternal, "the server sent no response message");
  }
  co_return status;
}

namespace detail {

asio::awaitable<void> send_single_request(ClientCall& call,
                                          const google::protobuf::Message& request) {
  co_await call.write(request);
  co_await call.writes_done();
}

}  // namespace detail

}  // namespace triplex
