#!/usr/bin/env bash
# `triplex proxy` in front of a backend: the gRPC C++ 1.51 interop server or grpcio_server.py on
# Debian's grpcio 1.51 (both speak only gRPC over h2c), or connect-node's test_server.mjs (gRPC,
# gRPC-Web and Connect over h2c). Through the proxy, the interop cases run with gRPC, gRPC-Web and
# Connect over HTTP/1.1, HTTP/2 and HTTP/3 (triplex-interop-client), and buf curl makes unary,
# server-streaming and bidi calls over each protocol and HTTP version it speaks: HTTP/1.1 and h2c
# to a second, plaintext proxy; HTTP/2 and HTTP/3 to the TLS one.
#
# usage: proxy_backend.sh --triplex PATH
#                         (--grpcpp PATH | --grpcio-server PATH [--python PATH]
#                          | --connect-node PATH [--node PATH])
#                         --client PATH --buf PATH --protoc PATH [--proto-root DIR]
#                         [--upstream-protocol P] [--proxy-schema] [--require PATH]
#   --grpcpp: grpcpp_interop_server
#   --grpcio-server: tests/interop/python/grpcio_server.py, run by --python (/usr/bin/python3)
#   --connect-node: tests/interop/connect_node/test_server.mjs, run by --node (/usr/bin/node) as
#       plaintext h2c; it loads its npm peers from tests/peers/node_modules
#   --proto-root: holds grpc/testing/test.proto (buf curl's schema is built from it)
#   --upstream-protocol: given to both proxies (grpc, grpc-web, connect or passthrough); without
#       it they speak their default, gRPC
#   --proxy-schema: give both proxies buf curl's grpc.testing descriptor set (--descriptor-set),
#       so that they know each method's kind: a Connect upstream frames unary calls apart from
#       streams, and without a schema a gRPC or gRPC-Web caller's call goes as a Connect stream
#   --require: exit 77 (skipped) unless PATH exists (e.g. an npm peer); repeatable
# Prints "PASS name" / "FAIL name: why" per check; exits 1 if any failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=proxy_backend
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

triplex="" grpcpp="" grpcio_server="" python=/usr/bin/python3 client="" buf="" protoc=""
connect_node="" node=/usr/bin/node upstream_protocol="" proxy_schema=0 required=()
proto_root=/usr/share/grpc-proto
while [ $# -gt 0 ]; do
  case "$1" in
    --triplex) triplex=$2; shift 2 ;;
    --grpcpp) grpcpp=$2; shift 2 ;;
    --grpcio-server) grpcio_server=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    --client) client=$2; shift 2 ;;
    --buf) buf=$2; shift 2 ;;
    --protoc) protoc=$2; shift 2 ;;
    --proto-root) proto_root=$2; shift 2 ;;
    --connect-node) connect_node=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    --upstream-protocol) upstream_protocol=$2; shift 2 ;;
    --proxy-schema) proxy_schema=1; shift ;;
    --require) required+=("$2"); shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
for path in "${required[@]}"; do
  [ -e "$path" ] || { say "SKIP: $path is missing (scripts/setup installs it)"; exit 77; }
done
backends=0
for b in "$grpcpp" "$grpcio_server" "$connect_node"; do [ -z "$b" ] || backends=$((backends + 1)); done
[ "$backends" -eq 1 ] ||
  die "want one backend: --grpcpp PATH, --grpcio-server PATH or --connect-node PATH"
if [ -n "$grpcpp" ]; then
  backend=("$grpcpp" --listen 127.0.0.1:0 --plaintext)
  backend_files=("$grpcpp")
elif [ -n "$grpcio_server" ]; then
  backend=("$python" "$grpcio_server" --port 0)
  backend_files=("$python" "$grpcio_server")
else
  backend=("$node" "$connect_node" --listen 127.0.0.1:0 --plaintext --http 2
    --protoc "$protoc" --proto-root "$proto_root")
  backend_files=("$node" "$connect_node")
fi
for f in "$triplex" "${backend_files[@]}" "$client" "$protoc"; do
  [ -e "$f" ] || die "missing $f"
done
schema="$tmp/testing.binpb"
"$protoc" -I"$proto_root" --include_imports -o "$schema" grpc/testing/test.proto ||
  die "protoc could not build the grpc.testing descriptor set"

server_start 20 "${backend[@]}"
upstream_port=$server_port
proxy_args=()
[ -z "$upstream_protocol" ] || proxy_args+=(--upstream-protocol "$upstream_protocol")
[ "$proxy_schema" -eq 0 ] || proxy_args+=(--descriptor-set "$schema")

proxy_pids=()
proxy_cleanup() {  # SIGTERM, SIGKILL after 5 s; then server_lib's cleanup
  stop_pids ${proxy_pids[@]+"${proxy_pids[@]}"}
  server_cleanup
}
trap proxy_cleanup EXIT

