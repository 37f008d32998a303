#!/usr/bin/env bash
# `triplex eliza`'s logs as an operator sees them: JSON lines with --log-format json,
# start-up and drain at info, a line per call at --log-level debug (peer, protocol, HTTP
# version, method, code, duration); TRIPLEX_LOG_LEVEL=warn leaves the info lines out; a
# bad level is a usage error (exit 2).
#
# usage: logs.sh TRIPLEX SOURCE_DIR
set -uo pipefail
triplex=$1
log_prefix=logs
# shellcheck source=../interop/server_lib.sh
source "$2/tests/interop/server_lib.sh"

# json_lines FILE: checks every line of FILE is a JSON object; prints them as one JSON list.
json_lines() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert all(isinstance(l, dict) and "time" in l and "level" in l and "msg" in l for l in lines)
print(json.dumps(lines))
PY
}

server_start 20 "$triplex" eliza --listen 127.0.0.1:0 --plaintext --log-level debug --log-format json
curl -sS --json '{"sentence":"I feel happy"}' \
  "http://127.0.0.1:$server_port/connectrpc.eliza.v1.ElizaService/Say" >"$tmp/say.out" 2>&1 ||
  fail "Connect call" "$(cat "$tmp/say.out")"
server_stop 10
[ -z "$server_stop_problem" ] || fail "drain on SIGTERM" "$server_stop_problem"

if lines=$(json_lines "$tmp/server.stderr"); then
  pass "stderr is JSON lines"
  check() {  # check NAME PYTHON-EXPRESSION-OVER-lines
    if /usr/bin/python3 -c "import json,sys; lines=json.loads(sys.stdin.read()); sys.exit(0 if ($2) else 1)" <<<"$lines"; then
      pass "$1"
    else
      fail "$1" "$(cat "$tmp/server.stderr")"
    fi
  }
  check "listening at info with address and TLS" \
    "any(l['msg']=='listening' and l['level']=='info' and l['address']=='127.0.0.1:$server_port' and l['tls']=='off' for l in lines)"
  check "a debug line for the call" \
    "any(l['msg']=='call' and l['level']=='debug' and l['method']=='/connectrpc.eliza.v1.ElizaService/Say' and l['protocol']=='connect' and l['http']=='HTTP/1.1' and l['code']=='OK' and l['peer'].startswith('127.0.0.1:') and float(l['duration_ms'])>=0 for l in lines)"
  check "draining and drained at info" \
    "any(l['msg']=='draining' for l in lines) and any(l['msg']=='drained; stopped' for l in lines)"
else
  fail "stderr is JSON lines" "$(cat "$tmp/server.stderr")"
fi

# The environment sets the level when no flag does.
export TRIPLEX_LOG_LEVEL=warn
server_start 20 "$triplex" eliza --listen 127.0.0.1:0 --plaintext
server_stop 10
unset TRIPLEX_LOG_LEVEL
if grep -q listening "$tmp/server.stderr"; then
  fail "TRIPLEX_LOG_LEVEL=warn hides info" "$(cat "$tmp/server.stderr")"
else
  pass "TRIPLEX_LOG_LEVEL=warn hides info"
fi

status=0
"$triplex" eliza --listen 127.0.0.1:0 --plaintext --log-level loud >"$tmp/bad.out" 2>"$tmp/bad.err" || status=$?
[ "$status" -eq 2 ] && pass "a bad --log-level exits 2" ||
  fail "a bad --log-level exits 2" "status $status: $(cat "$tmp/bad.err")"

finish
