#include "src/rpc/connect_json_parse.h"

#include <gtest/gtest.h>

#include "src/wire/status_details.h"

namespace triplex::rpc {
namespace {

TEST(ConnectJsonParse, UnaryErrorWithDetails) {
  Status s;
  ASSERT_TRUE(
      parse_connect_error(R"({"code":"not_found","message":"no such \"thing\"",)"
                          R"("details":[{"type":"google.rpc.ErrorInfo","value":"CgZyZWFzb24"}]})",
                          s));
  EXPECT_EQ(s.code, Code::kNotFound);
  EXPECT_EQ(s.message, "no such \"thing\"");
  auto rpc = wire::parse_rpc_status(s.details);
  ASSERT_TRUE(rpc);
  ASSERT_EQ(rpc->details.size(), 1u);
  EXPECT_EQ(rpc->details[0].type, "google.rpc.ErrorInfo");
  EXPECT_EQ(rpc->details[0].value, std::string("\x0a\x06reason", 8));
}

TEST(ConnectJsonParse, NotAConnectError) {
  Status s;
  EXPECT_FALSE(parse_connect_error("<html>bad gateway</html>", s));
  EXPECT_FALSE(parse_connect_error(R"({"code":"no_such_code"})", s));
  EXPECT_FALSE(parse_connect_error(R"({"message":"x"})", s));
}

TEST(ConnectJsonParse, EndStreamWithErrorAndMetadata) {
  Status s;
  Metadata trailers;
  ASSERT_TRUE(
      parse_connect_end_stream(R"({"error":{"code":"resource_exhausted","message":"slow down"},)"
                               R"("metadata":{"x-a":["1","2"],"x-b-bin":["AAE"]}})",
                               s, trailers));
  EXPECT_EQ(s.code, Code::kResourceExhausted);
  EXPECT_EQ(s.message, "slow down");
  EXPECT_EQ(trailers.all("x-a").size(), 2u);
  ASSERT_NE(trailers.find("x-b-bin"), nullptr);
  EXPECT_EQ(*trailers.find("x-b-bin"), std::string("\0\1", 2));
}

TEST(ConnectJsonParse, EndStreamSuccessAndMalformed) {
  Status s(Code::kInternal);
  Metadata trailers;
  ASSERT_TRUE(parse_connect_end_stream("{}", s, trailers));
  EXPECT_TRUE(s.ok());
  EXPECT_FALSE(parse_connect_end_stream("{", s, trailers));
  ASSERT_TRUE(parse_connect_end_stream(R"({"error":{"message":"?"}})", s, trailers));
  EXPECT_EQ(s.code, Code::kUnknown);
}

}  // namespace
}  // namespace triplex::rpc