# proxy_start NAME ARGS...: `triplex proxy ARGS...` in front of the backend on a port of its own;
# sets proxy_port.
proxy_start() {
  local name=$1 pid
  shift
  "$triplex" proxy --listen 127.0.0.1:0 --upstream "h2c://127.0.0.1:$upstream_port" \
    "${proxy_args[@]}" "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
  pid=$!
  proxy_pids+=("$pid")
  proxy_port=""
  for _ in $(seq 200); do
    proxy_port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$tmp/$name.out" | head -1)
    [ -n "$proxy_port" ] && return 0
    kill -0 "$pid" 2>/dev/null || die "the $name proxy exited: $(cat "$tmp/$name.err")"
    sleep 0.1
  done
  die "the $name proxy printed no listening line"
}
# TLS (so HTTP/3 too), and plaintext for buf curl's HTTP/1.1 and h2c.
proxy_start tls_proxy --self-signed
port=$proxy_port
proxy_start plain_proxy --plaintext
plain_port=$proxy_port

# Every case through the proxy. cacheable_unary only in front of connect-node: it wants the same
# answer twice, and the gRPC backends' answers are timestamped while connect-node's (an empty
# payload) are not; the gateway has no cache, and sends the Connect GET upstream as a POST.
# The gRPC backends do not check expect_compressed, so there the client_compressed_* cases end in
# SKIP after their calls; connect-node checks it, so there they need the gateway to send the
# compressed requests upstream compressed.
cases=empty_unary,large_unary,client_compressed_unary,server_compressed_unary,client_streaming
cases+=,client_compressed_streaming,server_streaming,server_compressed_streaming,ping_pong
cases+=,empty_stream,custom_metadata,status_code_and_message,special_status_message
cases+=,unimplemented_method,unimplemented_service,cancel_after_begin
cases+=,cancel_after_first_response,timeout_on_sleeping_server
[ -z "$connect_node" ] || cases+=,cacheable_unary
for protocol in grpc grpcweb connect; do
  for http in 1.1 2 3; do
    name="interop_${protocol}_http$http"
    out=$(timeout 90 "$client" -k --protocol "$protocol" --http "$http" --test_case "$cases" \
      "https://127.0.0.1:$port" 2>&1) || true
    summary=$(tail -1 <<<"$out")
    if grep -q '^FAIL' <<<"$out" || ! grep -qE '^[0-9]+ passed, [0-9]+ skipped, 0 failed$' <<<"$summary"; then
      fail "$name" "$(grep '^FAIL' <<<"$out" | head -3 | tr '\n' ' ') $summary"
    else
      pass "$name ($summary)"
    fi
  done
done

# buf curl: unary, server-streaming and bidi calls, each answered with 3-byte payloads ("AAAA"),
# per protocol and HTTP version it speaks. Its HTTP/1.1 (a plain http:// URL) has no gRPC and no
# bidi; its -v log names the HTTP version the answer came over.
if [ -x "$buf" ]; then
  # call NAME HTTP COUNT URL ARGS...: want COUNT payloads, over HTTP/<HTTP>. Stdin holds the bidi
  # requests (read only with -d @-).
  call() {
    local name=$1 version=$2 count=$3 url=$4 status=0 got
    shift 4
    timeout 20 "$buf" curl -v --schema "$schema" "$@" "$url" <"$tmp/bidi.json" \
      >"$tmp/buf.out" 2>"$tmp/buf.err" || status=$?
    got=$(grep -c '"body": "AAAA"' "$tmp/buf.out" || true)
    if [ "$status" -ne 0 ]; then
      fail "$name" "buf curl exited with status $status: $(tail -c 400 "$tmp/buf.err" | tr '\n' ' ')"
    elif [ "$got" -ne "$count" ]; then
      fail "$name" "$got payloads, want $count: $(head -c 400 "$tmp/buf.out" | tr '\n' ' ')"
    elif ! grep -q "< (#1) HTTP/$version " "$tmp/buf.err"; then
      fail "$name" "not answered over HTTP/$version: $(grep -m1 '< (#1) HTTP' "$tmp/buf.err")"
    else
      pass "$name"
    fi
  }
  printf '%s\n' '{"response_parameters":[{"size":3}]}' '{"response_parameters":[{"size":3}]}' \
    >"$tmp/bidi.json"
  unary='{"response_size":3}'
  stream='{"response_parameters":[{"size":3},{"size":3},{"size":3}]}'
  plain="http://127.0.0.1:$plain_port/grpc.testing.TestService"
  tls="https://127.0.0.1:$port/grpc.testing.TestService"
  for target in http1 h2c http2 http3; do
    protocols="grpc grpcweb connect"
    case "$target" in
      http1) version=1.1 base=$plain flags=() protocols="grpcweb connect" ;;
      h2c) version=2.0 base=$plain flags=(--http2-prior-knowledge) ;;
      http2) version=2.0 base=$tls flags=(-k) ;;
      http3) version=3.0 base=$tls flags=(-k --http3) ;;
    esac
    for protocol in $protocols; do
      args=("${flags[@]}" --protocol "$protocol")
      call "buf_${protocol}_${target}_unary" "$version" 1 "$base/UnaryCall" "${args[@]}" \
        -d "$unary"
      call "buf_${protocol}_${target}_stream" "$version" 3 "$base/StreamingOutputCall" \
        "${args[@]}" -d "$stream"
      if [ "$target" != http1 ]; then
        call "buf_${protocol}_${target}_bidi" "$version" 2 "$base/FullDuplexCall" "${args[@]}" \
          -d @-
      fi
    done
  done
else
  say "buf not installed: buf curl checks skipped"
fi

finish tls_proxy:tls_proxy plain_proxy:plain_proxy
