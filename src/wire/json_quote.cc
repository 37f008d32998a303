#include "src/wire/json_quote.h"

#include <cstdio>

#include "src/wire/utf8.h"

namespace triplex::wire {

void append_json_quote(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // JSON is UTF-8: a peer's stray bytes (echoed into an error message)
      // become U+FFFD, or no parser would read the whole body.
      std::size_t n = utf8_sequence_length(text.substr(i));
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(text.substr(i, n));
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string json_quote(std::string_view text) {
  std::string out;
  append_json_quote(out, text);
  return out;
}

}  // namespace triplex::wire
