#include "src/gateway/access_log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "src/rpc/connect_json.h"
#include "src/wire/utf8.h"

namespace triplex::gateway {
namespace {

// RFC 3339 in UTC with milliseconds: 2024-05-01T12:00:00.123Z.
std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(time.time_since_epoch());
  auto secs = floor<seconds>(ms);
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((ms - secs).count()));
  return buf;
}

// Milliseconds with three decimals, from whole microseconds so no locale or
// floating-point rounding is involved: 1250000ns -> "1.250".
std::string milliseconds_text(std::chrono::nanoseconds duration) {
  auto us = std::max<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(duration).count(), 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(us / 1000),
                static_cast<long long>(us % 1000));
  return buf;
}

// A JSON string from peer text: ill-formed UTF-8 would make the line invalid
// JSON, so it is repaired first; json_quote escapes quotes and control bytes.
void append_string(std::string& out, std::string_view key, std::string_view value) {
  std::string storage;
  out.append(",\"").append(key).append("\":");
  out.append(rpc::json_quote(wire::as_valid_utf8(value, storage)));
}

void append_number(std::string& out, std::string_view key, std::string_view digits) {
  out.append(",\"").append(key).append("\":").append(digits);
}

}  // namespace

std::string access_log_line(const CallRecord& call) {
  std::string out = "{\"time\":\"" + rfc3339_utc(call.start) + "\"";
  append_string(out, "listener", call.listener);
  append_string(out, "http_version", call.http_version);
  append_string(out, "protocol", call.protocol);
  append_string(out, "method", call.method);
  append_string(out, "cluster", call.cluster);
  append_string(out, "peer", call.peer);
  append_string(out, "code", code_name(call.code));
  append_string(out, "message", call.message);
  append_number(out, "duration_ms", milliseconds_text(call.duration));
  append_number(out, "request_messages", std::to_string(call.request_messages));
  append_number(out, "response_messages", std::to_string(call.response_messages));
  append_number(out, "request_bytes", std::to_string(call.request_bytes));
  append_number(out, "response_bytes", std::to_string(call.response_bytes));
  out += "}\n";
  return out;
}

std::unique_ptr<AccessLog> AccessLog::open(const std::string& path) {
  if (path == "-") return std::make_unique<AccessLog>(std::cout);
  errno = 0;
  auto file = std::make_unique<std::ofstream>(path, std::ios::out | std::ios::app);
  if (!file->is_open()) {
    std::string reason = errno != 0 ? std::strerror(errno) : "cannot open";
    throw std::runtime_error("access log " + path + ": " + reason);
  }
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(file)));
}

void AccessLog::write(const CallRecord& call) {
  std::string line = access_log_line(call);
  std::lock_guard lock(mutex_);
  out_->write(line.data(), static_cast<std::streamsize>(line.size()));
  out_->flush();
  // A failed write (say, a full disk) loses this line, not every later one.
  if (!*out_) out_->clear();
}

}  // namespace triplex::gateway
