#!/usr/bin/env bash
# CORS as a browser meets it, checked with curl against `triplex eliza` (which
# allows any origin): the preflight OPTIONS and the headers on actual responses.
# usage: cors.sh TRIPLEX
set -euo pipefail
log_prefix=cors
# shellcheck source=../server_lib.sh
source "$(dirname "$0")/../server_lib.sh"

triplex=$1
server_start 20 "$triplex" eliza --listen 127.0.0.1:0 --plaintext
url="http://127.0.0.1:$server_port/connectrpc.eliza.v1.ElizaService/Say"
origin="http://app.example"
failures=0
expect() {  # expect NAME FILE PATTERN
  if grep -qiE "$3" "$2"; then echo "PASS $1"; else
    echo "FAIL $1: no /$3/ in"; cat "$2"; failures=$((failures + 1)); fi
}

curl -s -o /dev/null -D "$tmp/pre" -X OPTIONS -H "origin: $origin" \
  -H 'access-control-request-method: POST' \
  -H 'access-control-request-headers: content-type, connect-protocol-version' "$url"
expect "preflight status" "$tmp/pre" '^HTTP/1.1 204'
expect "preflight origin" "$tmp/pre" "^access-control-allow-origin: $origin"
expect "preflight methods" "$tmp/pre" '^access-control-allow-methods: .*POST'
expect "preflight headers" "$tmp/pre" '^access-control-allow-headers: .*connect-protocol-version'

curl -s -o /dev/null -D "$tmp/post" -H "origin: $origin" --json '{"sentence":"hi"}' "$url"
expect "response origin" "$tmp/post" "^access-control-allow-origin: $origin"
expect "response exposes grpc-status" "$tmp/post" '^access-control-expose-headers: .*grpc-status'
expect "response exposes grpc-message" "$tmp/post" '^access-control-expose-headers: .*grpc-message'

printf '\x00\x00\x00\x00\x10{"sentence":"x"}' >"$tmp/body"
curl -s -o /dev/null -D "$tmp/web" -H "origin: $origin" \
  -H 'content-type: application/grpc-web+json' --data-binary @"$tmp/body" "$url"
expect "grpc-web exposes grpc-status-details-bin" "$tmp/web" \
  '^access-control-expose-headers: .*grpc-status-details-bin'

server_stop 5 || true
[ "$failures" -eq 0 ] || exit 1
