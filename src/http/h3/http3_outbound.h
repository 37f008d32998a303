#pragma once
// The body bytes one side of an HTTP/3 stream sends (a response body on the
// server, a request body on the client). nghttp3 takes them by reference
// and QUIC may retransmit them until the peer acknowledges them, so each
// chunk stays put (a deque never moves its elements) from push() to
// acknowledgement.
//
// Concurrency: belongs to one stream on one worker.
#include <nghttp3/nghttp3.h>

#include <cstdint>
#include <deque>
#include <string>

namespace triplex::http {

class Http3Outbound {
 public:
  void push(std::string data);
  // No more bytes will be pushed; the reader ends the stream after the last.
  void finish() { finished_ = true; }
  bool finished() const { return finished_; }
  // Pushed and not yet acknowledged.
  std::size_t unacked() const { return unacked_; }

  // For nghttp3's data reader: the next unsent chunks. Sets `eof` (and
  // NGHTTP3_DATA_FLAG_EOF) once, with the last of them; NGHTTP3_ERR_WOULDBLOCK
  // when there is nothing to give yet.
  nghttp3_ssize read(nghttp3_vec* vec, std::size_t capacity, std::uint32_t* flags, bool& eof);
  void on_acked(std::uint64_t size);
  // Everything is to be sent again from the start (a new stream after
  // rejected 0-RTT). Nothing can have been acknowledged.
  void rewind();

 private:
  std::deque<std::string> chunks_;  // from the oldest unacknowledged one
  std::size_t acked_in_front_ = 0;  // acknowledged bytes of chunks_.front()
  std::size_t unsent_index_ = 0;    // first chunk not yet given to nghttp3
  std::size_t unacked_ = 0;
  bool finished_ = false;
  bool eof_given_ = false;
};

}  // namespace triplex::http
