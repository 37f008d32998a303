#include "src/wire/percent.h"

#include <gtest/gtest.h>

namespace triplex::wire {
namespace {

TEST(PercentTest, EncodesOnlyWhatMustBe) {
  EXPECT_EQ(percent_encode(""), "");
  EXPECT_EQ(percent_encode("hello world ~!\"#$&'()*+,/:;<=>?@[\\]^_`{|}"),
            "hello world ~!\"#$&'()*+,/:;<=>?@[\\]^_`{|}");
  EXPECT_EQ(percent_encode("100%"), "100%25");
  EXPECT_EQ(percent_encode("a\nb\tc"), "a%0Ab%09c");
  EXPECT_EQ(percent_encode(std::string("\x00\x1f\x7f", 3)), "%00%1F%7F");
}

TEST(PercentTest, EncodesUtf8BytewiseUppercase) {
  EXPECT_EQ(percent_encode("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(percent_encode("\xe2\x82\xac"), "%E2%82%AC");
  EXPECT_EQ(percent_encode("\xf0\x9f\x98\x80"), "%F0%9F%98%80");
}

TEST(PercentTest, DecodesEitherCase) {
  EXPECT_EQ(percent_decode("caf%C3%A9"), "caf\xc3\xa9");
  EXPECT_EQ(percent_decode("caf%c3%a9"), "caf\xc3\xa9");
  EXPECT_EQ(percent_decode("100%25"), "100%");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percent_decode("plain text"), "plain text");
}

TEST(PercentTest, KeepsMalformedSequencesVerbatim) {
  EXPECT_EQ(percent_decode("%"), "%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("abc%"), "abc%");
  EXPECT_EQ(percent_decode("%zz"), "%zz");
  EXPECT_EQ(percent_decode("%4g%41"), "%4gA");
  EXPECT_EQ(percent_decode("%%41"), "%A");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("\xc3\xa9"), "\xc3\xa9");  // raw UTF-8 passes through
}

TEST(PercentTest, RoundTripsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  const std::string encoded = percent_encode(bytes);
  for (unsigned char c : encoded) {
    EXPECT_GE(c, 0x20);
    EXPECT_LE(c, 0x7E);
  }
  EXPECT_EQ(percent_decode(encoded), bytes);
}

}  // namespace
}  // namespace triplex::wire
