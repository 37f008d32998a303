// InboundBody and OutboundBody, the body buffers every HTTP/2 and HTTP/3
// stream uses: what a reader takes, what HTTP/2 copies out, what HTTP/3
// references until acknowledged, and when a waiting writer wakes.
#include "src/http/stream_body.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <string>

namespace triplex::http {
namespace {

struct Vec {
  std::uint8_t* base = nullptr;
  std::size_t len = 0;
};

std::string str(const Vec& v) { return {reinterpret_cast<const char*>(v.base), v.len}; }

const std::uint8_t* bytes(const char* s) { return reinterpret_cast<const std::uint8_t*>(s); }

TEST(InboundBodyTest, ReaderTakesEverythingThatArrivedAndAppends) {
  asio::io_context io;
  InboundBody body(io.get_executor());
  body.append(bytes("abc"), 3);
  body.append(bytes("de"), 2);
  EXPECT_EQ(body.unread(), 5u);
  std::string out;
  EXPECT_EQ(body.take(out), 5u);
  EXPECT_EQ(out, "abcde");
  EXPECT_EQ(body.unread(), 0u);
  body.append(bytes("f"), 1);
  EXPECT_EQ(body.take(out), 1u);
  EXPECT_EQ(out, "abcdef");
  EXPECT_FALSE(body.ended());
  body.end();
  EXPECT_TRUE(body.ended());
}

TEST(InboundBodyTest, ArrivalWakesAWaitingReader) {
  asio::io_context io;
  InboundBody body(io.get_executor());
  bool woke = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body.wait();
        woke = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.poll();
  EXPECT_FALSE(woke);
  body.append(bytes("x"), 1);
  io.poll();
  EXPECT_TRUE(woke);
}

TEST(OutboundBodyTest, CopyOutCrossesChunksAndReleasesAtOnce) {
  asio::io_context io;
  OutboundBody body(io.get_executor(), 100);
  body.push("hello ");
  body.push("");  // ignored
  body.push("world");
  EXPECT_EQ(body.held(), 11u);
  EXPECT_TRUE(body.has_unsent());
  std::uint8_t buf[8];
  ASSERT_EQ(body.copy_out(buf, sizeof(buf)), 8u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 8), "hello wo");
  EXPECT_EQ(body.held(), 3u);
  ASSERT_EQ(body.copy_out(buf, sizeof(buf)), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 3), "rld");
  EXPECT_FALSE(body.has_unsent());
  EXPECT_EQ(body.copy_out(buf, sizeof(buf)), 0u);
  body.push("again");
  EXPECT_TRUE(body.has_unsent());
  body.finish();
  body.push("after the end");  // ignored
  EXPECT_EQ(body.held(), 5u);
}

TEST(OutboundBodyTest, ReferencesStayInPlaceUntilAcknowledged) {
  asio::io_context io;
  OutboundBody body(io.get_executor(), 100);
  body.push("one");  // short strings live inside the std::string object
  Vec vec[4];
  bool eof = true;
  ASSERT_EQ(body.reference_out(vec, 4, eof), 1u);
  EXPECT_FALSE(eof);
  // Pushing more must not move what nghttp3 already points at.
  for (int i = 0; i < 100; ++i) body.push("more");
  EXPECT_EQ(str(vec[0]), "one");
  EXPECT_EQ(body.held(), 3u + 400u);
  ASSERT_EQ(body.reference_out(vec, 4, eof), 4u);
  EXPECT_EQ(str(vec[3]), "more");
  body.on_acked(2);  // part of "one"
  EXPECT_EQ(body.held(), 401u);
  body.on_acked(1 + 4 * 4);
  EXPECT_EQ(body.held(), 4u * 96);
  Vec rest[100];
  EXPECT_EQ(body.reference_out(rest, 100, eof), 96u);
  EXPECT_FALSE(eof);
  body.finish();
  EXPECT_EQ(body.reference_out(rest, 100, eof), 0u);
  EXPECT_TRUE(eof);
  EXPECT_EQ(body.reference_out(rest, 100, eof), 0u);
  EXPECT_FALSE(eof) << "the end is given once";
}

TEST(OutboundBodyTest, RewindHandsEverythingOutAgain) {
  asio::io_context io;
  OutboundBody body(io.get_executor(), 100);
  body.push("a");
  body.push("b");
  body.finish();
  Vec vec[4];
  bool eof = false;
  ASSERT_EQ(body.reference_out(vec, 4, eof), 2u);
  EXPECT_TRUE(eof);
  body.rewind();
  ASSERT_EQ(body.reference_out(vec, 4, eof), 2u);
  EXPECT_TRUE(eof);
  EXPECT_EQ(str(vec[0]) + str(vec[1]), "ab");
}

TEST(OutboundBodyTest, AWaitingWriterWakesWhenHalfIsReleased) {
  asio::io_context io;
  OutboundBody body(io.get_executor(), 10);
  body.push(std::string(16, 'x'));
  ASSERT_TRUE(body.over_limit());
  bool woke = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body.wait_drained();
        woke = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.poll();
  std::uint8_t buf[16];
  body.copy_out(buf, 10);  // 6 held: under the limit, not yet half
  io.poll();
  EXPECT_FALSE(woke);
  body.copy_out(buf, 1);  // 5 held: half
  io.poll();
  EXPECT_TRUE(woke);
}

}  // namespace
}  // namespace triplex::http
