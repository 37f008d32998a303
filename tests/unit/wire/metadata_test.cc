#include <gtest/gtest.h>

#include "src/wire/metadata_codec.h"
#include "triplex/metadata.h"

namespace triplex::wire {
namespace {

TEST(MetadataTest, AddFindAllRemove) {
  Metadata md;
  EXPECT_TRUE(md.empty());
  md.add("X-Trace", "1");
  md.add("x-trace", "2");
  md.add("other", "3");
  EXPECT_EQ(md.size(), 3u);
  EXPECT_EQ(md.begin()->first, "x-trace");  // keys are lowercased
  ASSERT_NE(md.find("x-trace"), nullptr);
  EXPECT_EQ(*md.find("X-TRACE"), "1");
  EXPECT_EQ(md.find("missing"), nullptr);
  EXPECT_EQ(md.all("x-trace"), (std::vector<std::string_view>{"1", "2"}));
  md.remove("x-trace");
  EXPECT_EQ(md.size(), 1u);
  EXPECT_EQ(md.find("x-trace"), nullptr);
  md.clear();
  EXPECT_TRUE(md.empty());
}

TEST(MetadataTest, BinaryKeys) {
  EXPECT_TRUE(Metadata::is_binary_key("trace-bin"));
  EXPECT_TRUE(Metadata::is_binary_key("Trace-BIN"));
  EXPECT_FALSE(Metadata::is_binary_key("trace"));
  EXPECT_FALSE(Metadata::is_binary_key("bin"));
  EXPECT_FALSE(Metadata::is_binary_key("trace-bins"));
}

TEST(MetadataCodecTest, ReservedHeaders) {
  for (const char* name : {":path",
                           ":status",
                           ":authority",
                           "content-type",
                           "content-length",
                           "te",
                           "host",
                           "connection",
                           "keep-alive",
                           "transfer-encoding",
                           "upgrade",
                           "proxy-connection",
                           "accept-encoding",
                           "content-encoding",
                           "grpc-status",
                           "grpc-message",
                           "grpc-status-details-bin",
                           "grpc-timeout",
                           "grpc-encoding",
                           "grpc-accept-encoding",
                           "grpc-previous-rpc-attempts",
                           "grpc-anything",
                           "connect-protocol-version",
                           "connect-timeout-ms",
                           "connect-content-encoding",
                           "connect-accept-encoding"}) {
    EXPECT_TRUE(is_reserved_header(name)) << name;
  }
  for (const char* name : {"user-agent", "authorization", "x-grpc-thing", "grpc", "trace-bin",
                           "content-language", "tea", "connect-custom"}) {
    EXPECT_FALSE(is_reserved_header(name)) << name;
  }
}

TEST(MetadataCodecTest, KeyAndValueValidation) {
  EXPECT_TRUE(is_valid_metadata_key("x-custom_key.1"));
  EXPECT_FALSE(is_valid_metadata_key(""));
  EXPECT_FALSE(is_valid_metadata_key("X-Upper"));
  EXPECT_FALSE(is_valid_metadata_key("sp ace"));
  EXPECT_FALSE(is_valid_metadata_key(":path"));
  EXPECT_TRUE(is_valid_ascii_value(""));
  EXPECT_TRUE(is_valid_ascii_value("hello world ~!"));
  EXPECT_FALSE(is_valid_ascii_value("tab\there"));
  EXPECT_FALSE(is_valid_ascii_value("del\x7f"));
  EXPECT_FALSE(is_valid_ascii_value("caf\xc3\xa9"));
}

TEST(MetadataCodecTest, EncodeBinaryIsUnpaddedBase64) {
  EXPECT_EQ(encode_metadata_value("x-bin", std::string("\x00\x01\xfe", 3)), "AAH+");
  EXPECT_EQ(encode_metadata_value("x-bin", "fo"), "Zm8");
  EXPECT_EQ(encode_metadata_value("x-bin", ""), "");
  EXPECT_EQ(encode_metadata_value("x-text", "fo"), "fo");
}

TEST(MetadataCodecTest, DecodeTextAndBinary) {
  Metadata md;
  EXPECT_TRUE(decode_metadata_field("x-text", "a, b", md));
  EXPECT_TRUE(decode_metadata_field("x-bin", "Zm8=", md));
  EXPECT_TRUE(decode_metadata_field("y-bin", "Zm8", md));
  EXPECT_EQ(*md.find("x-text"), "a, b");  // commas in text values are kept
  EXPECT_EQ(*md.find("x-bin"), "fo");
  EXPECT_EQ(*md.find("y-bin"), "fo");
}

TEST(MetadataCodecTest, DecodeCommaSeparatedBinary) {
  Metadata md;
  EXPECT_TRUE(decode_metadata_field("x-bin", "Zg==, Zm8 ,Zm9v,", md));
  EXPECT_EQ(md.all("x-bin"), (std::vector<std::string_view>{"f", "fo", "foo", ""}));
}

TEST(MetadataCodecTest, BadBinaryLeavesMetadataUntouched) {
  Metadata md;
  EXPECT_FALSE(decode_metadata_field("x-bin", "Zm8,!!!", md));
  EXPECT_FALSE(decode_metadata_field("x-bin", "Z", md));
  EXPECT_TRUE(md.empty());
}

TEST(MetadataCodecTest, RoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  Metadata md;
  ASSERT_TRUE(decode_metadata_field("blob-bin", encode_metadata_value("blob-bin", bytes), md));
  EXPECT_EQ(*md.find("blob-bin"), bytes);
}

}  // namespace
}  // namespace triplex::wire
