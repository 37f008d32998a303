#pragma once
// The body bytes of one HTTP/2 or HTTP/3 stream, one class per direction,
// shared by the server's and the client's streams of both versions.
//
// InboundBody buffers what arrives until the application reads it; the
// stream returns flow-control credit for the bytes read() hands out.
//
// OutboundBody holds what the application wrote until the transport is done
// with it: HTTP/2 copies bytes into DATA frames (done at once, copy_out);
// HTTP/3 gives nghttp3 references that QUIC may retransmit until the peer
// acknowledges them (reference_out, on_acked). A writer waits while more
// than `limit` bytes are held, and wakes when at most half are left.
//
// Concurrency: belongs to one stream on one worker.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <cstdint>
#include <list>
#include <string>

#include "src/net/event.h"

namespace triplex::http {

class InboundBody {
 public:
  explicit InboundBody(const asio::any_io_executor& executor) : readable_(executor) {}

  void append(const std::uint8_t* data, std::size_t size) {
    bytes_.append(reinterpret_cast<const char*>(data), size);
    readable_.notify();
  }
  // No more bytes will come.
  void end() {
    ended_ = true;
    readable_.notify();
  }
  bool ended() const { return ended_; }
  // Received and not yet read: their credit is still out.
  std::size_t unread() const { return bytes_.size(); }
  // Moves what has arrived to the end of `out`; returns how many bytes.
  std::size_t take(std::string& out);
  // Wakes the reader to look again (bytes, the end, a head, a reset).
  void wake() { readable_.notify(); }
  asio::awaitable<void> wait() { return readable_.wait(); }

 private:
  std::string bytes_;
  bool ended_ = false;
  net::Event readable_;
};

class OutboundBody {
 public:
  OutboundBody(const asio::any_io_executor& executor, std::size_t limit)
      : limit_(limit), drained_(executor) {}
  // nghttp3 holds references into it, and unsent_ into chunks_: it stays put.
  OutboundBody(const OutboundBody&) = delete;
  OutboundBody& operator=(const OutboundBody&) = delete;

  // Ignored once finished, and for empty data.
  void push(std::string data);
  // No more bytes will be pushed.
  void finish() { finished_ = true; }
  bool finished() const { return finished_; }
  // Bytes pushed that the transport has not handed out yet.
  bool has_unsent() const { return unsent_ != chunks_.end(); }
  // Pushed and not yet done with: the writer's backpressure.
  std::size_t held() const { return held_; }
  bool over_limit() const { return held_ > limit_; }
  asio::awaitable<void> wait_drained() { return drained_.wait(); }
  // Wakes a waiting writer to look again (a reset).
  void wake() { drained_.notify(); }

  // HTTP/2: copies up to `size` unsent bytes into `buf`; they are done with.
  std::size_t copy_out(std::uint8_t* buf, std::size_t size);

  // HTTP/3: points `vec` (base, len pairs) at the next unsent chunks, which
  // stay in place until acknowledged. Sets `eof` once, with the last of them.
  template <class Vec>
  std::size_t reference_out(Vec* vec, std::size_t capacity, bool& eof) {
    std::size_t n = 0;
    for (; n < capacity && unsent_ != chunks_.end(); ++n, ++unsent_) {
      vec[n].base = reinterpret_cast<std::uint8_t*>(unsent_->data());
      vec[n].len = unsent_->size();
    }
    eof = unsent_ == chunks_.end() && finished_ && !eof_given_;
    if (eof) eof_given_ = true;
    return n;
  }
  void on_acked(std::uint64_t size);
  // Everything is to be handed out again from the start (a new stream after
  // rejected 0-RTT). Nothing can have been acknowledged.
  void rewind();

 private:
  void release(std::size_t size);

  // From the oldest chunk not done with; a list, so that chunks never move
  // while nghttp3 holds references to them.
  std::list<std::string> chunks_;
  std::list<std::string>::iterator unsent_ = chunks_.end();
  std::size_t front_done_ = 0;  // bytes of chunks_.front() copied out or acknowledged
  std::size_t held_ = 0;
  std::size_t limit_;
  bool finished_ = false;
  bool eof_given_ = false;
  net::Event drained_;
};

}  // namespace triplex::http
