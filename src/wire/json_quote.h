#pragma once
// A JSON string literal, for the JSON that triplex writes by hand (Connect
// errors, access logs, JSON log lines).
#include <string>
#include <string_view>

namespace triplex::wire {

// `text` as a JSON string, quotes included; control bytes as \u00XX, bytes
// that are no well-formed UTF-8 as \ufffd.
std::string json_quote(std::string_view text);
// The same, appended to `out`.
void append_json_quote(std::string& out, std::string_view text);

}  // namespace triplex::wire
