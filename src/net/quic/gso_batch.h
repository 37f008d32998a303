#pragma once
// Packets a QUIC connection writes one after another, gathered so that they
// leave in one send (UDP GSO): they join while they share a path and an ECN
// mark and are no larger than the first (GSO cuts a buffer into equal
// segments, the last may be shorter). A shorter packet or a full batch ends
// it. The sender is passed to each call, so the batch needs no callback
// object on the hot path.
//
// Concurrency: one per connection, on its worker.
#include <ngtcp2/ngtcp2.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "src/net/quic/quic_common.h"

namespace triplex::net::quic {

class GsoBatch {
 public:
  // Room for `max_segments` packets of up to `max_packet` bytes.
  void reserve(std::size_t max_packet, std::size_t max_segments) {
    max_packet_ = max_packet;
    max_segments_ = max_segments;
    if (buffer_.size() < max_packet * max_segments) buffer_.resize(max_packet * max_segments);
  }
  // Where the next packet is to be written (max_packet bytes of room).
  std::uint8_t* next() { return buffer_.data() + bytes_; }
  std::size_t packets() const { return packets_; }

  // The packet of `size` bytes just written at next(), sent on `path` with
  // `ecn`, joins the batch, which is sent first if the packet cannot join,
  // and after it if it is full or ended by a short packet. `send(path, ecn,
  // data, size, segment)` returns false when the socket is full (it then
  // keeps the bytes); so does add(), and the caller stops writing.
  template <class Send>
  bool add(const ngtcp2_path& path, std::uint8_t ecn, std::size_t size, Send&& send) {
    std::uint8_t* packet = next();
    if (bytes_ > 0) {
      ngtcp2_path batch_path = path_.view();
      if (!ngtcp2_path_eq(&path, &batch_path) || ecn != ecn_ || size > segment_) {
        if (!flush(send)) {
          send(path, ecn, packet, size, std::size_t{0});  // queued behind the batch
          return false;
        }
        std::memmove(buffer_.data(), packet, size);
      }
    }
    if (bytes_ == 0) {
      path_.assign(path);
      ecn_ = ecn;
      segment_ = size;
    }
    bytes_ += size;
    ++packets_;
    if (size < segment_ || packets_ == max_segments_) return flush(send);
    return true;
  }

  // Sends what is gathered; false when the socket is full.
  template <class Send>
  bool flush(Send&& send) {
    if (bytes_ == 0) return true;
    ngtcp2_path view = path_.view();
    std::size_t bytes = bytes_;
    bytes_ = 0;
    packets_ = 0;
    return send(view, ecn_, static_cast<const std::uint8_t*>(buffer_.data()), bytes, segment_);
  }

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t max_packet_ = 0;
  std::size_t max_segments_ = 1;
  PathStorage path_;
  std::uint8_t ecn_ = 0;
  std::size_t bytes_ = 0;
  std::size_t packets_ = 0;
  std::size_t segment_ = 0;
};

}  // namespace triplex::net::quic
