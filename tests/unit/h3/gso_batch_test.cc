// GsoBatch: which packets leave together in one GSO send, and what happens
// when the socket is full.
#include "src/net/quic/gso_batch.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

namespace triplex::net::quic {
namespace {

struct Sent {
  std::uint8_t ecn;
  std::string bytes;
  std::size_t segment;
};

class GsoBatchTest : public ::testing::Test {
 protected:
  GsoBatchTest() {
    for (int i = 0; i < 2; ++i) {
      sockaddr_in& a = addresses_[i];
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(4433 + i));
      a.sin_addr.s_addr = htonl(0x7f000001);
      paths_[i] = ngtcp2_path{{reinterpret_cast<sockaddr*>(&local_), sizeof(local_)},
                              {reinterpret_cast<sockaddr*>(&a), sizeof(a)},
                              nullptr};
    }
    local_.sin_family = AF_INET;
    local_.sin_port = htons(5000);
    local_.sin_addr.s_addr = htonl(0x7f000001);
    batch_.reserve(100, 4);
  }

  auto sender() {
    return [this](const ngtcp2_path&, std::uint8_t ecn, const std::uint8_t* data, std::size_t size,
                  std::size_t segment) {
      sent_.push_back({ecn, std::string(reinterpret_cast<const char*>(data), size), segment});
      return !socket_full_;
    };
  }
  // Writes a packet of `size` bytes of `fill` at next() and adds it.
  bool add(char fill, std::size_t size, int path = 0, std::uint8_t ecn = 0) {
    std::memset(batch_.next(), fill, size);
    return batch_.add(paths_[path], ecn, size, sender());
  }

  sockaddr_in local_{};
  sockaddr_in addresses_[2]{};
  ngtcp2_path paths_[2]{};
  GsoBatch batch_;
  std::vector<Sent> sent_;
  bool socket_full_ = false;
};

TEST_F(GsoBatchTest, EqualPacketsLeaveTogetherWhenTheBatchIsFull) {
  for (char c : {'a', 'b', 'c'}) ASSERT_TRUE(add(c, 100));
  EXPECT_TRUE(sent_.empty());
  ASSERT_TRUE(add('d', 100));  // the fourth fills it
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].bytes, std::string(100, 'a') + std::string(100, 'b') + std::string(100, 'c') +
                                std::string(100, 'd'));
  EXPECT_EQ(sent_[0].segment, 100u);
  EXPECT_TRUE(batch_.flush(sender()));  // nothing left
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(GsoBatchTest, AShorterPacketEndsTheBatch) {
  ASSERT_TRUE(add('a', 100));
  ASSERT_TRUE(add('b', 40));
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].bytes, std::string(100, 'a') + std::string(40, 'b'));
  EXPECT_EQ(sent_[0].segment, 100u);
}

TEST_F(GsoBatchTest, ALargerPacketAnotherPathOrEcnStartsANewBatch) {
  ASSERT_TRUE(add('a', 50));
  ASSERT_TRUE(add('b', 80));  // larger than the segment
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].bytes, std::string(50, 'a'));
  ASSERT_TRUE(add('c', 80, 1));  // another path
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].bytes, std::string(80, 'b'));
  ASSERT_TRUE(add('d', 80, 1, 2));  // another ECN mark
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[2].bytes, std::string(80, 'c'));
  ASSERT_TRUE(batch_.flush(sender()));
  ASSERT_EQ(sent_.size(), 4u);
  EXPECT_EQ(sent_[3].bytes, std::string(80, 'd'));
  EXPECT_EQ(sent_[3].ecn, 2);
}

TEST_F(GsoBatchTest, AFullSocketStopsTheWriterAndKeepsOrder) {
  ASSERT_TRUE(add('a', 50));
  socket_full_ = true;
  // It cannot join; the batch is sent (and queued by the socket), then the
  // packet itself right behind it, whole.
  EXPECT_FALSE(add('b', 80));
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].bytes, std::string(50, 'a'));
  EXPECT_EQ(sent_[1].bytes, std::string(80, 'b'));
  EXPECT_EQ(sent_[1].segment, 0u);
  EXPECT_EQ(batch_.packets(), 0u);
}

}  // namespace
}  // namespace triplex::net::quic
