#!/usr/bin/env bash
# Calls the Eliza demo with `buf curl` over the gRPC protocol.
#
# usage: buf_curl_eliza.sh (--plaintext|--self-signed) [options] -- SERVER [ARGS...]
#
# Starts `SERVER ARGS... --listen 127.0.0.1:0 --plaintext` (h2c, so buf curl uses
# --http2-prior-knowledge) or `... --self-signed` (TLS, so buf curl uses -k), waits for
# `listening on HOST:PORT`, then checks connectrpc.eliza.v1.ElizaService:
#   Say {"sentence":"I feel happy"}  one reply with a non-empty sentence unlike the input
#   Introduce {"name":"Alice"}       several sentences, the first mentioning Alice
#   Converse (two messages on stdin)  two non-empty replies
# Prints "PASS name" / "FAIL name: why" per call and exits 1 if any failed.
#
# options:
#   --buf PATH             buf executable (default: the one tests/peers installs)
#   --schema FILE          eliza.proto (default: the one under examples/eliza)
#   --start-timeout SECS   wait this long for the `listening on` line (default 20)
#   --call-timeout SECS    give each buf curl call this long (default 15)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=buf_curl_eliza
# shellcheck source=server_lib.sh
source "$here/server_lib.sh"

mode=""
buf="$here/../peers/node_modules/.bin/buf"
schema="$here/../../examples/eliza/proto/connectrpc/eliza/v1/eliza.proto"
start_timeout=20
call_timeout=15
stop_grace=5

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --plaintext | --self-signed) mode=${1#--}; shift ;;
    --buf) buf=${2:?--buf needs a value}; shift 2 ;;
    --schema) schema=${2:?--schema needs a value}; shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --call-timeout) call_timeout=${2:?--call-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    -h | --help) usage ;;
    --) shift; break ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ $# -gt 0 ] || { say "no server command after --"; usage; }
[ -n "$mode" ] || { say "need --plaintext or --self-signed"; usage; }
[ -x "$buf" ] || die "buf not found at $buf (scripts/setup installs it under tests/peers)"
[ -f "$schema" ] || die "schema $schema not found"
python=$(command -v python3) || die "python3 is needed to read buf's JSON output"

server_start "$start_timeout" "$@" --listen 127.0.0.1:0 "--$mode"
if [ "$mode" = plaintext ]; then
  base="http://127.0.0.1:$server_port"
  transport=(--http2-prior-knowledge)
else
  # The server's certificate is made up on the spot, so there is nothing to verify it against.
  base="https://127.0.0.1:$server_port"
  transport=(-k)
fi

# call METHOD DATA: runs buf curl, leaving its output in $tmp/METHOD.{out,err}.
call() {
  local method=$1 data=$2
  timeout --kill-after=5 "$call_timeout" "$buf" curl --protocol grpc "${transport[@]}" \
    --schema "$schema" -d "$data" "$base/connectrpc.eliza.v1.ElizaService/$method" \
    <"$tmp/$method.in" >"$tmp/$method.out" 2>"$tmp/$method.err"
}

# expect CHECK FILE: judges FILE, the JSON messages buf curl printed, by the named CHECK; prints
# why it fails, if it does.
expect() {
  "$python" - "$@" <<'EOF'
import json
import sys

check, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
msgs, pos, decoder = [], 0, json.JSONDecoder()
try:
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        msg, pos = decoder.raw_decode(text, pos)
        msgs.append(msg)
except ValueError as err:
    sys.exit("output is not JSON (%s): %r" % (err, text[:200]))
s = [m.get("sentence", "") if isinstance(m, dict) else "" for m in msgs]

why = None
if check == "say":
    if len(msgs) != 1:
        why = "want one reply"
    elif not s[0]:
        why = "empty sentence"
    elif s[0] == "I feel happy":
        why = "the reply repeats the input"
elif check == "introduce":
    if len(msgs) < 2:
        why = "want several replies"
    elif not all(s):
        why = "empty sentence"
    elif "Alice" not in s[0]:
        why = "the first sentence does not mention Alice"
elif check == "converse":
    if len(msgs) != 2:
        why = "want two replies"
    elif not all(s):
        why = "empty sentence"
else:
    why = "no such check: " + check
if why:
    sys.exit(why + "; got: " + json.dumps(msgs))
EOF
}

failed=0
# run_case NAME METHOD DATA: one buf curl call, judged by the check of the same name.
run_case() {
  local name=$1 method=$2 data=$3 status=0 why
  call "$method" "$data" || status=$?
  if [ "$status" -ne 0 ]; then
    why="buf curl exited with status $status: $(tr '\n' ' ' <"$tmp/$method.err")"
  elif why=$(expect "$name" "$tmp/$method.out" 2>&1); then
    echo "PASS $name"
    return 0
  fi
  echo "FAIL $name: $why"
  failed=$((failed + 1))
}

: >"$tmp/Say.in"
run_case say Say '{"sentence":"I feel happy"}'
: >"$tmp/Introduce.in"
run_case introduce Introduce '{"name":"Alice"}'
printf '%s\n' '{"sentence":"Hello, I am Alice."}' '{"sentence":"I feel sad today."}' \
  >"$tmp/Converse.in"
run_case converse Converse @-
echo "$((3 - failed)) passed, $failed failed"

if ! server_alive; then
  exit 1
fi
server_stop "$stop_grace"
if [ -n "$server_stop_problem" ]; then
  show_server_output
  die "FAIL: $server_stop_problem"
fi
if [ "$failed" -ne 0 ]; then
  show_server_output
  exit 1
fi
