#pragma once
// Custom metadata <-> HTTP header fields. Binary ("-bin") values are sent
// base64 without padding and accepted padded or unpadded, possibly several
// comma-separated values in one field.
#include <optional>
#include <string>
#include <string_view>

#include "triplex/metadata.h"

namespace triplex::wire {

// Header names that belong to the transport or the protocol and never appear
// as custom metadata (":path", "content-type", "te", "grpc-status", ...).
bool is_reserved_header(std::string_view lowercase_name);
// Valid metadata key: [0-9a-z_.-]+.
bool is_valid_metadata_key(std::string_view key);
// Valid printable ASCII value for a non-binary key (0x20..0x7E).
bool is_valid_ascii_value(std::string_view value);

// Value as it goes on the wire (base64 unpadded for -bin keys).
std::string encode_metadata_value(std::string_view key, std::string_view value);
// Adds a received header field to `md`; returns false when a -bin value does
// not decode (the caller answers INTERNAL).
bool decode_metadata_field(std::string_view key, std::string_view value, Metadata& md);

}  // namespace triplex::wire
