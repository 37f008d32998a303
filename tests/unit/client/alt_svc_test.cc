// Alt-Svc parsing (RFC 7838): which HTTP/3 alternative a client may use.
#include "src/http/alt_svc.h"

#include <gtest/gtest.h>

namespace triplex::http {
namespace {

TEST(AltSvcTest, SamePortOnTheSameHost) {
  auto h3 = parse_alt_svc_h3("h3=\":8443\"; ma=3600", "example.com");
  ASSERT_TRUE(h3);
  EXPECT_FALSE(h3->clear);
  EXPECT_EQ(h3->port, 8443);
  EXPECT_EQ(h3->max_age, std::chrono::seconds(3600));
}

TEST(AltSvcTest, FirstUsableAlternativeWins) {
  auto h3 = parse_alt_svc_h3("h2=\":443\", h3-29=\":9000\", h3=\"other.example:1\", h3=\":9443\"",
                             "example.com");
  ASSERT_TRUE(h3);
  EXPECT_EQ(h3->port, 9443);
  EXPECT_EQ(h3->max_age, std::chrono::hours(24));  // the default
}

TEST(AltSvcTest, NamedHostMustBeOurs) {
  EXPECT_TRUE(parse_alt_svc_h3("h3=\"localhost:8443\"", "localhost"));
  EXPECT_TRUE(parse_alt_svc_h3("h3=\"[::1]:8443\"", "::1"));
  EXPECT_FALSE(parse_alt_svc_h3("h3=\"evil.example:8443\"", "localhost"));
}

TEST(AltSvcTest, ClearForgetsAlternatives) {
  auto h3 = parse_alt_svc_h3(" clear ", "example.com");
  ASSERT_TRUE(h3);
  EXPECT_TRUE(h3->clear);
}

TEST(AltSvcTest, MalformedOffersAreIgnored) {
  for (const char* field : {"", "h3", "h3=:443", "h3=\":\"", "h3=\":0\"", "h3=\":70000\"",
                            "h3=\":44x\"", "h3=\"443\""}) {
    EXPECT_FALSE(parse_alt_svc_h3(field, "example.com")) << field;
  }
}

}  // namespace
}  // namespace triplex::http
