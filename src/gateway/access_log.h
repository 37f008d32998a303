#pragma once
// The gateway's access log: one JSON object per line per finished call, so
// the usual log shippers (jq, Vector, Fluent Bit) read it without a grammar.
//   {"time":"2024-05-01T12:00:00.123Z","listener":"public","http_version":"2",
//    "protocol":"grpc","method":"/pkg.Svc/M","cluster":"backend",
//    "peer":"10.0.0.1:5555","code":"OK","message":"","duration_ms":1.250,
//    "request_messages":1,"response_messages":1,"request_bytes":5,
//    "response_bytes":7}
//
// Concurrency: write() may be called from any thread; a line is built outside
// the lock and written and flushed whole under it, so lines never interleave.
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "src/gateway/stats.h"

namespace triplex::gateway {

// The line write() emits for `call`, newline included.
std::string access_log_line(const CallRecord& call);

class AccessLog {
 public:
  // Writes to `out`, which the caller owns and keeps alive (e.g. std::cout).
  explicit AccessLog(std::ostream& out) : out_(&out) {}
  // Appends to the file at `path`, or writes to stdout for "-". Throws
  // std::runtime_error saying why when the file cannot be opened.
  static std::unique_ptr<AccessLog> open(const std::string& path);

  void write(const CallRecord& call);

 private:
  explicit AccessLog(std::unique_ptr<std::ostream> owned)
      : owned_(std::move(owned)), out_(owned_.get()) {}

  std::unique_ptr<std::ostream> owned_;  // set when open() opened a file
  std::mutex mutex_;
  std::ostream* out_;
};

}  // namespace triplex::gateway
