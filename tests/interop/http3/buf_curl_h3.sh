#!/usr/bin/env bash
# Checks gRPC, gRPC-Web and Connect over HTTP/3 with `buf curl --http3` as the peer.
#
# usage: buf_curl_h3.sh --triplex PATH --interop-server PATH [options]
#
# Two servers are started in turn on 127.0.0.1 port 0 with --self-signed (QUIC on the UDP port of
# the same number as the TCP port) and stopped with SIGTERM (SIGKILL after a grace period); the
# certificate is not verified (-k). For each --protocol grpc|grpcweb|connect:
#   `triplex eliza` (connectrpc.eliza.v1.ElizaService):
#     Say {"sentence":"I feel happy"}   one reply with a non-empty sentence unlike the input
#     Introduce {"name":"Alice"}        several sentences, the first mentioning Alice
#     Converse (two messages on stdin)   two non-empty replies (bidi streaming)
#   `triplex-interop-server` (grpc.testing.TestService):
#     UnaryCall with response_status {code:5, message:"x"}   buf reports not_found and "x"
#     UnaryCall with response_size 4 MiB - 16                a payload of that many bytes (buf
#                                                            refuses replies over 4 MiB)
#     UnaryCall with a 4 MiB - 64 request payload           an answer (the server allows 16 MiB)
# Every call must have gone over HTTP/3 (buf curl -v reports "HTTP/3.0").
# Prints "PASS name" / "FAIL name: why" per call and exits 1 if any failed (77, skipped, when buf
# is not installed).
#
# options:
#   --triplex PATH         the triplex command (serves `eliza`)
#   --interop-server PATH  triplex-interop-server
#   --buf PATH             buf executable (default: the one tests/peers installs)
#   --protoc PATH          protoc executable (default: protoc on PATH)
#   --proto-root DIR       holds grpc/testing/test.proto (default /usr/share/grpc-proto)
#   --schema FILE          eliza.proto (default: the one under examples/eliza)
#   --start-timeout SECS   wait this long for each server's `listening on` line (default 20)
#   --call-timeout SECS    give each buf curl call this long (default 20)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=buf_curl_h3
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

triplex=""
interop_server=""
buf="$here/../../peers/node_modules/.bin/buf"
protoc=""
proto_root=/usr/share/grpc-proto
schema="$here/../../../examples/eliza/proto/connectrpc/eliza/v1/eliza.proto"
start_timeout=20
call_timeout=20
stop_grace=5

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
[ -n "$protoc" ] || protoc=$(command -v protoc) || die "protoc is not on PATH (use --protoc)"
[ -f "$schema" ] || die "schema $schema not found"
[ -f "$proto_root/grpc/testing/test.proto" ] || die "no grpc/testing under $proto_root"
python=$(command -v python3) || die "python3 is needed to judge the responses"

# buf curl takes the interop schema as a descriptor set (test.proto has imports).
"$protoc" -I"$proto_root" --include_imports -o "$tmp/testing.binpb" grpc/testing/test.proto ||
  die "protoc could not build the grpc.testing descriptor set"


# judge CHECK OUT ERR [ARG]: judges buf curl's stdout OUT (JSON messages) and stderr ERR (the
# error JSON, the -v log) by CHECK; prints why it fails, if it does.
judge() {
  "$python" - "$@" <<'EOF'
import base64
import json
import sys

check, out_path, err_path = sys.argv[1:4]
arg = sys.argv[4] if len(sys.argv) > 4 else None
out = open(out_path, encoding="utf-8").read()
err = open(err_path, encoding="utf-8").read()


def messages(text):
    msgs, pos, decoder = [], 0, json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return msgs
        msg, pos = decoder.raw_decode(text, pos)
        msgs.append(msg)


def fail(why):
    sys.exit(why)


if "HTTP/3.0" not in err:
    fail("buf curl -v does not report HTTP/3.0")
if check == "error":
    # The error is the JSON object buf prints on stderr, after its -v lines.
    start = 0 if err.startswith("{") else err.rfind("\n{") + 1
    if start == 0 and not err.startswith("{"):
        fail("no error JSON on stderr: %r" % err[-300:])
    error = messages(err[start:])[0]
    code, message = arg.split(":", 1)
    if error.get("code") != code or error.get("message") != message:
        fail("want %s %r; got %s" % (code, message, json.dumps(error)))
    sys.exit(0)
try:
    msgs = messages(out)
except ValueError as e:
    fail("output is not JSON (%s): %r" % (e, out[:200]))
s = [m.get("sentence", "") if isinstance(m, dict) else "" for m in msgs]
if check == "say":
    if len(msgs) != 1 or not s[0] or s[0] == "I feel happy":
        fail("want one ELIZA reply; got %r" % msgs)
elif check == "introduce":
    if len(msgs) < 2 or not all(s) or "Alice" not in s[0]:
        fail("want several sentences, the first naming Alice; got %r" % msgs)
elif check == "converse":
    if len(msgs) != 2 or not all(s):
        fail("want two replies; got %r" % msgs)
elif check == "payload":
    if len(msgs) != 1:
        fail("want one reply; got %d" % len(msgs))
    body = base64.b64decode(msgs[0].get("payload", {}).get("body", ""))
    if len(body) != int(arg):
        fail("want a %s-byte payload; got %d bytes" % (arg, len(body)))
elif check == "answered":
    if len(msgs) != 1:
        fail("want one reply; got %r" % out[:200])
else:
    fail("no such check: " + check)
EOF
}

