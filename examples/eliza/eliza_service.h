#pragma once
// connectrpc.eliza.v1.ElizaService backed by the ELIZA engine: Say answers one
// sentence, Introduce streams an introduction, Converse keeps one ELIZA per
// conversation so she remembers what was said.
#include "connectrpc/eliza/v1/eliza.triplex.h"

namespace triplex::eliza {

class ElizaServiceImpl final : public connectrpc::eliza::v1::triplex_rpc::ElizaService::Service {
 public:
  asio::awaitable<Status> Say(ServerContext& context,
                              const connectrpc::eliza::v1::SayRequest& request,
                              connectrpc::eliza::v1::SayResponse& response) override;
  asio::awaitable<Status> Introduce(
      ServerContext& context, const connectrpc::eliza::v1::IntroduceRequest& request,
      ServerWriter<connectrpc::eliza::v1::IntroduceResponse>& writer) override;
  asio::awaitable<Status> Converse(
      ServerContext& context,
      ServerReaderWriter<connectrpc::eliza::v1::ConverseRequest,
                         connectrpc::eliza::v1::ConverseResponse>& stream) override;
};

}  // namespace triplex::eliza
