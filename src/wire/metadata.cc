#include "triplex/metadata.h"

#include <algorithm>

namespace triplex {
namespace {

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Keys are stored lowercase; lookups tolerate any case from callers.
bool key_equals(std::string_view stored, std::string_view key) {
  if (stored.size() != key.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (stored[i] != to_lower(key[i])) return false;
  }
  return true;
}

}  // namespace

void Metadata::add(std::string_view key, std::string_view value) {
  std::string lowered(key);
  for (char& c : lowered) c = to_lower(c);
  entries_.emplace_back(std::move(lowered), std::string(value));
}

const std::string* Metadata::find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (key_equals(k, key)) return &v;
  }
  return nullptr;
}

std::vector<std::string_view> Metadata::all(std::string_view key) const {
  std::vector<std::string_view> values;
  for (const auto& [k, v] : entries_) {
    if (key_equals(k, key)) values.emplace_back(v);
  }
  return values;
}

void Metadata::remove(std::string_view key) {
  std::erase_if(entries_, [key](const Entry& e) { return key_equals(e.first, key); });
}

bool Metadata::is_binary_key(std::string_view key) {
  constexpr std::string_view kSuffix = "-bin";
  if (key.size() < kSuffix.size()) return false;
  return key_equals(kSuffix, key.substr(key.size() - kSuffix.size()));
}

}  // namespace triplex
