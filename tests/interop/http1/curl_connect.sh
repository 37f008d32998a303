#!/usr/bin/env bash
# Checks Connect, gRPC-Web and gRPC over HTTP/1.1 (and the same calls over HTTP/2) with curl and
# `buf curl` as the peers.
#
# usage: curl_connect.sh --triplex PATH --interop-server PATH [options]
#
# Three servers are started in turn on 127.0.0.1 port 0 and stopped with SIGTERM (SIGKILL after a
# grace period):
#   `triplex eliza --plaintext` (HTTP/1.1 and h2c on one port):
#     curl --json Say over HTTP/1.1 and h2c: an ELIZA reply (non-empty sentence unlike the input)
#     Connect GET of Say (encoding=json, and encoding=proto with base64=1) over HTTP/1.1 and
#       h2c: a reply with an ETag; a conditional repeat (If-None-Match) gets 304. ELIZA's reply
#       varies between calls, so the repeat is retried with every ETag seen until one matches.
#     buf curl --protocol connect|grpcweb: Say and Introduce over HTTP/1.1 (http://) and
#       h2c (--http2-prior-knowledge); Converse (bidi) over h2c
#   `triplex-interop-server --plaintext`, gRPC over HTTP/1.1 (curl --http1.1, framed body):
#     UnaryCall without TE: 200, grpc-status 0 in the headers, a content-length
#     UnaryCall failing with code 5: 503 with grpc-status 5, grpc-message and details
#     StreamingOutputCall without TE: trailers: 503, grpc-status 12 naming TE: trailers
#     StreamingOutputCall with TE: trailers: 200, chunked, grpc-status 0 as a trailer
#   `triplex eliza --self-signed` (https://, certificate not verified):
#     buf curl --protocol connect|grpcweb: Say, Introduce and Converse (HTTP/2 by ALPN)
#     curl --json Say with --http1.1 (ALPN http/1.1) and --http2 (ALPN h2)
# Prints "PASS name" / "FAIL name: why" per check and exits 1 if any failed (77, skipped, when
# buf is not installed).
#
# options:
#   --triplex PATH         the triplex command (serves `eliza`)
#   --interop-server PATH  triplex-interop-server
#   --buf PATH             buf executable (default: the one tests/peers installs)
#   --curl PATH            curl executable (default: curl on PATH)
#   --protoc PATH          protoc executable (default: protoc on PATH)
#   --proto-root DIR       holds grpc/testing/messages.proto (default /usr/share/grpc-proto)
#   --schema FILE          eliza.proto (default: the one under examples/eliza)
#   --start-timeout SECS   wait this long for each server's `listening on` line (default 20)
#   --call-timeout SECS    give each curl / buf curl call this long (default 10)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=curl_connect
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

triplex=""
interop_server=""
buf="$here/../../peers/node_modules/.bin/buf"
curl=""
protoc=""
proto_root=/usr/share/grpc-proto
schema="$here/../../../examples/eliza/proto/connectrpc/eliza/v1/eliza.proto"
start_timeout=20
call_timeout=10
stop_grace=5
checker="$here/check_http.py"

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --triplex) triplex=${2:?--triplex needs a value}; shift 2 ;;
    --interop-server) interop_server=${2:?--interop-server needs a value}; shift 2 ;;
    --buf) buf=${2:?--buf needs a value}; shift 2 ;;
    --curl) curl=${2:?--curl needs a value}; shift 2 ;;
    --protoc) protoc=${2:?--protoc needs a value}; shift 2 ;;
    --proto-root) proto_root=${2:?--proto-root needs a value}; shift 2 ;;
    --schema) schema=${2:?--schema needs a value}; shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --call-timeout) call_timeout=${2:?--call-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ -n "$triplex" ] || { say "need --triplex PATH"; usage; }
[ -n "$interop_server" ] || { say "need --interop-server PATH"; usage; }
[ -x "$triplex" ] || die "$triplex is not executable"
[ -x "$interop_server" ] || die "$interop_server is not executable"
if [ ! -x "$buf" ]; then
  say "SKIP: buf not found at $buf (scripts/setup installs it under tests/peers)"
  exit 77
fi
[ -n "$curl" ] || curl=$(command -v curl) || die "curl is not on PATH (use --curl)"
[ -n "$protoc" ] || protoc=$(command -v protoc) || die "protoc is not on PATH (use --protoc)"
[ -f "$schema" ] || die "schema $schema not found"
[ -f "$proto_root/grpc/testing/messages.proto" ] || die "no grpc/testing under $proto_root"
python=$(command -v python3) || die "python3 is needed to judge the responses"

