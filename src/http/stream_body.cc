#include "src/http/stream_body.h"

#include <algorithm>

namespace triplex::http {

std::size_t InboundBody::take(std::string& out) {
  std::size_t n = bytes_.size();
  if (out.empty()) {
    out.swap(bytes_);
  } else {
    out.append(bytes_);
    bytes_.clear();
  }
  return n;
}

void OutboundBody::push(std::string data) {
  if (finished_ || data.empty()) return;
  held_ += data.size();
  auto it = chunks_.insert(chunks_.end(), std::move(data));
  if (unsent_ == chunks_.end()) unsent_ = it;
}

std::size_t OutboundBody::copy_out(std::uint8_t* buf, std::size_t size) {
  std::size_t copied = 0;
  while (copied < size && !chunks_.empty()) {
    const std::string& front = chunks_.front();
    std::size_t n = std::min(size - copied, front.size() - front_done_);
    std::copy_n(front.data() + front_done_, n, buf + copied);
    copied += n;
    front_done_ += n;
    if (front_done_ == front.size()) {
      chunks_.pop_front();
      front_done_ = 0;
    }
  }
  unsent_ = chunks_.begin();  // what is left is unsent
  release(copied);
  return copied;
}

void OutboundBody::on_acked(std::uint64_t size) {
  std::size_t released = static_cast<std::size_t>(std::min<std::uint64_t>(size, held_));
  while (size > 0 && !chunks_.empty()) {
    std::size_t left = chunks_.front().size() - front_done_;
    if (size < left) {
      front_done_ += static_cast<std::size_t>(size);
      break;
    }
    size -= left;
    chunks_.pop_front();  // acknowledged, so handed out: never unsent_
    front_done_ = 0;
  }
  release(released);
}

void OutboundBody::rewind() {
  unsent_ = chunks_.begin();
  eof_given_ = false;
}

void OutboundBody::release(std::size_t size) {
  held_ -= size;
  if (held_ <= limit_ / 2) drained_.notify();
}

}  // namespace triplex::http
