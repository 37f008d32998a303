#include "src/wire/timeout.h"

#include <gtest/gtest.h>

namespace triplex::wire {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

TEST(TimeoutTest, ParsesEveryUnit) {
  EXPECT_EQ(parse_grpc_timeout("1H"), nanoseconds(1h));
  EXPECT_EQ(parse_grpc_timeout("2M"), nanoseconds(2min));
  EXPECT_EQ(parse_grpc_timeout("3S"), nanoseconds(3s));
  EXPECT_EQ(parse_grpc_timeout("4m"), nanoseconds(4ms));
  EXPECT_EQ(parse_grpc_timeout("5u"), nanoseconds(5us));
  EXPECT_EQ(parse_grpc_timeout("6n"), nanoseconds(6ns));
  EXPECT_EQ(parse_grpc_timeout("0S"), nanoseconds(0));
  EXPECT_EQ(parse_grpc_timeout("00000010m"), nanoseconds(10ms));
  EXPECT_EQ(parse_grpc_timeout("99999999n"), nanoseconds(99'999'999));
}

TEST(TimeoutTest, SaturatesInsteadOfOverflowing) {
  const auto hours = parse_grpc_timeout("99999999H");
  ASSERT_TRUE(hours.has_value());
  EXPECT_GT(*hours, nanoseconds(24h * 365 * 50));
  EXPECT_GT(*hours, nanoseconds(0));
  const auto minutes = parse_grpc_timeout("99999999M");
  ASSERT_TRUE(minutes.has_value());
  EXPECT_EQ(*minutes, *hours);  // both beyond the ~100 year ceiling
  EXPECT_EQ(parse_grpc_timeout("500000H"), nanoseconds(500000h));  // 57 years: exact
}

TEST(TimeoutTest, RejectsMalformed) {
  for (const char* text : {"", "S", "1", "123456789S", "1s", "1x", "-1S", "+1S", " 1S", "1S ",
                           "1 S", "1.5S", "1SS", "0x1S", "１S"}) {
    EXPECT_FALSE(parse_grpc_timeout(text).has_value()) << text;
  }
}

TEST(TimeoutTest, FormatPicksFinestUnitAndRoundsUp) {
  EXPECT_EQ(format_grpc_timeout(1ns), "1n");
  EXPECT_EQ(format_grpc_timeout(99'999'999ns), "99999999n");
  EXPECT_EQ(format_grpc_timeout(100'000'000ns), "100000u");
  EXPECT_EQ(format_grpc_timeout(100'000'001ns), "100001u");  // rounded up
  EXPECT_EQ(format_grpc_timeout(30s), "30000000u");
  EXPECT_EQ(format_grpc_timeout(1000s), "1000000m");
  EXPECT_EQ(format_grpc_timeout(200000s), "200000S");
  EXPECT_EQ(format_grpc_timeout(nanoseconds(0)), "0n");
  EXPECT_EQ(format_grpc_timeout(-5s), "0n");
  const std::string longest = format_grpc_timeout(nanoseconds::max());
  EXPECT_EQ(longest.back(), 'H');
  EXPECT_LE(longest.size(), 9u);
}

TEST(TimeoutTest, FormatRoundTripsWithoutShortening) {
  for (std::int64_t ns : {1LL, 999LL, 1'000LL, 123'456'789LL, 5'000'000'000LL, 987'654'321'012LL,
                          86'400'000'000'000LL, 3'000'000'000'000'000LL}) {
    const std::string text = format_grpc_timeout(nanoseconds(ns));
    const auto parsed = parse_grpc_timeout(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_GE(parsed->count(), ns) << text;
    // Rounding up never adds more than one unit, under 1% here.
    EXPECT_LE(parsed->count() - ns, ns / 100 + 1) << text;
  }
}

}  // namespace
}  // namespace triplex::wire