schema="$(cd "$(dirname "$schema")" && pwd)/$(basename "$schema")"
eliza_root=$(cd "$(dirname "$schema")/../../.." && pwd)
eliza_file=${schema#"$eliza_root"/}
say_input='{"sentence":"I feel happy"}'


# fetch NAME CURL_ARGS...: one curl request, captured as $tmp/NAME.h (headers, then trailers),
# $tmp/NAME.b (body) and $tmp/NAME.w (status and HTTP version). Reports FAIL NAME and returns 1
# when curl itself fails.
fetch() {
  local name=$1 status=0
  shift
  rm -f "$tmp/$name".{h,b,w}
  "$curl" -sS --max-time "$call_timeout" -D "$tmp/$name.h" -o "$tmp/$name.b" \
    -w '%{http_code} %{http_version}' "$@" >"$tmp/$name.w" 2>"$tmp/$name.err" || status=$?
  touch "$tmp/$name".{h,b,w}
  if [ "$status" -ne 0 ]; then
    fail "$name" "curl exited with status $status: $(tr '\n' ' ' <"$tmp/$name.err")"
    return 1
  fi
}

# judge NAME CHECK [ARGS...]: check_http.py CHECK on $tmp/NAME; PASS or FAIL NAME.
judge() {
  local name=$1 check=$2 why
  shift 2
  if why=$("$python" "$checker" "$check" "$tmp/$name" "$@" 2>&1); then
    pass "$name"
  else
    fail "$name" "$why"
  fi
}

# conditional_get NAME VERSION ENCODING URL CURL_ARGS...: a Connect GET that must answer with
# an ETag (check NAME), then conditional repeats until one gets 304 (check NAME_304).
conditional_get() {
  local name=$1 version=$2 encoding=$3 url=$4 etag etags attempt rc
  shift 4
  if ! fetch "$name" "$@" "$url"; then
    fail "${name}_304" "no first response"
    return 0
  fi
  if ! etag=$("$python" "$checker" say "$tmp/$name" --version "$version" \
    --encoding "$encoding" --get 2>"$tmp/$name.why"); then
    fail "$name" "$(cat "$tmp/$name.why")"
    fail "${name}_304" "no first response"
    return 0
  fi
  pass "$name"
  etags=$etag
  for attempt in 1 2 3 4 5 6 7 8 9 10 11 12; do
    fetch "${name}_304" -H "If-None-Match: $etags" "$@" "$url" || return 0
    rc=0
    etag=$("$python" "$checker" revalidate "$tmp/${name}_304" --version "$version" \
      --etags "$etags" 2>"$tmp/${name}_304.why") || rc=$?
    case $rc in
      0) pass "${name}_304"; return 0 ;;
      3) etags="$etags, $etag" ;;
      *) fail "${name}_304" "$(cat "$tmp/${name}_304.why")"; return 0 ;;
    esac
  done
  fail "${name}_304" "no 304 after $attempt conditional GETs (ETags sent: $etags)"
}

# buf_case NAME CHECK URL BUF_ARGS...: one `buf curl` call (stdin from $tmp/NAME.in if present),
# its JSON output judged by check_http.py buf CHECK.
buf_case() {
  local name=$1 check=$2 url=$3 status=0 why input=/dev/null
  shift 3
  [ -f "$tmp/$name.in" ] && input="$tmp/$name.in"
  timeout --kill-after=5 "$call_timeout" "$buf" curl --schema "$schema" "$@" "$url" \
    <"$input" >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
  if [ "$status" -ne 0 ]; then
    fail "$name" "buf curl exited with status $status: $(tr '\n' ' ' <"$tmp/$name.err")"
  elif why=$("$python" "$checker" buf "$check" "$tmp/$name.out" 2>&1); then
    pass "$name"
  else
    fail "$name" "$why"
  fi
}

# stop_server: SIGTERM to the server started last; a server that died or did not stop cleanly
# is a failure of its own.
stop_server() {
  local what=$1
  if ! server_alive; then
    fail "${what}_server" "the server exited while it was being tested"
    return 0
  fi
  server_stop "$stop_grace"
  if [ -n "$server_stop_problem" ]; then
    show_server_output
    fail "${what}_server" "$server_stop_problem"
  fi
}

