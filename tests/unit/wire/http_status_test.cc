#include "src/wire/http_status.h"

#include <gtest/gtest.h>

#include "src/wire/base64_stream.h"
#include "src/wire/status_details.h"

namespace triplex::wire {
namespace {

TEST(HttpStatusTest, ConnectTableForEveryCode) {
  EXPECT_EQ(connect_http_status(Code::kCancelled), 499);
  EXPECT_EQ(connect_http_status(Code::kUnknown), 500);
  EXPECT_EQ(connect_http_status(Code::kInvalidArgument), 400);
  EXPECT_EQ(connect_http_status(Code::kDeadlineExceeded), 504);
  EXPECT_EQ(connect_http_status(Code::kNotFound), 404);
  EXPECT_EQ(connect_http_status(Code::kAlreadyExists), 409);
  EXPECT_EQ(connect_http_status(Code::kPermissionDenied), 403);
  EXPECT_EQ(connect_http_status(Code::kResourceExhausted), 429);
  EXPECT_EQ(connect_http_status(Code::kFailedPrecondition), 400);
  EXPECT_EQ(connect_http_status(Code::kAborted), 409);
  EXPECT_EQ(connect_http_status(Code::kOutOfRange), 400);
  EXPECT_EQ(connect_http_status(Code::kUnimplemented), 501);
  EXPECT_EQ(connect_http_status(Code::kInternal), 500);
  EXPECT_EQ(connect_http_status(Code::kUnavailable), 503);
  EXPECT_EQ(connect_http_status(Code::kDataLoss), 500);
  EXPECT_EQ(connect_http_status(Code::kUnauthenticated), 401);
}

TEST(HttpStatusTest, ClientInferenceFromHttpStatus) {
  EXPECT_EQ(code_from_http_status(400), Code::kInternal);
  EXPECT_EQ(code_from_http_status(401), Code::kUnauthenticated);
  EXPECT_EQ(code_from_http_status(403), Code::kPermissionDenied);
  EXPECT_EQ(code_from_http_status(404), Code::kUnimplemented);
  for (int s : {429, 502, 503, 504}) EXPECT_EQ(code_from_http_status(s), Code::kUnavailable);
  EXPECT_EQ(code_from_http_status(418), Code::kUnknown);
}

TEST(StatusDetailsTest, RoundTripsAndRejectsGarbage) {
  RpcStatus in;
  in.code = 5;
  in.message = "missing";
  in.details.push_back({"grpc.testing.EchoStatus", "\x08\x05"});
  auto out = parse_rpc_status(serialize_rpc_status(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->code, 5);
  EXPECT_EQ(out->message, "missing");
  ASSERT_EQ(out->details.size(), 1u);
  EXPECT_EQ(out->details[0].type, "grpc.testing.EchoStatus");
  EXPECT_EQ(out->details[0].value, "\x08\x05");
  EXPECT_FALSE(parse_rpc_status("\x1a\x05\x0a"));  // a detail cut short
}

TEST(Base64StreamTest, DecodesSeparatelyPaddedChunksSplitAnywhere) {
  // "hi" and "there" encoded separately (padded), then split mid-quantum.
  std::string text = "aGk=dGhlcmU=";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Base64StreamDecoder decoder;
    std::string out;
    ASSERT_TRUE(decoder.feed(text.substr(0, cut), out));
    ASSERT_TRUE(decoder.feed(text.substr(cut), out));
    EXPECT_EQ(out, "hithere");
    EXPECT_TRUE(decoder.at_boundary());
  }
  Base64StreamDecoder bad;
  std::string out;
  EXPECT_FALSE(bad.feed("a$==", out));
  Base64StreamDecoder partial;
  EXPECT_TRUE(partial.feed("aGk", out));
  EXPECT_FALSE(partial.at_boundary());
}

}  // namespace
}  // namespace triplex::wire
