#include "src/wire/compression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace triplex::wire {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string text(std::size_t n) {
  std::string s;
  while (s.size() < n)
    s += "the quick brown fox jumps over the lazy dog " + std::to_string(s.size());
  s.resize(n);
  return s;
}

class CompressionTest : public ::testing::TestWithParam<const char*> {
 protected:
  const Compressor& compressor() const {
    const Compressor* c = find_compressor(GetParam());
    EXPECT_NE(c, nullptr);
    return *c;
  }
  std::string compress(std::string_view in) const {
    std::string out;
    compressor().compress(in, out);
    return out;
  }
};

TEST_P(CompressionTest, Name) { EXPECT_EQ(compressor().name(), GetParam()); }

TEST_P(CompressionTest, RoundTrips) {
  for (const std::string& in :
       {std::string(), std::string("a"), text(1000), random_bytes(5000, 1), text(3 * kMiB)}) {
    const std::string packed = compress(in);
    std::string out = "stale";
    ASSERT_EQ(compressor().decompress(packed, in.size(), out), DecompressResult::kOk) << in.size();
    EXPECT_EQ(out, in);
  }
}

TEST_P(CompressionTest, LimitIsInclusive) {
  const std::string in = text(10000);
  const std::string packed = compress(in);
  std::string out;
  EXPECT_EQ(compressor().decompress(packed, 10000, out), DecompressResult::kOk);
  EXPECT_EQ(compressor().decompress(packed, 9999, out), DecompressResult::kTooLarge);
  EXPECT_EQ(compressor().decompress(packed, 0, out), DecompressResult::kTooLarge);
}

TEST_P(CompressionTest, BombStopsAtLimit) {
  const std::string packed = compress(std::string(10 * kMiB, '\0'));
  EXPECT_LT(packed.size(), 64 * 1024u);
  std::string out;
  EXPECT_EQ(compressor().decompress(packed, kMiB, out), DecompressResult::kTooLarge);
  // The output never grew much past the limit.
  EXPECT_LE(out.capacity(), kMiB + 64 * 1024);
}

TEST_P(CompressionTest, GarbageIsCorrupt) {
  std::string out;
  EXPECT_EQ(compressor().decompress("", kMiB, out), DecompressResult::kCorrupt);
  EXPECT_EQ(compressor().decompress(random_bytes(1000, 7), kMiB, out), DecompressResult::kCorrupt);
  EXPECT_EQ(compressor().decompress("this is not compressed at all", kMiB, out),
            DecompressResult::kCorrupt);
}

TEST_P(CompressionTest, TruncatedIsCorrupt) {
  const std::string packed = compress(random_bytes(20000, 3));
  std::string out;
  for (std::size_t cut : {std::size_t{1}, packed.size() / 2, packed.size() - 1}) {
    EXPECT_EQ(compressor().decompress(std::string_view(packed).substr(0, cut), kMiB, out),
              DecompressResult::kCorrupt)
        << cut;
  }
}

TEST_P(CompressionTest, TrailingGarbageIsCorrupt) {
  const std::string packed = compress(text(1000));
  std::string out;
  EXPECT_EQ(compressor().decompress(packed + "x", kMiB, out), DecompressResult::kCorrupt);
  EXPECT_EQ(compressor().decompress(packed + std::string(16, '\0'), kMiB, out),
            DecompressResult::kCorrupt);
}

INSTANTIATE_TEST_SUITE_P(All, CompressionTest, ::testing::Values("gzip", "deflate", "zstd", "br"),
                         [](const auto& info) { return std::string(info.param); });

TEST(CompressionLookupTest, FindsSupportedOnly) {
  EXPECT_EQ(find_compressor("identity"), nullptr);
  EXPECT_EQ(find_compressor(""), nullptr);
  EXPECT_EQ(find_compressor("lz4"), nullptr);
  ASSERT_NE(find_compressor("GZIP"), nullptr);
  EXPECT_EQ(find_compressor("GZIP")->name(), "gzip");
  EXPECT_EQ(supported_encodings(), "gzip,deflate,zstd,br");
}

TEST(CompressionLookupTest, GzipAcceptsConcatenatedMembers) {
  const Compressor& gzip = *find_compressor("gzip");
  std::string a;
  std::string b;
  gzip.compress("hello ", a);
  gzip.compress("world", b);
  std::string out;
  ASSERT_EQ(gzip.decompress(a + b, 100, out), DecompressResult::kOk);
  EXPECT_EQ(out, "hello world");
  EXPECT_EQ(gzip.decompress(a + b, 8, out), DecompressResult::kTooLarge);
}

TEST(CompressionLookupTest, ZstdAcceptsConcatenatedFrames) {
  const Compressor& zstd = *find_compressor("zstd");
  std::string a;
  std::string b;
  zstd.compress("hello ", a);
  zstd.compress("world", b);
  std::string out;
  ASSERT_EQ(zstd.decompress(a + b, 100, out), DecompressResult::kOk);
  EXPECT_EQ(out, "hello world");
}

TEST(CompressionLookupTest, FormatsAreDistinct) {
  std::string gz;
  find_compressor("gzip")->compress("payload", gz);
  std::string out;
  // A gzip stream is not a zlib stream and vice versa.
  EXPECT_EQ(find_compressor("deflate")->decompress(gz, 100, out), DecompressResult::kCorrupt);
  std::string zl;
  find_compressor("deflate")->compress("payload", zl);
  EXPECT_EQ(find_compressor("gzip")->decompress(zl, 100, out), DecompressResult::kCorrupt);
}

}  // namespace
}  // namespace triplex::wire
