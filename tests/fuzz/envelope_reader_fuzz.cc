// Feeds the same bytes whole and in fuzzer-chosen pieces; both readers must
// agree on every envelope and on the final state.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "src/wire/envelope.h"

namespace {

using triplex::wire::Envelope;
using triplex::wire::EnvelopeReader;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

EnvelopeReader::State drain(EnvelopeReader& reader, std::vector<Envelope>& out) {
  Envelope env;
  EnvelopeReader::State state;
  while ((state = reader.next(env)) == EnvelopeReader::State::kMessage) {
    check(env.payload.size() <= reader.max_payload());
    out.push_back(env);
  }
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // First byte: the limit; second: the piece size for the split reader.
  const std::size_t max_payload = data[0] * 4u;
  const std::size_t piece = data[1] % 16 + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  EnvelopeReader whole(max_payload);
  whole.feed(bytes);
  std::vector<Envelope> expected;
  const EnvelopeReader::State whole_state = drain(whole, expected);

  EnvelopeReader split(max_payload);
  std::vector<Envelope> got;
  EnvelopeReader::State split_state = EnvelopeReader::State::kNeedMore;
  for (std::size_t pos = 0; pos < bytes.size(); pos += piece) {
    split.feed(bytes.substr(pos, piece));
    split_state = drain(split, got);
  }
  if (bytes.empty()) split_state = drain(split, got);

  check(whole_state == split_state);
  check(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    check(got[i].flags == expected[i].flags);
    check(got[i].payload == expected[i].payload);
  }
  if (whole_state == EnvelopeReader::State::kTooLarge) {
    check(whole.rejected_length() > max_payload);
    check(whole.rejected_length() == split.rejected_length());
  } else {
    check(whole.has_partial() == split.has_partial());
  }
  return 0;
}
