#pragma once
// Helpers shared by the fuzz targets: a failed invariant traps, and a
// splitter cuts input into pieces as a network would deliver them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace triplex::fuzz {

// Named, so a report says which invariant broke.
inline void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  __builtin_trap();
}

// Piece sizes from a seed taken off the input's front: the same input always
// splits the same way, so a crash reproduces.
class Splitter {
 public:
  // Takes two bytes of `input` (when there are two) as the seed.
  explicit Splitter(std::string_view& input) {
    if (input.size() >= 2) {
      max_piece_ = static_cast<unsigned char>(input[0]) % 64 + 1;
      state_ = 0x9E3779B9u ^ static_cast<unsigned char>(input[1]);
      input.remove_prefix(2);
    }
  }

  // The next piece's size, 1 to max_piece (and never past `left`).
  std::size_t next(std::size_t left) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    std::size_t n = state_ % max_piece_ + 1;
    return n < left ? n : left;
  }

 private:
  std::uint32_t state_ = 0x9E3779B9u;
  std::size_t max_piece_ = 1;
};

}  // namespace triplex::fuzz
