#include "src/cli/curl_json.h"

#include <cctype>
#include <stdexcept>

#include "src/rpc/connect_json.h"

namespace triplex::cli {

std::vector<std::string> split_json_values(std::string_view text) {
  std::vector<std::string> values;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          ++i;
          break;
        }
      } else if (depth == 0 && std::isspace(static_cast<unsigned char>(c))) {
        break;  // the end of a scalar
      }
    }
    if (depth != 0 || in_string) throw std::invalid_argument("unterminated JSON value in input");
    values.emplace_back(text.substr(start, i - start));
  }
  return values;
}

std::string indent_json(std::string_view compact, int indent) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(level) * static_cast<std::size_t>(indent), ' ');
  };
  for (std::size_t i = 0; i < compact.size(); ++i) {
    char c = compact[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < compact.size()) {
        out += compact[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[': {
        char close = c == '{' ? '}' : ']';
        if (i + 1 < compact.size() && compact[i + 1] == close) {
          out += c;
          out += close;
          ++i;
          break;
        }
        out += c;
        newline(++depth);
        break;
      }
      case '}':
      case ']':
        newline(--depth);
        out += c;
        break;
      case ',':
        out += c;
        newline(depth);
        break;
      case ':':
        out += ": ";
        break;
      default:
        if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    }
  }
  return out;
}

std::string error_json(const Status& status) {
  return indent_json(rpc::connect_error_json(status), 3);
}

}  // namespace triplex::cli
