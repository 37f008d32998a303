# Turns a file into a C++ source defining `const std::string_view NAME` with its bytes, so a
# program can serve the file without reading it at run time. Run with cmake -P:
#   -DINPUT=file -DOUTPUT=file.cc -DNAME=qualified::name -DHEADER=path/declaring/name.h
# Bytes become \xNN escapes: any content (quotes, backslashes, ")" sequences) survives.
foreach(var INPUT OUTPUT NAME HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake needs -D${var}=...")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
# 32 bytes per line keeps the generated source readable in diffs and editors.
string(REPEAT "[0-9a-f][0-9a-f]" 32 line_of_bytes)
string(REGEX REPLACE "(${line_of_bytes})" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
string(REGEX REPLACE "\n" "\"\n    \"" escaped "${escaped}")
get_filename_component(input_name "${INPUT}" NAME)

file(WRITE "${OUTPUT}" "// Generated from ${input_name} by embed_file.cmake: do not edit.
#include \"${HEADER}\"

namespace {
constexpr char kBytes[] =
    \"${escaped}\";
}  // namespace

const std::string_view ${NAME}(kBytes, sizeof kBytes - 1);
")
