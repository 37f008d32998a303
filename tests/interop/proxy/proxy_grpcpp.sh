#!/usr/bin/env bash
# `triplex proxy` in front of the gRPC C++ 1.51 interop server, which speaks only gRPC over
# h2c: the interop cases run through the proxy with gRPC, gRPC-Web and Connect over HTTP/1.1,
# HTTP/2 and HTTP/3 (triplex-interop-client), and buf curl makes calls over what it speaks.
#
# usage: proxy_grpcpp.sh --triplex PATH --grpcpp PATH --client PATH --buf PATH --protoc PATH
#                        --proto-root DIR
#   --proto-root: holds grpc/testing/test.proto (buf curl's schema is built from it)
# Prints "PASS name" / "FAIL name: why" per check; exits 1 if any failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=proxy_grpcpp
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

triplex="" grpcpp="" client="" buf="" protoc="" proto_root=/usr/share/grpc-proto
while [ $# -gt 0 ]; do
  case "$1" in
    --triplex) triplex=$2; shift 2 ;;
    --grpcpp) grpcpp=$2; shift 2 ;;
    --client) client=$2; shift 2 ;;
    --buf) buf=$2; shift 2 ;;
    --protoc) protoc=$2; shift 2 ;;
    --proto-root) proto_root=$2; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
for f in "$triplex" "$grpcpp" "$client" "$protoc"; do [ -e "$f" ] || die "missing $f"; done
schema="$tmp/testing.binpb"
"$protoc" -I"$proto_root" --include_imports -o "$schema" grpc/testing/test.proto ||
  die "protoc could not build the grpc.testing descriptor set"

# The upstream: gRPC C++, h2c only.
server_start 20 "$grpcpp" --listen 127.0.0.1:0 --plaintext
upstream_port=$server_port

# The proxy, TLS (so HTTP/3 too), on a port of its own.
"$triplex" proxy --self-signed --listen 127.0.0.1:0 \
  --upstream "h2c://127.0.0.1:$upstream_port" >"$tmp/proxy.out" 2>"$tmp/proxy.err" </dev/null &
proxy_pid=$!
trap 'kill "$proxy_pid" 2>/dev/null || true; server_cleanup' EXIT
port=""
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$tmp/proxy.out" | head -1)
  [ -n "$port" ] && break
  kill -0 "$proxy_pid" 2>/dev/null || die "the proxy exited: $(cat "$tmp/proxy.err")"
  sleep 0.1
done
[ -n "$port" ] || die "the proxy printed no listening line"

# Every case through the proxy but cacheable_unary, which needs a cache that gRPC C++'s
# timestamped answers would show (the Connect GET itself is forwarded as a gRPC call).
cases=empty_unary,large_unary,client_compressed_unary,server_compressed_unary,client_streaming
cases+=,server_streaming,ping_pong,empty_stream,custom_metadata,status_code_and_message
cases+=,special_status_message,unimplemented_method,unimplemented_service,cancel_after_begin
cases+=,cancel_after_first_response,timeout_on_sleeping_server
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

# buf curl: a unary call per protocol and HTTP version it speaks, and a server stream.
if [ -x "$buf" ]; then
  call() {  # call NAME ARGS... -> checks the output has the 3-byte payload
    local name=$1
    shift
    local out
    out=$(timeout 20 "$buf" curl -k --schema "$schema" "$@" 2>&1) || true
    if grep -q '"body": "AAAA"' <<<"$out"; then pass "$name"; else fail "$name" "$out"; fi
  }
  unary="https://127.0.0.1:$port/grpc.testing.TestService/UnaryCall"
  data='{"response_size":3}'
  call buf_connect_http2 --protocol connect -d "$data" "$unary"
  call buf_grpcweb_http2 --protocol grpcweb -d "$data" "$unary"
  call buf_grpc_http2 --protocol grpc -d "$data" "$unary"
  call buf_connect_http3 --http3 --protocol connect -d "$data" "$unary"
  call buf_grpc_http3 --http3 --protocol grpc -d "$data" "$unary"
  stream="https://127.0.0.1:$port/grpc.testing.TestService/StreamingOutputCall"
  out=$(timeout 20 "$buf" curl -k --schema "$schema" --protocol grpc \
    -d '{"response_parameters":[{"size":1},{"size":2},{"size":3}]}' "$stream" 2>&1) || true
  if [ "$(grep -c '"body"' <<<"$out")" -eq 3 ]; then pass buf_grpc_stream; else fail buf_grpc_stream "$out"; fi
else
  say "buf not installed: buf curl checks skipped"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
