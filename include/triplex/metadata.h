#pragma once
/// @file
/// Custom metadata of a call (request headers, response headers, trailers).
/// Keys are lowercase ASCII; values of keys ending in "-bin" hold raw bytes
/// here and travel base64-encoded on the wire.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triplex {

class Metadata {
 public:
  using Entry = std::pair<std::string, std::string>;

  /// Appends; the key is lowercased.
  void add(std::string_view key, std::string_view value);
  /// First value for key, or nullptr.
  const std::string* find(std::string_view key) const;
  /// All values for key, in order.
  std::vector<std::string_view> all(std::string_view key) const;
  void remove(std::string_view key);

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }
  void clear() { entries_.clear(); }

  static bool is_binary_key(std::string_view key);

 private:
  std::vector<Entry> entries_;
};

}  // namespace triplex
