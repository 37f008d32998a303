#!/usr/bin/env bash
# Runs the eliza_client example (generated typed stubs and the blocking wrapper) against
# `triplex eliza` over HTTP/1.1, HTTP/2 and HTTP/3 with Connect, gRPC and gRPC-Web.
#
# usage: eliza_client.sh --triplex PATH --client PATH [options]
#
# Starts `triplex eliza --listen 127.0.0.1:0 --self-signed` (QUIC on the UDP port of the same
# number), then for each HTTP version and protocol runs `CLIENT --protocol P --httpV -k URL` and
# checks its output:
#   Say: ...            one non-empty reply unlike the input
#   Introduce: ...      several sentences, the first naming Alice
#   Converse: ...       three non-empty replies (bidi; HTTP/1.1 reports it skipped)
#   Blocking Say: ...   one non-empty reply
# and that it exited 0. Prints "PASS name" / "FAIL name: why" per run and exits 1 if any failed.
#
# options:
#   --start-timeout SECS   wait this long for the `listening on` line (default 20)
#   --call-timeout SECS    give each client run this long (default 30)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=eliza_client
# shellcheck source=SCRIPTDIR/../interop/server_lib.sh
source "$here/../interop/server_lib.sh"

triplex=""
client=""
start_timeout=20
call_timeout=30
stop_grace=5

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --triplex) triplex=${2:?--triplex needs a value}; shift 2 ;;
    --client) client=${2:?--client needs a value}; shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --call-timeout) call_timeout=${2:?--call-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ -x "$triplex" ] || { say "need --triplex PATH (executable)"; usage; }
[ -x "$client" ] || { say "need --client PATH (executable)"; usage; }

# judge OUT HALF_DUPLEX: prints why the client's output OUT falls short, if it does.
judge() {
  local out=$1 half_duplex=$2 say_reply introduce first converse
  say_reply=$(sed -n 's/^Say: //p' "$out")
  if [ "$(grep -c '^Say: ' "$out")" -ne 1 ] || [ -z "$say_reply" ] ||
    [ "$say_reply" = "I feel happy." ]; then
    echo "want one ELIZA reply to Say; got '$say_reply'"
    return
  fi
  introduce=$(grep -c '^Introduce: .' "$out" || true)
  first=$(grep -m1 '^Introduce: ' "$out" || true)
  if [ "$introduce" -lt 2 ] || [[ $first != *Alice* ]]; then
    echo "want several Introduce sentences, the first naming Alice"
    return
  fi
  converse=$(grep -c '^Converse: .' "$out" || true)
  if [ "$half_duplex" = yes ]; then
    grep -q '^Converse: skipped' "$out" || echo "want Converse skipped over HTTP/1.1"
  elif [ "$converse" -ne 3 ]; then
    echo "want three Converse replies; got $converse"
  fi
  [ "$(grep -c '^Blocking Say: .' "$out")" -eq 1 ] || echo "want one Blocking Say reply"
}

server_start "$start_timeout" "$triplex" eliza --listen 127.0.0.1:0 --self-signed
url="https://127.0.0.1:$server_port"

passed=0
failed=0
for version in http1.1 http2 http3; do
  half_duplex=no
  [ "$version" = http1.1 ] && half_duplex=yes
  for protocol in connect grpc grpcweb; do
    name="${protocol}_${version}"
    status=0
    timeout --kill-after=5 "$call_timeout" "$client" --protocol "$protocol" "--$version" -k \
      "$url" >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
    why=""
    if [ "$status" -ne 0 ]; then
      why="exited with status $status: $(tail -c 400 "$tmp/$name.err" | tr '\n' ' ')"
    else
      why=$(judge "$tmp/$name.out" "$half_duplex")
    fi
    if [ -z "$why" ]; then
      echo "PASS $name"
      passed=$((passed + 1))
    else
      echo "FAIL $name: $why"
      sed 's/^/  | /' "$tmp/$name.out"
      failed=$((failed + 1))
    fi
  done
done

if ! server_alive; then
  exit 1
fi
server_stop "$stop_grace"
if [ -n "$server_stop_problem" ]; then
  show_server_output
  die "FAIL: $server_stop_problem"
fi
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  show_server_output
  exit 1
fi
