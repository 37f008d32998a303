#include "src/http/h3/http3_outbound.h"

namespace triplex::http {

void Http3Outbound::push(std::string data) {
  if (finished_ || data.empty()) return;
  unacked_ += data.size();
  chunks_.push_back(std::move(data));
}

nghttp3_ssize Http3Outbound::read(nghttp3_vec* vec, std::size_t capacity, std::uint32_t* flags,
                                  bool& eof) {
  eof = false;
  std::size_t n = 0;
  while (n < capacity && unsent_index_ < chunks_.size()) {
    std::string& chunk = chunks_[unsent_index_++];
    vec[n].base = reinterpret_cast<std::uint8_t*>(chunk.data());
    vec[n].len = chunk.size();
    ++n;
  }
  if (unsent_index_ == chunks_.size() && finished_ && !eof_given_) {
    eof_given_ = true;
    eof = true;
    *flags |= NGHTTP3_DATA_FLAG_EOF;
    return static_cast<nghttp3_ssize>(n);
  }
  if (n == 0) return NGHTTP3_ERR_WOULDBLOCK;
  return static_cast<nghttp3_ssize>(n);
}

void Http3Outbound::on_acked(std::uint64_t size) {
  unacked_ -= std::min<std::uint64_t>(size, unacked_);
  while (size > 0 && !chunks_.empty()) {
    std::size_t left = chunks_.front().size() - acked_in_front_;
    if (size < left) {
      acked_in_front_ += size;
      break;
    }
    size -= left;
    chunks_.pop_front();
    acked_in_front_ = 0;
    if (unsent_index_ > 0) --unsent_index_;
  }
}

void Http3Outbound::rewind() {
  unsent_index_ = 0;
  eof_given_ = false;
}

}  // namespace triplex::http
