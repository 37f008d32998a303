#pragma once
// The 5-byte length-prefixed message framing shared by gRPC, gRPC-Web and
// Connect streaming: 1 flag byte, 4-byte big-endian length, payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace triplex::wire {

inline constexpr std::uint8_t kFlagCompressed = 0x01;
inline constexpr std::uint8_t kFlagConnectEndStream = 0x02;
inline constexpr std::uint8_t kFlagWebTrailers = 0x80;
inline constexpr std::size_t kEnvelopeHeaderSize = 5;
// The length prefix is 32 bits: no message may be longer.
inline constexpr std::size_t kMaxEnvelopePayload = 0xFFFF'FFFF;

struct Envelope {
  std::uint8_t flags = 0;
  std::string payload;
};

// Reassembles envelopes from arbitrarily split input. Not thread-safe.
class EnvelopeReader {
 public:
  enum class State { kMessage, kNeedMore, kTooLarge };

  explicit EnvelopeReader(std::size_t max_payload) : max_payload_(max_payload) {}

  void feed(std::string_view bytes);
  // kMessage fills `out`; kNeedMore until a whole envelope is buffered;
  // kTooLarge (sticky) once a length prefix exceeds the limit.
  State next(Envelope& out);
  // True when buffered bytes do not form a whole envelope (a truncated
  // message if the stream ends now).
  bool has_partial() const { return buffer_.size() > offset_; }
  // The declared length that tripped kTooLarge.
  std::size_t rejected_length() const { return rejected_length_; }
  std::size_t max_payload() const { return max_payload_; }

 private:
  std::size_t max_payload_;
  std::string buffer_;
  std::size_t offset_ = 0;
  std::size_t rejected_length_ = 0;
  bool too_large_ = false;
};

// Writes the 5-byte prefix into out[0..4].
void write_envelope_prefix(std::uint8_t flags, std::uint32_t length, char* out);
// Appends prefix + payload to `out`. Throws std::length_error for a payload
// over kMaxEnvelopePayload (the callers' send limits stop such messages first).
void append_envelope(std::string& out, std::uint8_t flags, std::string_view payload);

}  // namespace triplex::wire
