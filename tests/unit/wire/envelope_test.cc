#include "src/wire/envelope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace triplex::wire {
namespace {

using State = EnvelopeReader::State;

std::string three_envelopes() {
  std::string wire;
  append_envelope(wire, 0, "hello");
  append_envelope(wire, kFlagCompressed, "");
  append_envelope(wire, kFlagWebTrailers, std::string(300, 'x'));
  return wire;
}

void expect_three(const std::vector<Envelope>& got) {
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].flags, 0);
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[1].flags, kFlagCompressed);
  EXPECT_EQ(got[1].payload, "");
  EXPECT_EQ(got[2].flags, kFlagWebTrailers);
  EXPECT_EQ(got[2].payload, std::string(300, 'x'));
}

std::vector<Envelope> drain(EnvelopeReader& reader) {
  std::vector<Envelope> got;
  Envelope env;
  while (reader.next(env) == State::kMessage) got.push_back(env);
  return got;
}

TEST(EnvelopeTest, PrefixIsBigEndian) {
  char prefix[kEnvelopeHeaderSize];
  write_envelope_prefix(0x80, 0x01020304, prefix);
  EXPECT_EQ(std::string(prefix, 5), std::string("\x80\x01\x02\x03\x04", 5));
  std::string out = "ab";
  append_envelope(out, 2, "xyz");
  EXPECT_EQ(out, std::string("ab\x02\x00\x00\x00\x03xyz", 10));
}

TEST(EnvelopeTest, SeveralInOneFeed) {
  EnvelopeReader reader(1024);
  reader.feed(three_envelopes());
  expect_three(drain(reader));
  EXPECT_FALSE(reader.has_partial());
  Envelope env;
  EXPECT_EQ(reader.next(env), State::kNeedMore);
}

TEST(EnvelopeTest, SplitAtEveryBoundary) {
  const std::string wire = three_envelopes();
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    EnvelopeReader reader(1024);
    reader.feed(std::string_view(wire).substr(0, cut));
    std::vector<Envelope> got = drain(reader);
    reader.feed(std::string_view(wire).substr(cut));
    for (auto& env : drain(reader)) got.push_back(env);
    SCOPED_TRACE(cut);
    expect_three(got);
    EXPECT_FALSE(reader.has_partial());
  }
}

TEST(EnvelopeTest, ByteAtATime) {
  const std::string wire = three_envelopes();
  EnvelopeReader reader(1024);
  std::vector<Envelope> got;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    reader.feed(std::string_view(wire).substr(i, 1));
    for (auto& env : drain(reader)) got.push_back(env);
    // Partial exactly between envelope boundaries.
    const bool at_boundary = i + 1 == 10 || i + 1 == 15 || i + 1 == wire.size();
    EXPECT_EQ(reader.has_partial(), !at_boundary) << i;
  }
  expect_three(got);
}

TEST(EnvelopeTest, ZeroLengthMessage) {
  EnvelopeReader reader(0);
  std::string wire;
  append_envelope(wire, kFlagConnectEndStream, "");
  reader.feed(wire);
  Envelope env;
  env.payload = "stale";
  ASSERT_EQ(reader.next(env), State::kMessage);
  EXPECT_EQ(env.flags, kFlagConnectEndStream);
  EXPECT_TRUE(env.payload.empty());
  EXPECT_EQ(reader.next(env), State::kNeedMore);
}

TEST(EnvelopeTest, PartialHeaderAndPayload) {
  EnvelopeReader reader(100);
  Envelope env;
  EXPECT_FALSE(reader.has_partial());
  reader.feed(std::string("\x00\x00\x00", 3));
  EXPECT_TRUE(reader.has_partial());
  EXPECT_EQ(reader.next(env), State::kNeedMore);
  reader.feed(
      std::string("\x00\x04"
                  "ab",
                  4));
  EXPECT_EQ(reader.next(env), State::kNeedMore);
  EXPECT_TRUE(reader.has_partial());
  reader.feed("cd");
  ASSERT_EQ(reader.next(env), State::kMessage);
  EXPECT_EQ(env.payload, "abcd");
  EXPECT_FALSE(reader.has_partial());
}

TEST(EnvelopeTest, TooLargeIsStickyAndCheckedBeforePayload) {
  EnvelopeReader reader(10);
  EXPECT_EQ(reader.max_payload(), 10u);
  std::string wire;
  append_envelope(wire, 0, "0123456789");  // exactly the limit is fine
  reader.feed(wire);
  Envelope env;
  ASSERT_EQ(reader.next(env), State::kMessage);
  // Only the header of an 11-byte message: rejected without its payload.
  reader.feed(std::string("\x00\x00\x00\x00\x0b", 5));
  EXPECT_EQ(reader.next(env), State::kTooLarge);
  EXPECT_EQ(reader.rejected_length(), 11u);
  std::string more;
  append_envelope(more, 0, "ok");
  reader.feed(more);
  EXPECT_EQ(reader.next(env), State::kTooLarge);
  EXPECT_EQ(reader.next(env), State::kTooLarge);
}

TEST(EnvelopeTest, MaxLengthPrefix) {
  EnvelopeReader reader(1 << 20);
  reader.feed(std::string("\x00\xff\xff\xff\xff", 5));
  Envelope env;
  EXPECT_EQ(reader.next(env), State::kTooLarge);
  EXPECT_EQ(reader.rejected_length(), 0xFFFFFFFFu);
}

TEST(EnvelopeTest, ManySmallMessagesWithCompaction) {
  // Enough traffic to cross the compaction threshold several times, always
  // leaving a partial envelope behind.
  std::string wire;
  for (int i = 0; i < 20000; ++i) append_envelope(wire, 0, std::to_string(i));
  EnvelopeReader reader(64);
  int seen = 0;
  Envelope env;
  for (std::size_t pos = 0; pos < wire.size(); pos += 4093) {
    reader.feed(std::string_view(wire).substr(pos, 4093));
    while (reader.next(env) == State::kMessage) {
      ASSERT_EQ(env.payload, std::to_string(seen));
      ++seen;
    }
  }
  EXPECT_EQ(seen, 20000);
  EXPECT_FALSE(reader.has_partial());
}

}  // namespace
}  // namespace triplex::wire
