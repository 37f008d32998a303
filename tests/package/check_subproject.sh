#!/usr/bin/env bash
# triplex as a subproject (add_subdirectory, as FetchContent does) built as a shared
# library with the tools off: only the library and the plugin are built, tests and
# interop programs are not, and a program linked to libtriplex.so.X.Y serves and calls
# itself (the README's together.cc).
#
# usage: check_subproject.sh SOURCE_DIR VERSION
set -uo pipefail
source_dir=$(cd "$1" && pwd)
version=$2
log_prefix=subproject
# shellcheck source=../interop/server_lib.sh
source "$source_dir/tests/interop/server_lib.sh"

app=$tmp/app
python3 "$source_dir/tests/package/extract_readme.py" "$source_dir/README.md" "$tmp/readme" >/dev/null ||
  die "could not extract the README's examples"
mkdir -p "$app/proto"
cp "$tmp/readme/together.cc" "$app/"
cp -r "$source_dir/examples/eliza/proto/connectrpc" "$app/proto/"
cat >"$app/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(subproject_app CXX)
set(BUILD_SHARED_LIBS ON)
set(TRIPLEX_BUILD_TOOLS OFF)
add_subdirectory("$source_dir" triplex)

add_library(eliza_proto STATIC)
target_link_libraries(eliza_proto PUBLIC triplex::triplex)
triplex_generate(TARGET eliza_proto PROTOS proto/connectrpc/eliza/v1/eliza.proto IMPORT_DIRS proto)
add_executable(together together.cc)
target_link_libraries(together PRIVATE eliza_proto)
CMAKE

if ! cmake -S "$app" -B "$app/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$tmp/configure.err" 2>&1; then
  fail "configure as a subproject" "$(tail -20 "$tmp/configure.err")"
  finish
  exit 1
fi
pass "configure as a subproject"
targets=$(cmake --build "$app/build" --target help 2>/dev/null)
unwanted=""
for t in wire_tests gateway_tests triplex-interop-server triplex-cli triplex_gateway gtest; do
  grep -q "^$t:" <<<"$targets" && unwanted+=" $t"
done
[ -z "$unwanted" ] && pass "only the library and the plugin" || fail "only the library and the plugin" "also:$unwanted"

if cmake --build "$app/build" -j "$(nproc)" >"$tmp/build.err" 2>&1; then
  pass "builds against the shared library"
else
  fail "builds against the shared library" "$(grep -v '^\[' "$tmp/build.err" | tail -30)"
  finish
  exit 1
fi
major_minor=$(cut -d. -f1,2 <<<"$version")
needed=$(readelf -d "$app/build/together" | grep NEEDED)
[[ "$needed" == *"libtriplex.so.$major_minor"* ]] && pass "linked to libtriplex.so.$major_minor" ||
  fail "linked to libtriplex.so.$major_minor" "$needed"
got=$(timeout 30 "$app/build/together" 2>&1)
[[ "$got" == *"hello from the same program"* ]] && pass "together runs on the shared library" ||
  fail "together runs on the shared library" "$got"
finish
