#include "src/wire/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace triplex::wire {
namespace {

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

TEST(Base64Test, KnownVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo", Base64Alphabet::kStandard, false), "Zm8");
  EXPECT_EQ(base64_encode("\xfb\xff", Base64Alphabet::kStandard), "+/8=");
  EXPECT_EQ(base64_encode("\xfb\xff", Base64Alphabet::kUrlSafe), "-_8=");
  EXPECT_EQ(base64_encode("\xfb\xff", Base64Alphabet::kUrlSafe, false), "-_8");
}

TEST(Base64Test, RoundTripsBothAlphabetsPaddedAndNot) {
  const std::string bytes = all_bytes();
  for (std::size_t len = 0; len <= bytes.size(); ++len) {
    const std::string_view in = std::string_view(bytes).substr(bytes.size() - len);
    for (auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrlSafe}) {
      for (bool pad : {true, false}) {
        const std::string text = base64_encode(in, alphabet, pad);
        if (pad) {
          EXPECT_EQ(text.size() % 4, 0u);
        } else {
          EXPECT_EQ(text.find('='), std::string::npos);
        }
        const auto decoded = base64_decode(text);
        ASSERT_TRUE(decoded.has_value()) << text;
        EXPECT_EQ(*decoded, in);
      }
    }
  }
}

TEST(Base64Test, DecodesPaddedAndUnpadded) {
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm8"), "fo");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zg"), "f");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("+/8"), "\xfb\xff");
  EXPECT_EQ(base64_decode("-_8"), "\xfb\xff");
}

TEST(Base64Test, RejectsInvalidInput) {
  EXPECT_FALSE(base64_decode("Z"));         // one leftover character
  EXPECT_FALSE(base64_decode("Zm9vY"));     // same, after a full quantum
  EXPECT_FALSE(base64_decode("Zm9v!"));     // bad character
  EXPECT_FALSE(base64_decode("Zm 9v"));     // spaces are not skipped
  EXPECT_FALSE(base64_decode("Zm8=Zm8="));  // padding in the middle
  EXPECT_FALSE(base64_decode("Zg="));       // padding that does not complete a quantum
  EXPECT_FALSE(base64_decode("Z==="));      // too much padding
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Zm8\n"));
  EXPECT_FALSE(base64_decode(std::string("Zm\0v", 4)));
  EXPECT_FALSE(base64_decode("Zm9v\x80"));
}

}  // namespace
}  // namespace triplex::wire
