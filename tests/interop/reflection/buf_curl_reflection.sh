#!/usr/bin/env bash
# Checks server reflection (grpc.reflection v1 and v1alpha) with `buf curl` as the peer: buf
# learns every schema from the server, never from --schema.
#
# usage: buf_curl_reflection.sh (--plaintext|--self-signed) --triplex PATH --interop-server PATH
#                               [options]
#
# Servers are started in turn on 127.0.0.1 port 0 with the given mode (h2c, so buf curl uses
# --http2-prior-knowledge; or TLS with a made-up certificate, so buf curl uses -k) and stopped
# with SIGTERM (SIGKILL after a grace period).
#   `triplex eliza`:
#     list_services        --list-services names ElizaService, Health and both reflection services
#     list_methods         --list-methods names ElizaService's Say, Introduce and Converse
#     say_grpc             Say over gRPC: one ELIZA reply (a non-empty sentence unlike the input)
#     say_connect          Say over Connect (buf's default protocol): one ELIZA reply
#     say_v1, say_v1alpha  Say with --reflect-protocol grpc-v1 / grpc-v1alpha: one ELIZA reply,
#                          and buf curl -v shows it asked that version's reflection service
#     converse             Converse (bidi, two messages on stdin): two non-empty replies
#   `triplex-interop-server`:
#     interop_list_services  --list-services names grpc.testing.TestService
#     interop_unary          UnaryCall {"response_size":3} (its messages come from an imported
#                            file): a 3-byte payload
#   `triplex eliza --no-reflection`:
#     no_reflection        --list-services fails with unimplemented
# Prints "PASS name" / "FAIL name: why" per check and exits 1 if any failed (77, skipped, when buf
# is not installed).
#
# options:
#   --buf PATH             buf executable (default: the one tests/peers installs)
#   --start-timeout SECS   wait this long for each server's `listening on` line (default 20)
#   --call-timeout SECS    give each buf curl call this long (default 20)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=buf_curl_reflection
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

mode=""
triplex=""
interop_server=""
buf="$here/../../peers/node_modules/.bin/buf"
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
    --plaintext | --self-signed) mode=${1#--}; shift ;;
    --triplex) triplex=${2:?--triplex needs a value}; shift 2 ;;
    --interop-server) interop_server=${2:?--interop-server needs a value}; shift 2 ;;
    --buf) buf=${2:?--buf needs a value}; shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --call-timeout) call_timeout=${2:?--call-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ -n "$mode" ] || { say "need --plaintext or --self-signed"; usage; }
[ -n "$triplex" ] || { say "need --triplex PATH"; usage; }
[ -n "$interop_server" ] || { say "need --interop-server PATH"; usage; }
[ -x "$triplex" ] || die "$triplex is not executable"
[ -x "$interop_server" ] || die "$interop_server is not executable"
if [ ! -x "$buf" ]; then
  say "SKIP: buf not found at $buf (scripts/setup installs it under tests/peers)"
  exit 77
fi
python=$(command -v python3) || die "python3 is needed to judge the responses"

if [ "$mode" = plaintext ]; then
  scheme=http
  transport=(--http2-prior-knowledge)
else
  scheme=https
  transport=(-k)
fi


# judge CHECK OUT [ARG]: judges buf curl's stdout OUT by CHECK; prints why it fails, if it does.
judge() {
  "$python" - "$@" <<'EOF'
import base64
import json
import sys

check, out_path = sys.argv[1:3]
arg = sys.argv[3] if len(sys.argv) > 3 else ""
out = open(out_path, encoding="utf-8").read()


def messages(text):
    msgs, pos, decoder = [], 0, json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return msgs
        msg, pos = decoder.raw_decode(text, pos)
        msgs.append(msg)


if check == "lines":
    # ARG: the lines that must all be present, comma-separated.
    lines = set(out.split())
    missing = [want for want in arg.split(",") if want not in lines]
    if missing:
        sys.exit("missing %s; got %r" % (", ".join(missing), sorted(lines)))
    sys.exit(0)
try:
    msgs = messages(out)
except ValueError as e:
    sys.exit("output is not JSON (%s): %r" % (e, out[:200]))
s = [m.get("sentence", "") if isinstance(m, dict) else "" for m in msgs]
if check == "say":
    if len(msgs) != 1 or not s[0] or s[0] == "I feel happy":
        sys.exit("want one ELIZA reply; got %r" % msgs)
elif check == "converse":
    if len(msgs) != 2 or not all(s):
        sys.exit("want two replies; got %r" % msgs)
elif check == "payload":
    body = base64.b64decode(msgs[0].get("payload", {}).get("body", "")) if len(msgs) == 1 else b""
    if len(msgs) != 1 or len(body) != int(arg):
        sys.exit("want one reply with a %s-byte payload; got %r" % (arg, msgs))
else:
    sys.exit("no such check: " + check)
EOF
}

