#include "src/rpc/message_compression.h"

#include <gtest/gtest.h>

namespace triplex::rpc {
namespace {

TEST(MessageCompressionTest, PicksTheFirstSupportedInClientOrder) {
  EXPECT_EQ(negotiate_compressor("snappy, br;q=0.9, gzip")->name(), "br");
  EXPECT_EQ(negotiate_compressor("gzip")->name(), "gzip");
  EXPECT_EQ(negotiate_compressor("identity"), nullptr);
  EXPECT_EQ(negotiate_compressor(""), nullptr);
}

TEST(MessageCompressionTest, SmallMessagesStayUncompressed) {
  std::string out;
  EXPECT_FALSE(maybe_compress(wire::find_compressor("gzip"), std::string(100, 'a'), out));
  EXPECT_TRUE(maybe_compress(wire::find_compressor("gzip"), std::string(4096, 'a'), out));
  EXPECT_LT(out.size(), 4096u);
  EXPECT_FALSE(maybe_compress(nullptr, std::string(4096, 'a'), out));
}

}  // namespace
}  // namespace triplex::rpc
