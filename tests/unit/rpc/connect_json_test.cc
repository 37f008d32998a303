#include "src/rpc/connect_json.h"

#include <gtest/gtest.h>

#include "src/rpc/connect_json_parse.h"
#include "src/wire/status_details.h"

namespace triplex::rpc {
namespace {

TEST(ConnectJsonTest, ErrorCarriesConnectCodeNameAndEscapedMessage) {
  EXPECT_EQ(connect_error_json(Status(Code::kNotFound, "no \"such\"\nthing")),
            R"({"code":"not_found","message":"no \"such\"\nthing"})");
  EXPECT_EQ(connect_error_json(Status(Code::kCancelled)), R"({"code":"canceled"})");
}

TEST(ConnectJsonTest, DetailsComeFromTheSerializedRpcStatus) {
  wire::RpcStatus rpc;
  rpc.code = 3;
  rpc.details.push_back({"google.rpc.ErrorInfo", std::string("\x0a\x01x", 3)});
  Status s(Code::kInvalidArgument, "bad", wire::serialize_rpc_status(rpc));
  EXPECT_EQ(
      connect_error_json(s),
      R"({"code":"invalid_argument","message":"bad","details":[{"type":"google.rpc.ErrorInfo","value":"CgF4"}]})");
}

TEST(ConnectJsonTest, EndStreamGroupsTrailersAndEncodesBinaryValues) {
  Metadata trailers;
  trailers.add("x-a", "1");
  trailers.add("x-b-bin", std::string("\xff\x00", 2));
  trailers.add("x-a", "2");
  EXPECT_EQ(connect_end_stream_json(Status(), trailers),
            R"({"metadata":{"x-a":["1","2"],"x-b-bin":["/wA"]}})");
  EXPECT_EQ(connect_end_stream_json(Status(Code::kInternal, "boom"), {}),
            R"({"error":{"code":"internal","message":"boom"}})");
  EXPECT_EQ(connect_end_stream_json(Status(), {}), "{}");
}

TEST(ConnectJsonTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(json_quote(std::string("a\x01", 2)), "\"a\\u0001\"");
}

// A server may echo a client's bytes into a message ("unsupported compression:
// ..."); bytes that are no UTF-8 must not make the error body unreadable.
TEST(ConnectJsonTest, BytesThatAreNoUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_quote("a\xff"
                       "b\xc3"),
            "\"a\\ufffdb\\ufffd\"");
  Status parsed;
  ASSERT_TRUE(parse_connect_error(
      connect_error_json(Status(Code::kUnimplemented, "unsupported compression: \xfe\xff")),
      parsed));
  EXPECT_EQ(parsed.code, Code::kUnimplemented);
  EXPECT_EQ(parsed.message, "unsupported compression: \xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace triplex::rpc
