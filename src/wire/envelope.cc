#include "src/wire/envelope.h"

#include <stdexcept>

namespace triplex::wire {
namespace {

// Compact once the consumed prefix is this large and at least half the buffer,
// so each byte is moved a bounded number of times.
constexpr std::size_t kCompactThreshold = 64 * 1024;

}  // namespace

void EnvelopeReader::feed(std::string_view bytes) {
  if (too_large_) return;  // the stream is dead; don't buffer more
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ >= kCompactThreshold && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
}

EnvelopeReader::State EnvelopeReader::next(Envelope& out) {
  if (too_large_) return State::kTooLarge;
  const std::size_t available = buffer_.size() - offset_;
  if (available < kEnvelopeHeaderSize) return State::kNeedMore;

  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  const std::uint32_t length = (std::uint32_t{p[1]} << 24) | (std::uint32_t{p[2]} << 16) |
                               (std::uint32_t{p[3]} << 8) | std::uint32_t{p[4]};
  // Checked before waiting for the payload so a huge prefix never buffers.
  if (length > max_payload_) {
    too_large_ = true;
    rejected_length_ = length;
    return State::kTooLarge;
  }
  if (available - kEnvelopeHeaderSize < length) return State::kNeedMore;

  out.flags = p[0];
  out.payload.assign(buffer_, offset_ + kEnvelopeHeaderSize, length);
  offset_ += kEnvelopeHeaderSize + length;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
  return State::kMessage;
}

void write_envelope_prefix(std::uint8_t flags, std::uint32_t length, char* out) {
  out[0] = static_cast<char>(flags);
  out[1] = static_cast<char>((length >> 24) & 0xFF);
  out[2] = static_cast<char>((length >> 16) & 0xFF);
  out[3] = static_cast<char>((length >> 8) & 0xFF);
  out[4] = static_cast<char>(length & 0xFF);
}

void append_envelope(std::string& out, std::uint8_t flags, std::string_view payload) {
  if (payload.size() > kMaxEnvelopePayload) {
    throw std::length_error("message of " + std::to_string(payload.size()) +
                            " bytes does not fit a length-prefixed envelope");
  }
  char prefix[kEnvelopeHeaderSize];
  write_envelope_prefix(flags, static_cast<std::uint32_t>(payload.size()), prefix);
  out.append(prefix, kEnvelopeHeaderSize);
  out.append(payload);
}

}  // namespace triplex::wire
