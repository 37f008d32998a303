#pragma once
// Reads enveloped messages from a body (a server's request, a client's
// response), as gRPC, gRPC-Web and Connect streaming frame them: bounded by
// the receive limit, optionally base64 (gRPC-Web text), flags and
// compression handled by the caller's rules.
#include <asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "src/http/exchange.h"
#include "src/wire/base64_stream.h"
#include "src/wire/compression.h"
#include "src/wire/envelope.h"
#include "triplex/status.h"

namespace triplex::rpc {

class EnvelopedBodyReader {
 public:
  // Appends the next body bytes to its argument; false at the end.
  using BodyRead = std::function<asio::awaitable<bool>(std::string&)>;

  EnvelopedBodyReader(http::Exchange& exchange, std::size_t max_message, bool base64_text,
                      Code truncated_code)
      : EnvelopedBodyReader([&exchange](std::string& out) { return exchange.read(out); },
                            max_message, base64_text, truncated_code) {}
  EnvelopedBodyReader(BodyRead read, std::size_t max_message, bool base64_text, Code truncated_code)
      : read_(std::move(read)),
        reader_(max_message),
        base64_text_(base64_text),
        truncated_code_(truncated_code) {}

  // The next envelope, or nullopt at the end of the body. Throws
  // RESOURCE_EXHAUSTED past the limit and `truncated_code` for a cut-off one.
  asio::awaitable<std::optional<wire::Envelope>> next();

 private:
  BodyRead read_;
  wire::EnvelopeReader reader_;
  wire::Base64StreamDecoder text_decoder_;
  bool base64_text_;
  Code truncated_code_;
  std::string chunk_;
  std::string decoded_;
  bool ended_ = false;
};

// Inflates a compressed message within `limit`: RESOURCE_EXHAUSTED beyond it,
// `corrupt_code` for bad data.
std::string decompress_message(const wire::Compressor& compressor, std::string_view payload,
                               std::size_t limit, Code corrupt_code);

}  // namespace triplex::rpc