urlencode() {
  "$python" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# frame IN OUT: OUT is IN as one uncompressed gRPC message (IN shorter than 256 bytes).
frame() {
  local len
  len=$(wc -c <"$1")
  [ "$len" -lt 256 ] || die "frame: $1 is too long"
  { printf '\000\000\000\000'; printf '%b' "\\0$(printf %03o "$len")"; cat "$1"; } >"$2"
}

# encode TYPE TEXT OUT [PROTOC_ARGS...]: protoc --encode of a text-format message.
encode() {
  local type=$1 text=$2 out=$3
  shift 3
  printf '%s' "$text" | "$protoc" --encode="$type" "$@" >"$out" ||
    die "protoc could not encode $type"
}

# --- requests --------------------------------------------------------------------------------
encode connectrpc.eliza.v1.SayRequest 'sentence: "I feel happy"' "$tmp/say.pb" \
  -I "$eliza_root" "$eliza_file"
say_proto_b64=$(base64 -w0 <"$tmp/say.pb" | tr '+/' '-_' | tr -d '=')
say_json_q=$(urlencode "$say_input")
messages=(-I "$proto_root" grpc/testing/messages.proto)
encode grpc.testing.SimpleRequest 'response_size: 10' "$tmp/unary.pb" "${messages[@]}"
encode grpc.testing.SimpleRequest 'response_status { code: 5 message: "not here" }' \
  "$tmp/error.pb" "${messages[@]}"
encode grpc.testing.StreamingOutputCallRequest \
  'response_parameters { size: 10 } response_parameters { size: 20 }' \
  "$tmp/stream.pb" "${messages[@]}"
for m in unary error stream; do frame "$tmp/$m.pb" "$tmp/$m.grpc"; done
printf '%s\n' '{"sentence":"Hello, I am Alice."}' '{"sentence":"I feel sad today."}' \
  >"$tmp/converse.in"

# --- Eliza over plaintext: HTTP/1.1 and h2c on the same port -----------------------------------
server_start "$start_timeout" "$triplex" eliza --listen 127.0.0.1:0 --plaintext
eliza="http://127.0.0.1:$server_port/connectrpc.eliza.v1.ElizaService"
get_json="$eliza/Say?connect=v1&encoding=json&message=$say_json_q"
get_proto="$eliza/Say?connect=v1&encoding=proto&base64=1&message=$say_proto_b64"

for v in http1 h2c; do
  if [ "$v" = http1 ]; then
    version=1.1
    flag=--http1.1
    buf_flags=()
  else
    version=2
    flag=--http2-prior-knowledge
    buf_flags=(--http2-prior-knowledge)
  fi
  fetch "curl_say_json_$v" "$flag" --json "$say_input" "$eliza/Say" &&
    judge "curl_say_json_$v" say --version "$version" --encoding json
  conditional_get "curl_get_json_$v" "$version" json "$get_json" "$flag"
  conditional_get "curl_get_proto_$v" "$version" proto "$get_proto" "$flag"
  for protocol in connect grpcweb; do
    buf_case "buf_${protocol}_say_$v" say "$eliza/Say" --protocol "$protocol" \
      ${buf_flags[@]+"${buf_flags[@]}"} -d "$say_input"
    buf_case "buf_${protocol}_introduce_$v" introduce "$eliza/Introduce" \
      --protocol "$protocol" ${buf_flags[@]+"${buf_flags[@]}"} -d '{"name":"Alice"}'
  done
done
# Bidi streaming needs HTTP/2: h2c only.
for protocol in connect grpcweb; do
  cp "$tmp/converse.in" "$tmp/buf_${protocol}_converse_h2c.in"
  buf_case "buf_${protocol}_converse_h2c" converse "$eliza/Converse" --protocol "$protocol" \
    --http2-prior-knowledge -d @-
done
stop_server eliza_plaintext

# --- gRPC over HTTP/1.1 ---------------------------------------------------------------------
server_start "$start_timeout" "$interop_server" --listen 127.0.0.1:0 --plaintext
test_service="http://127.0.0.1:$server_port/grpc.testing.TestService"
grpc_h1=(--http1.1 -H 'content-type: application/grpc' -H 'Expect:')

fetch grpc_http1_unary "${grpc_h1[@]}" --data-binary "@$tmp/unary.grpc" \
  "$test_service/UnaryCall" && judge grpc_http1_unary grpc-unary --size 10
fetch grpc_http1_error "${grpc_h1[@]}" --data-binary "@$tmp/error.grpc" \
  "$test_service/UnaryCall" && judge grpc_http1_error grpc-error --code 5 --message "not here"
fetch grpc_http1_stream_without_te "${grpc_h1[@]}" --data-binary "@$tmp/stream.grpc" \
  "$test_service/StreamingOutputCall" && judge grpc_http1_stream_without_te grpc-needs-te
fetch grpc_http1_stream_with_te "${grpc_h1[@]}" -H 'TE: trailers' -H 'Connection: TE' \
  --data-binary "@$tmp/stream.grpc" "$test_service/StreamingOutputCall" &&
  judge grpc_http1_stream_with_te grpc-stream --sizes 10,20
stop_server interop_plaintext

# --- Eliza over TLS (certificate made up by the server, so not verified) ----------------------
server_start "$start_timeout" "$triplex" eliza --listen 127.0.0.1:0 --self-signed
eliza="https://127.0.0.1:$server_port/connectrpc.eliza.v1.ElizaService"
for protocol in connect grpcweb; do
  buf_case "buf_${protocol}_say_https" say "$eliza/Say" --protocol "$protocol" -k \
    -d "$say_input"
  buf_case "buf_${protocol}_introduce_https" introduce "$eliza/Introduce" \
    --protocol "$protocol" -k -d '{"name":"Alice"}'
  cp "$tmp/converse.in" "$tmp/buf_${protocol}_converse_https.in"
  buf_case "buf_${protocol}_converse_https" converse "$eliza/Converse" --protocol "$protocol" \
    -k -d @-
done
fetch curl_say_json_https_http1 --http1.1 -k --json "$say_input" "$eliza/Say" &&
  judge curl_say_json_https_http1 say --version 1.1 --encoding json
fetch curl_say_json_https_h2 --http2 -k --json "$say_input" "$eliza/Say" &&
  judge curl_say_json_https_h2 say --version 2 --encoding json
stop_server eliza_tls

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