# call NAME CHECK ARG BUF_ARGS...: one `buf curl` call (stdin from $tmp/NAME.in if present),
# judged by CHECK. CHECK `fails` wants buf curl to fail with ARG in its error output; with
# $stderr_wants set, stderr (the -v log) must also contain that text.
stderr_wants=""
call() {
  local name=$1 check=$2 arg=$3 status=0 why input=/dev/null
  shift 3
  [ -f "$tmp/$name.in" ] && input="$tmp/$name.in"
  timeout --kill-after=5 "$call_timeout" "$buf" curl "${transport[@]}" "$@" \
    <"$input" >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
  if [ "$check" = fails ]; then
    if [ "$status" -eq 0 ]; then
      fail "$name" "buf curl succeeded; want a failure"
    elif ! grep -qF "$arg" "$tmp/$name.err"; then
      fail "$name" "want '$arg' in the error; got: $(tail -c 400 "$tmp/$name.err" | tr '\n' ' ')"
    else
      pass "$name"
    fi
  elif [ "$status" -ne 0 ]; then
    fail "$name" "buf curl exited with status $status: $(tail -c 400 "$tmp/$name.err" | tr '\n' ' ')"
  elif [ -n "$stderr_wants" ] && ! grep -qF "$stderr_wants" "$tmp/$name.err"; then
    fail "$name" "buf curl -v never logged '$stderr_wants'"
  elif why=$(judge "$check" "$tmp/$name.out" "$arg" 2>&1); then
    pass "$name"
  else
    fail "$name" "$why"
  fi
}

# stop NAME: SIGTERM, then judge how the server went.
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
server_start "$start_timeout" "$triplex" eliza --listen 127.0.0.1:0 "--$mode"
base="$scheme://127.0.0.1:$server_port"
eliza="$base/connectrpc.eliza.v1.ElizaService"
call list_services lines "connectrpc.eliza.v1.ElizaService,grpc.health.v1.Health,grpc.reflection.v1.ServerReflection,grpc.reflection.v1alpha.ServerReflection" \
  --list-services "$base"
call list_methods lines "connectrpc.eliza.v1.ElizaService/Say,connectrpc.eliza.v1.ElizaService/Introduce,connectrpc.eliza.v1.ElizaService/Converse" \
  --list-methods "$base"
call say_grpc say "" --protocol grpc -d '{"sentence":"I feel happy"}' "$eliza/Say"
call say_connect say "" -d '{"sentence":"I feel happy"}' "$eliza/Say"
for version in v1 v1alpha; do
  stderr_wants="POST /grpc.reflection.$version.ServerReflection/ServerReflectionInfo"
  call "say_$version" say "" -v --reflect-protocol "grpc-$version" --protocol grpc \
    -d '{"sentence":"I feel happy"}' "$eliza/Say"
done
stderr_wants=""
printf '%s\n' '{"sentence":"Hello, I am Alice."}' '{"sentence":"I feel sad today."}' \
  >"$tmp/converse.in"
call converse converse "" --protocol grpc -d @- "$eliza/Converse"
stop eliza

# --- the interop TestService: a schema spread over imported files ------------------------------
server_start "$start_timeout" "$interop_server" --listen 127.0.0.1:0 "--$mode"
base="$scheme://127.0.0.1:$server_port"
call interop_list_services lines "grpc.testing.TestService" --list-services "$base"
call interop_unary payload 3 --protocol grpc -d '{"response_size":3}' \
  "$base/grpc.testing.TestService/UnaryCall"
stop interop

# --- reflection turned off --------------------------------------------------------------------
server_start "$start_timeout" "$triplex" eliza --listen 127.0.0.1:0 "--$mode" --no-reflection
call no_reflection fails unimplemented --list-services "$scheme://127.0.0.1:$server_port"
stop no_reflection

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