# call NAME CHECK ARG URL BUF_ARGS...: one `buf curl --http3` call (stdin from $tmp/NAME.in if
# present), judged by CHECK. For CHECK error the call must fail; otherwise it must succeed.
call() {
  local name=$1 check=$2 arg=$3 url=$4 status=0 why input=/dev/null
  shift 4
  [ -f "$tmp/$name.in" ] && input="$tmp/$name.in"
  timeout --kill-after=5 "$call_timeout" "$buf" curl --http3 -k -v "$@" "$url" \
    <"$input" >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
  if [ "$check" = error ] && [ "$status" -eq 0 ]; then
    fail "$name" "buf curl succeeded; want an error"
  elif [ "$check" != error ] && [ "$status" -ne 0 ]; then
    fail "$name" "buf curl exited with status $status: $(tail -c 400 "$tmp/$name.err" | tr '\n' ' ')"
  elif why=$(judge "$check" "$tmp/$name.out" "$tmp/$name.err" "$arg" 2>&1); then
    pass "$name"
  else
    fail "$name" "$why"
  fi
}

# stop: SIGTERM, then judge how the server went.
stop() {
  if ! server_alive; then
    failed=$((failed + 1))
    return 0
  fi
  server_stop "$stop_grace"
  if [ -n "$server_stop_problem" ]; then
    show_server_output
    fail "$1_stop" "$server_stop_problem"
  fi
}

# --- the Eliza demo ---------------------------------------------------------------------------
server_start "$start_timeout" "$triplex" eliza --listen 127.0.0.1:0 --self-signed
eliza="https://127.0.0.1:$server_port/connectrpc.eliza.v1.ElizaService"
for protocol in grpc grpcweb connect; do
  call "${protocol}_say" say "" "$eliza/Say" --schema "$schema" --protocol "$protocol" \
    -d '{"sentence":"I feel happy"}'
  call "${protocol}_introduce" introduce "" "$eliza/Introduce" --schema "$schema" \
    --protocol "$protocol" -d '{"name":"Alice"}'
  printf '%s\n' '{"sentence":"Hello, I am Alice."}' '{"sentence":"I feel sad today."}' \
    >"$tmp/${protocol}_converse.in"
  call "${protocol}_converse" converse "" "$eliza/Converse" --schema "$schema" \
    --protocol "$protocol" -d @-
done
stop eliza

# --- the interop TestService ------------------------------------------------------------------
server_start "$start_timeout" "$interop_server" --listen 127.0.0.1:0 --self-signed
test_service="https://127.0.0.1:$server_port/grpc.testing.TestService"
big_response=$((4 * 1024 * 1024 - 16))
"$python" -c "
import base64, json, sys
body = base64.b64encode(bytes(4 * 1024 * 1024 - 64)).decode()
print(json.dumps({'response_size': 16, 'payload': {'body': body}}))" >"$tmp/big_request.json"
for protocol in grpc grpcweb connect; do
  call "${protocol}_error" error "not_found:x" "$test_service/UnaryCall" \
    --schema "$tmp/testing.binpb" --protocol "$protocol" \
    -d '{"response_status":{"code":5,"message":"x"}}'
  call "${protocol}_large_response" payload "$big_response" "$test_service/UnaryCall" \
    --schema "$tmp/testing.binpb" --protocol "$protocol" \
    -d "{\"response_size\":$big_response}"
  call "${protocol}_large_request" answered "" "$test_service/UnaryCall" \
    --schema "$tmp/testing.binpb" --protocol "$protocol" -d "@$tmp/big_request.json"
done
stop interop

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
