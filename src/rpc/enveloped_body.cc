#include "src/rpc/enveloped_body.h"

namespace triplex::rpc {

asio::awaitable<std::optional<wire::Envelope>> EnvelopedBodyReader::next() {
  wire::Envelope envelope;
  for (;;) {
    switch (reader_.next(envelope)) {
      case wire::EnvelopeReader::State::kMessage:
        co_return envelope;
      case wire::EnvelopeReader::State::kTooLarge:
        throw Error(Code::kResourceExhausted, "received message larger than max (" +
                                                  std::to_string(reader_.rejected_length()) +
                                                  " vs. " + std::to_string(reader_.max_payload()) +
                                                  ")");
      case wire::EnvelopeReader::State::kNeedMore:
        break;
    }
    if (ended_) {
      if (reader_.has_partial() || !text_decoder_.at_boundary()) {
        throw Error(truncated_code_, "truncated message at the end of the body");
      }
      co_return std::nullopt;
    }
    chunk_.clear();
    bool more = co_await read_(chunk_);
    if (!more) {
      ended_ = true;
      continue;
    }
    if (!base64_text_) {
      reader_.feed(chunk_);
      continue;
    }
    decoded_.clear();
    if (!text_decoder_.feed(chunk_, decoded_)) {
      throw Error(Code::kInternal, "malformed base64 in a grpc-web-text body");
    }
    reader_.feed(decoded_);
  }
}

std::string decompress_message(const wire::Compressor& compressor, std::string_view payload,
                               std::size_t limit, Code corrupt_code) {
  std::string out;
  switch (compressor.decompress(payload, limit, out)) {
    case wire::DecompressResult::kOk:
      return out;
    case wire::DecompressResult::kTooLarge:
      throw Error(Code::kResourceExhausted,
                  "decompressed message larger than max (" + std::to_string(limit) + ")");
    case wire::DecompressResult::kCorrupt:
      break;
  }
  throw Error(corrupt_code, "cannot decompress " + std::string(compressor.name()) + " message");
}

}  // namespace triplex::rpc
