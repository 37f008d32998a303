#include "examples/eliza/eliza_service.h"

#include <atomic>

#include "examples/eliza/eliza_engine.h"

namespace triplex::eliza {
namespace {

using namespace connectrpc::eliza::v1;

// Each conversation starts at a different point of ELIZA's reply rotation.
std::uint64_t next_seed() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

constexpr std::size_t kMaxSentence = 4096;

Status check_sentence(const std::string& sentence) {
  if (sentence.size() > kMaxSentence) {
    return Status(Code::kInvalidArgument, "sentence is longer than 4096 bytes");
  }
  return Status();
}

}  // namespace

asio::awaitable<Status> ElizaServiceImpl::Say(ServerContext&, const SayRequest& request,
                                              SayResponse& response) {
  if (Status s = check_sentence(request.sentence()); !s.ok()) co_return s;
  Eliza eliza(next_seed());
  response.set_sentence(eliza.reply(request.sentence()));
  co_return Status();
}

asio::awaitable<Status> ElizaServiceImpl::Introduce(ServerContext&, const IntroduceRequest& request,
                                                    ServerWriter<IntroduceResponse>& writer) {
  if (Status s = check_sentence(request.name()); !s.ok()) co_return s;
  IntroduceResponse response;
  for (const auto& line : Eliza::introduce(request.name())) {
    response.set_sentence(line);
    co_await writer.write(response);
  }
  co_return Status();
}

asio::awaitable<Status> ElizaServiceImpl::Converse(
    ServerContext&, ServerReaderWriter<ConverseRequest, ConverseResponse>& stream) {
  Eliza eliza(next_seed());
  ConverseRequest request;
  ConverseResponse response;
  while (co_await stream.read(request)) {
    if (Status s = check_sentence(request.sentence()); !s.ok()) co_return s;
    response.set_sentence(eliza.reply(request.sentence()));
    co_await stream.write(response);
    if (eliza.is_goodbye(request.sentence())) break;
  }
  co_return Status();
}

}  // namespace triplex::eliza
