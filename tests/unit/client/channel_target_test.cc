#include "src/rpc/channel_target.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace triplex::rpc {
namespace {

TEST(ChannelTarget, HttpsWithPort) {
  ChannelTarget t = parse_channel_target("https://example.com:8443");
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.host, "example.com");
  EXPECT_EQ(t.port, 8443);
  EXPECT_EQ(t.authority, "example.com:8443");
}

TEST(ChannelTarget, DefaultPortsAndTrailingSlash) {
  EXPECT_EQ(parse_channel_target("https://a.b/").port, 443);
  ChannelTarget plain = parse_channel_target("http://localhost");
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.port, 80);
  EXPECT_EQ(plain.scheme(), "http");
}

TEST(ChannelTarget, BracketedIpv6) {
  ChannelTarget t = parse_channel_target("http://[::1]:50051");
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 50051);
  EXPECT_EQ(t.authority, "[::1]:50051");
}

TEST(ChannelTarget, RejectsWhatIsNotATarget) {
  for (const char* bad : {"localhost:80", "ftp://x", "https://", "https://h:0", "https://h:99999",
                          "https://h:8x", "https://[::1", "https://h/path"}) {
    EXPECT_THROW(parse_channel_target(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace triplex::rpc
