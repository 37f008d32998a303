#include "src/wire/status_details.h"

#include <cstdint>

namespace triplex::wire {
namespace {

constexpr std::string_view kTypePrefix = "type.googleapis.com/";

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}

// A minimal protobuf reader: enough for Status { code, message, details: Any }.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      auto b = static_cast<std::uint8_t>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool bytes(std::string_view& out) {
    std::uint64_t len = 0;
    if (!varint(len) || len > data_.size() - pos_) return false;
    out = data_.substr(pos_, len);
    pos_ += len;
    return true;
  }
  // Skips a field of the given wire type.
  bool skip(std::uint64_t wire_type) {
    std::uint64_t v = 0;
    std::string_view s;
    switch (wire_type) {
      case 0:
        return varint(v);
      case 1:
        return advance(8);
      case 2:
        return bytes(s);
      case 5:
        return advance(4);
      default:
        return false;
    }
  }

 private:
  bool advance(std::size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::string_view data_;
  std::size_t pos_ = 0;
};

std::optional<StatusDetail> parse_any(std::string_view bytes) {
  Reader r(bytes);
  StatusDetail detail;
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.varint(tag)) return std::nullopt;
    std::string_view field;
    if ((tag >> 3) == 1 && (tag & 7) == 2) {
      if (!r.bytes(field)) return std::nullopt;
      detail.type = field.starts_with(kTypePrefix) ? field.substr(kTypePrefix.size()) : field;
    } else if ((tag >> 3) == 2 && (tag & 7) == 2) {
      if (!r.bytes(field)) return std::nullopt;
      detail.value = field;
    } else if (!r.skip(tag & 7)) {
      return std::nullopt;
    }
  }
  return detail;
}

}  // namespace

std::string serialize_rpc_status(const RpcStatus& status) {
  std::string out;
  if (status.code != 0) {
    put_varint(out, 1 << 3);
    put_varint(out, static_cast<std::uint64_t>(status.code));
  }
  if (!status.message.empty()) put_bytes(out, 2, status.message);
  for (const auto& d : status.details) {
    std::string any;
    put_bytes(any, 1, std::string(kTypePrefix) + d.type);
    if (!d.value.empty()) put_bytes(any, 2, d.value);
    put_bytes(out, 3, any);
  }
  return out;
}

std::optional<RpcStatus> parse_rpc_status(std::string_view bytes) {
  Reader r(bytes);
  RpcStatus status;
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.varint(tag)) return std::nullopt;
    std::uint64_t field = tag >> 3, wire_type = tag & 7;
    std::string_view s;
    if (field == 1 && wire_type == 0) {
      std::uint64_t v = 0;
      if (!r.varint(v)) return std::nullopt;
      status.code = static_cast<int>(v);
    } else if (field == 2 && wire_type == 2) {
      if (!r.bytes(s)) return std::nullopt;
      status.message = s;
    } else if (field == 3 && wire_type == 2) {
      if (!r.bytes(s)) return std::nullopt;
      auto detail = parse_any(s);
      if (!detail) return std::nullopt;
      status.details.push_back(std::move(*detail));
    } else if (!r.skip(wire_type)) {
      return std::nullopt;
    }
  }
  return status;
}

}  // namespace triplex::wire
