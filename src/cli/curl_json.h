#pragma once
// JSON text for `triplex curl`: request input that may hold several JSON
// values in a row (`-d @-` streams), output indented as buf curl indents it,
// and errors as {"code","message","details"}.
#include <string>
#include <string_view>
#include <vector>

#include "triplex/status.h"

namespace triplex::cli {

// Splits concatenated JSON values (objects, arrays, scalars) separated by
// whitespace. Throws std::invalid_argument on an unterminated value.
std::vector<std::string> split_json_values(std::string_view text);

// Re-indents compact JSON with `indent` spaces per level.
std::string indent_json(std::string_view compact, int indent = 2);

// {"code": "not_found", "message": "...", "details": [...]} (indented by 3, as buf curl does).
std::string error_json(const Status& status);

}  // namespace triplex::cli
