#pragma once
/// @file
/// The outcome of an RPC as every protocol carries it: a gRPC code, a message and
/// optional details (a serialized google.rpc.Status). Handlers return a Status or
/// throw triplex::Error; nothing else reaches the peer as an error.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace triplex {

enum class Code : std::uint8_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

/// Canonical gRPC name: "OK", "CANCELLED", ..., "UNAUTHENTICATED".
std::string_view code_name(Code code);
/// Connect's name: "canceled", "unknown", ..., "unauthenticated" ("ok" for kOk).
std::string_view connect_code_name(Code code);
/// Accepts either naming (case-sensitive as the specs spell them).
std::optional<Code> code_from_name(std::string_view name);
/// Parses a decimal grpc-status value; codes above 16 are returned as kUnknown,
/// non-numbers give nullopt.
std::optional<Code> code_from_number(std::string_view digits);

struct Status {
  Code code = Code::kOk;
  std::string message;
  std::string details;  ///< serialized google.rpc.Status, empty when absent

  Status() = default;
  Status(Code c, std::string m = {}, std::string d = {})
      : code(c), message(std::move(m)), details(std::move(d)) {}

  bool ok() const { return code == Code::kOk; }
  /// "CODE: message" for logs.
  std::string to_string() const;
};

/// Thrown by handlers (or the library) to end a call with a status.
class Error : public std::runtime_error {
 public:
  explicit Error(Status status)
      : std::runtime_error(status.to_string()), status_(std::move(status)) {}
  Error(Code code, std::string message) : Error(Status(code, std::move(message))) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

}  // namespace triplex
