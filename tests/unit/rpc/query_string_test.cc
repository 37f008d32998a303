#include "src/rpc/query_string.h"

#include <gtest/gtest.h>

namespace triplex::rpc {
namespace {

TEST(QueryStringTest, DecodesFormEncodingInAnyOrder) {
  QueryString q("/pkg.Svc/Say?message=%7B%22a%22%3A+1%7D&encoding=json&connect=v1");
  EXPECT_EQ(q.get("encoding"), "json");
  EXPECT_EQ(q.get("connect"), "v1");
  EXPECT_EQ(q.get("message"), "{\"a\": 1}");
  EXPECT_EQ(q.get("missing"), std::nullopt);
}

TEST(QueryStringTest, KeepsMalformedEscapesAndEmptyValues) {
  QueryString q("/x?a=%zz&b=&c&d=%4");
  EXPECT_EQ(q.get("a"), "%zz");
  EXPECT_EQ(q.get("b"), "");
  EXPECT_EQ(q.get("c"), "");
  EXPECT_EQ(q.get("d"), "%4");
}

TEST(QueryStringTest, NoQueryMeansNoParameters) {
  EXPECT_EQ(QueryString("/x").get("a"), std::nullopt);
  EXPECT_EQ(QueryString("/x?a=1#frag").get("a"), "1");
}

// What a Connect GET client puts in `message=` reads back whole: the grpc-message
// escaping used before left '+', '&', '#' and spaces as they were.
TEST(QueryStringTest, EscapedValuesReadBackWhole) {
  std::string json = "{\"text\":\"a+b & c=d #1 100% \xc3\xa9\"}";
  std::string target = "/pkg.Svc/Say?connect=v1&message=" + query_escape(json) + "&encoding=json";
  EXPECT_EQ(target.find_first_of(" #+", target.find('?')), std::string::npos) << target;
  QueryString q(target);
  EXPECT_EQ(q.get("message"), json);
  EXPECT_EQ(q.get("encoding"), "json");
  EXPECT_EQ(query_escape("AZaz09-._~"), "AZaz09-._~");
}

}  // namespace
}  // namespace triplex::rpc
