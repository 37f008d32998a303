#pragma once
// The HTTP/1.1 connections' (client and server) way to send what they have
// queued: everything up to a limit goes out in one gathered write (a head
// and its first body chunk in one segment), with small pieces joined because
// TLS writes one record per buffer.
//
// Concurrency: one per connection's write loop.
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "src/net/byte_stream.h"

namespace triplex::http {

class WriteBatch {
 public:
  static constexpr std::size_t kMaxBuffers = 64;
  static constexpr std::size_t kMaxBytes = 64 * 1024;
  static constexpr std::size_t kJoinLimit = 16 * 1024;  // smaller neighbours are joined

  // Moves pieces from the front of `queue` into the batch; returns the bytes taken.
  std::size_t take(std::deque<std::string>& queue) {
    std::size_t bytes = 0;
    while (!queue.empty() && pieces_.size() < kMaxBuffers && bytes < kMaxBytes) {
      std::string& piece = queue.front();
      bytes += piece.size();
      if (!pieces_.empty() && pieces_.back().size() + piece.size() <= kJoinLimit) {
        pieces_.back().append(piece);
      } else {
        pieces_.push_back(std::move(piece));
      }
      queue.pop_front();
    }
    return bytes;
  }

  // Writes the batch in one gathered write and empties it; false if the
  // stream failed.
  asio::awaitable<bool> write(net::ByteStream& stream) {
    buffers_.clear();
    for (const auto& piece : pieces_) buffers_.emplace_back(piece.data(), piece.size());
    std::span<const asio::const_buffer> view(buffers_);
    bool ok = co_await stream.write(view);
    pieces_.clear();
    co_return ok;
  }

 private:
  std::vector<std::string> pieces_;  // the vectors are kept: their capacity is reused
  std::vector<asio::const_buffer> buffers_;
};

}  // namespace triplex::http
