// gRPC-Web text bodies: base64 of enveloped messages, each write encoded (and
// padded) on its own, arriving in arbitrary pieces. The body reader must
// agree with itself whether the text comes whole or split, and messages we
// write the way our server writes them must read back exactly.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/rpc/enveloped_body.h"
#include "src/wire/base64.h"
#include "src/wire/envelope.h"
#include "tests/fuzz/fake_exchange.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::Code;
using triplex::fuzz::check;
using triplex::fuzz::Splitter;
using triplex::rpc::EnvelopedBodyReader;
using triplex::wire::Envelope;

constexpr std::size_t kMaxMessage = 512;

struct Outcome {
  std::vector<Envelope> envelopes;
  std::optional<Code> error;  // how reading ended, if not cleanly
};

asio::awaitable<void> read_all(std::deque<std::string> pieces, Outcome& out) {
  EnvelopedBodyReader reader(
      [&pieces](std::string& chunk) -> asio::awaitable<bool> {
        if (pieces.empty()) co_return false;
        chunk.append(pieces.front());
        pieces.pop_front();
        co_return true;
      },
      kMaxMessage, /*base64_text=*/true, Code::kInternal);
  try {
    while (auto envelope = co_await reader.next()) {
      check(envelope->payload.size() <= kMaxMessage, "messages within the limit");
      out.envelopes.push_back(std::move(*envelope));
    }
  } catch (const triplex::Error& e) {
    Code code = e.status().code;
    check(code == Code::kInternal || code == Code::kResourceExhausted,
          "malformed or truncated is INTERNAL, too large RESOURCE_EXHAUSTED");
    out.error = code;
  }
}

Outcome read(std::deque<std::string> pieces) {
  Outcome out;
  asio::io_context io;
  triplex::fuzz::run_to_completion(io, read_all(std::move(pieces), out));
  return out;
}

std::deque<std::string> split(std::string_view text, Splitter& splitter) {
  std::deque<std::string> pieces;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t n = splitter.next(text.size() - pos);
    pieces.emplace_back(text.substr(pos, n));
    pos += n;
  }
  return pieces;
}

bool same(const Envelope& a, const Envelope& b) {
  return a.flags == b.flags && a.payload == b.payload;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Splitter splitter(input);

  // The input as a body. Whole, a base64 error loses the messages decoded
  // from the same piece; split, earlier pieces' messages come first.
  const Outcome whole = read({std::string(input)});
  const Outcome pieces = read(split(input, splitter));
  check(whole.error.has_value() == pieces.error.has_value(), "split or whole, both fail or not");
  if (!whole.error) {
    check(whole.envelopes.size() == pieces.envelopes.size(), "the same messages");
  } else {
    check(whole.envelopes.size() <= pieces.envelopes.size(), "a failure loses no more split");
  }
  for (std::size_t i = 0; i < whole.envelopes.size(); ++i) {
    check(same(whole.envelopes[i], pieces.envelopes[i]), "the same messages, in order");
  }

  // The input as messages, written as our server writes them: each envelope
  // encoded with padding, the texts concatenated, then cut anywhere.
  std::vector<Envelope> sent;
  std::string text;
  for (std::size_t pos = 0; pos < input.size();) {
    std::size_t n = splitter.next(input.size() - pos);
    Envelope e{static_cast<std::uint8_t>(n & 1 ? 0x80 : 0), std::string(input.substr(pos, n))};
    std::string framed;
    triplex::wire::append_envelope(framed, e.flags, e.payload);
    text += triplex::wire::base64_encode(framed);
    sent.push_back(std::move(e));
    pos += n;
  }
  const Outcome back = read(split(text, splitter));
  check(!back.error.has_value(), "what we write reads back");
  check(back.envelopes.size() == sent.size(), "every message");
  for (std::size_t i = 0; i < sent.size(); ++i) {
    check(same(back.envelopes[i], sent[i]), "every message, exactly");
  }
  return 0;
}
