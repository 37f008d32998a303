#!/usr/bin/env bash
# The package as a user gets it: `cmake --install` into a temporary prefix, then the
# README's example project (CMakeLists.txt, server.cc, client.cc, together.cc, exactly as
# the README shows them) built with find_package(triplex) alone and run; pkg-config; the
# .deb CPack makes, inspected.
#
# usage: check_package.sh BUILD_DIR SOURCE_DIR VERSION
set -uo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
version=$3
log_prefix=package
# shellcheck source=../interop/server_lib.sh
source "$source_dir/tests/interop/server_lib.sh"

prefix=$tmp/prefix
app=$tmp/app

# 1. Install.
if cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
  pass "cmake --install"
else
  fail "cmake --install" "$(tail -5 "$tmp/install.log")"
  finish
  exit 1
fi
for f in include/triplex/server.h include/triplex/client.h include/triplex/version.h \
  include/triplex/proto/grpc/health/v1/health.pb.h bin/protoc-gen-triplex bin/triplex \
  lib/libtriplex.a lib/cmake/triplex/triplexConfig.cmake lib/cmake/triplex/triplexConfigVersion.cmake \
  lib/cmake/triplex/TriplexGenerate.cmake lib/pkgconfig/triplex.pc \
  share/triplex/proto/grpc/health/v1/health.proto share/doc/triplex/LICENSE; do
  if [ -e "$prefix/$f" ]; then pass "installed $f"; else fail "installed $f" "missing"; fi
done
if find "$prefix/include" -path '*src/*' | grep -q .; then
  fail "no src/ headers installed" "$(find "$prefix/include" -path '*src/*' | head -3)"
else
  pass "no src/ headers installed"
fi
got=$("$prefix/bin/triplex" --version 2>&1)
[[ "$got" == *"$version"* ]] && pass "triplex --version" || fail "triplex --version" "$got"
got=$("$prefix/bin/protoc-gen-triplex" --version 2>&1)
[[ "$got" == *"$version"* ]] && pass "protoc-gen-triplex --version" || fail "protoc-gen-triplex --version" "$got"

# 2. The README's project, against the installed package only.
python3 "$source_dir/tests/package/extract_readme.py" "$source_dir/README.md" "$app" >/dev/null ||
  die "could not extract the README's examples"
mkdir -p "$app/proto"
cp -r "$source_dir/examples/eliza/proto/connectrpc" "$app/proto/"
if cmake -S "$app" -B "$app/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/app-configure.err" 2>&1 &&
  cmake --build "$app/build" -j "$(nproc)" >"$tmp/app-build.err" 2>&1; then
  pass "README project builds with find_package(triplex)"
else
  fail "README project builds with find_package(triplex)" "see below"
  cat "$tmp/app-configure.err" "$tmp/app-build.err" | grep -v '^\[' | tail -40 >&2
  finish
  exit 1
fi

# together: serves and calls itself in one main, then ends.
if got=$(timeout 30 "$app/build/together" 2>&1) && [[ "$got" == *"hello from the same program"* ]]; then
  pass "together serves and calls itself"
else
  fail "together serves and calls itself" "$got"
fi

# server + client: the client ends by itself once its calls are done.
"$app/build/server" 127.0.0.1:0 >"$tmp/server.stdout" 2>"$tmp/server.stderr" </dev/null &
server_pid=$!
for _ in $(seq 100); do
  server_port=$(grep -s -m1 -oE 'listening on port [0-9]+' "$tmp/server.stdout" | grep -oE '[0-9]+$')
  [ -n "$server_port" ] && break
  sleep 0.1
done
if [ -z "$server_port" ]; then
  fail "README server starts" "no port"
else
  pass "README server starts"
  status=0
  got=$(timeout 30 "$app/build/client" "https://127.0.0.1:$server_port" 2>&1) || status=$?
  if [ "$status" -eq 0 ] && [[ "$got" == *"You said: I feel happy"* ]] &&
    [[ "$got" == *"Hello Alice"* ]] && [[ "$got" == *"Why do you say: I am tired?"* ]]; then
    pass "README client calls Say, Introduce and Converse over HTTP/3 and ends"
  else
    fail "README client calls Say, Introduce and Converse over HTTP/3 and ends" \
      "status $status (124: still running after 30 s): $got"
  fi
  server_stop 10
  [ -z "$server_stop_problem" ] && pass "README server drains on SIGTERM" ||
    fail "README server drains on SIGTERM" "$server_stop_problem"
fi

# 3. pkg-config: a program built from the .pc file alone.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
got=$(pkg-config --modversion triplex 2>&1)
[ "$got" = "$version" ] && pass "pkg-config --modversion" || fail "pkg-config --modversion" "$got"
cat >"$tmp/pc.cc" <<'CC'
#include <iostream>
#include "triplex/status.h"
#include "triplex/version.h"
int main() {
  triplex::Status s(triplex::Code::kNotFound, "nothing here");
  std::cout << triplex::kVersion << " " << s.to_string() << "\n";
}
CC
# shellcheck disable=SC2046
if g++ -std=c++20 "$tmp/pc.cc" -o "$tmp/pc" $(pkg-config --cflags --libs triplex) \
  >"$tmp/pc.err" 2>&1 && got=$("$tmp/pc") && [[ "$got" == "$version NOT_FOUND: nothing here" ]]; then
  pass "a program built with pkg-config --cflags --libs triplex"
else
  fail "a program built with pkg-config --cflags --libs triplex" "$(tail -5 "$tmp/pc.err") $got"
fi

# 4. The Debian package.
if (cd "$build" && cpack -G DEB -B "$tmp/deb" >"$tmp/cpack.log" 2>&1); then
  deb=$(ls "$tmp"/deb/triplex_*.deb 2>/dev/null | head -1)
  if [ -n "$deb" ]; then
    pass "cpack -G DEB"
    info=$(dpkg-deb -f "$deb" Package Version Depends)
    [[ "$info" == *"Version: $version"* ]] && pass "deb version" || fail "deb version" "$info"
    missing=""
    for dep in libnghttp2 libngtcp2 libnghttp3 libgnutls libssl libprotobuf libhttp-parser \
      protobuf-compiler libasio-dev; do
      [[ "$info" == *"$dep"* ]] || missing+=" $dep"
    done
    [ -z "$missing" ] && pass "deb depends on its libraries" || fail "deb depends" "missing:$missing"
    contents=$(dpkg-deb -c "$deb")
    missing=""
    for f in ./usr/bin/triplex ./usr/bin/protoc-gen-triplex ./usr/include/triplex/server.h \
      ./usr/lib/cmake/triplex/triplexConfig.cmake ./usr/lib/pkgconfig/triplex.pc \
      ./usr/lib/libtriplex.a ./usr/share/doc/triplex/LICENSE; do
      grep -q " $f\$" <<<"$contents" || missing+=" $f"
    done
    [ -z "$missing" ] && pass "deb contents" || fail "deb contents" "missing:$missing"
  else
    fail "cpack -G DEB" "no .deb in $tmp/deb"
  fi
else
  fail "cpack -G DEB" "$(tail -10 "$tmp/cpack.log")"
fi

finish
