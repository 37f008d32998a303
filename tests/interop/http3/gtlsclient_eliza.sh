#!/usr/bin/env bash
# Checks HTTP/3 transport behaviour with ngtcp2's example client (gtlsclient, GnuTLS build) as the
# peer, against `triplex eliza`.
#
# usage: gtlsclient_eliza.sh --triplex PATH [options]
#
# The server is started on 127.0.0.1 port 0 with --self-signed (QUIC on the UDP port of the same
# number as the TCP port) and stopped with SIGTERM (SIGKILL after a grace period). gtlsclient
# cannot set request headers, so every request is a Connect GET of the side-effect-free Say:
#   /connectrpc.eliza.v1.ElizaService/Say?connect=v1&encoding=json&message={"sentence":"I feel happy N"}
# with a distinct N per request, so that each response lands in its own --download file (named
# after the last path component, query included). A response is correct when that file is JSON
# with a non-empty "sentence" that differs from the one sent.
#
# cases (all unless --case is given; --case may be repeated):
#   single        one request
#   sequential    100 gtlsclient runs in a row, one request (and connection) each
#   concurrent    one connection, 50 concurrent requests (-n 50)
#   loss          20 concurrent requests on one connection with 5% and then 20% packet loss both
#                 ways (-r/-t); three connections each
#   key_update    50 requests held back until the client has initiated a key update
#                 (--key-update=100ms --delay-stream=300ms); gtlsclient must log both
#                 "Initiate key update" and "key update confirmed" (the server answered in the
#                 new key phase)
#   resumption    run 1 stores the TLS session and transport parameters (--session-file,
#                 --tp-file); run 2 resumes with 0-RTT disabled and run 3 resumes sending the
#                 request as 0-RTT early data. A resumed handshake must be one whose server
#                 Handshake flight is at least 200 bytes shorter than the full one (no
#                 Certificate/CertificateVerify); run 3 must send the request in 0-RTT packets,
#                 gtlsclient must not report "Early data was rejected by server", and the response
#                 must arrive before the client sends the request again in 1-RTT (if it does).
# Prints "PASS name" / "FAIL name: why" per check and exits 1 if any failed (77, skipped, when
# gtlsclient is not installed).
#
# options:
#   --triplex PATH         the triplex command (serves `eliza`)
#   --gtlsclient PATH      the ngtcp2 example client (default: gtlsclient on PATH)
#   --case NAME            run only this case (repeatable)
#   --start-timeout SECS   wait this long for the server's `listening on` line (default 20)
#   --call-timeout SECS    give each gtlsclient run this long (default 30)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=gtlsclient_eliza
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

triplex=""
gtlsclient=""
cases=()
start_timeout=20
call_timeout=30
stop_grace=5
all_cases=(single sequential concurrent loss key_update resumption)

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --triplex) triplex=${2:?--triplex needs a value}; shift 2 ;;
    --gtlsclient) gtlsclient=${2:?--gtlsclient needs a value}; shift 2 ;;
    --case) cases+=("${2:?--case needs a value}"); shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --call-timeout) call_timeout=${2:?--call-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ -n "$triplex" ] || { say "need --triplex PATH"; usage; }
[ -x "$triplex" ] || die "$triplex is not executable"
if [ -z "$gtlsclient" ]; then
  gtlsclient=$(command -v gtlsclient) || {
    say "SKIP: gtlsclient not found (Debian package ngtcp2-client)"
    exit 77
  }
fi
[ -x "$gtlsclient" ] || die "$gtlsclient is not executable"
[ ${#cases[@]} -gt 0 ] || cases=("${all_cases[@]}")
for c in "${cases[@]}"; do
  case " ${all_cases[*]} " in
    *" $c "*) ;;
    *) die "no such case: $c (cases: ${all_cases[*]})" ;;
  esac
done
python=$(command -v python3) || die "python3 is needed to judge the responses"


# query N: the query string of request N (the message is {"sentence":"I feel happy N"}).
query() {
  printf 'connect=v1&encoding=json&message=%%7B%%22sentence%%22%%3A%%22I%%20feel%%20happy%%20%s%%22%%7D' "$1"
}

# judge DIR FIRST LAST: every request FIRST..LAST has a correct response file in DIR; prints why
# not, if not.
judge() {
  "$python" - "$@" <<'EOF'
import json
import os
import sys
import urllib.parse

directory, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
problems = []
for n in range(first, last + 1):
    sent = "I feel happy %d" % n
    message = urllib.parse.quote(json.dumps({"sentence": sent}, separators=(",", ":")), safe="")
    path = os.path.join(directory, "Say?connect=v1&encoding=json&message=" + message)
    try:
        body = open(path, "rb").read()
    except OSError:
        problems.append("request %d: no response file" % n)
        continue
    try:
        reply = json.loads(body)
    except ValueError:
        problems.append("request %d: not JSON: %r" % (n, body[:120]))
        continue
    sentence = reply.get("sentence") if isinstance(reply, dict) else None
    if not isinstance(sentence, str) or not sentence or sentence == sent:
        problems.append("request %d: want an ELIZA reply, got %r" % (n, body[:120]))
total = last - first + 1
if problems:
    sys.exit("%d of %d responses wrong; %s" % (len(problems), total, "; ".join(problems[:5])))
EOF
}

# fetch NAME FIRST LAST [GTLSCLIENT_OPTIONS...]: one gtlsclient run (one connection) requesting
# FIRST..LAST concurrently, downloading into $tmp/NAME.d, logging to $tmp/NAME.log (appended).
# Returns gtlsclient's status (124 on timeout).
fetch() {
  local name=$1 first=$2 last=$3 n urls=()
  shift 3
  for ((n = first; n <= last; n++)); do
    urls+=("https://127.0.0.1:$server_port/connectrpc.eliza.v1.ElizaService/Say?$(query "$n")")
  done
  mkdir -p "$tmp/$name.d"
  timeout --kill-after=5 "$call_timeout" "$gtlsclient" --no-quic-dump --no-http-dump \
    --exit-on-all-streams-close --download "$tmp/$name.d" -n $((last - first + 1)) "$@" \
    127.0.0.1 "$server_port" "${urls[@]}" >>"$tmp/$name.log" 2>&1
}

# excerpt NAME: the last lines of gtlsclient's log that tell what went wrong, on one line.
excerpt() {
  grep -E 'rejected|error|Error|closed|timeout|Timeout|handshake|CONNECTION_CLOSE' \
    "$tmp/$1.log" 2>/dev/null | grep -vE ' (ACK|PADDING)\(' | tail -n 6 | tr '\n' '|' | cut -c1-600
}

# drops NAME: " (N packets dropped)" when gtlsclient simulated packet loss in NAME's run.
drops() {
  local n
  n=$(grep -c 'Simulated .* packet loss' "$tmp/$1.log" 2>/dev/null || true)
  [ "${n:-0}" -eq 0 ] || echo " ($n packets dropped)"
}

# check NAME FIRST LAST [GTLSCLIENT_OPTIONS...]: fetch, then judge the run and its responses.
check() {
  local name=$1 first=$2 last=$3 status=0 why
  fetch "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    fail "$name" "gtlsclient exited with status $status ($([ "$status" -eq 124 ] &&
      echo "timed out after ${call_timeout}s; ")$(judge "$tmp/$name.d" "$first" "$last" 2>&1 |
      cut -c1-200)); log: $(excerpt "$name")"
    return 1
  elif why=$(judge "$tmp/$name.d" "$first" "$last" 2>&1); then
    pass "$name$(drops "$name")"
  else
    fail "$name" "$why$(drops "$name"); log: $(excerpt "$name")"
    return 1
  fi
}

# handshake_bytes LOG: how many bytes of Handshake-level CRYPTO data the server sent.
handshake_bytes() {
  sed -nE 's/.* frm rx [0-9]+ Handshake CRYPTO\(0x06\) offset=([0-9]+) len=([0-9]+).*/\1 \2/p' \
    "$1" | awk '{ if ($1 + $2 > max) max = $1 + $2 } END { print max + 0 }'
}

# answered_early LOG: the response to request stream 0 arrived before the client sent that request
# in 1-RTT, if it did at all (it may, after a probe timeout, when the server acknowledges the
# 0-RTT packet late; duplicate stream data is harmless).
answered_early() {
  awk '/ frm rx [0-9]+ 1RTT STREAM\(0x0[89a-f]\) id=0x0 / && !rx { rx = NR }
       / frm tx [0-9]+ 1RTT STREAM\(0x0[89a-f]\) id=0x0 / && !tx { tx = NR }
       END { exit !(rx && (!tx || rx < tx)) }' "$1"
}

case_single() {
  check single 1 1 || true
}

case_sequential() {
  local n status bad=0 first_problem="" started=$SECONDS why
  for ((n = 1; n <= 100; n++)); do
    status=0
    fetch sequential "$n" "$n" -q || status=$?
    if [ "$status" -ne 0 ]; then
      bad=$((bad + 1))
      [ -n "$first_problem" ] || first_problem="run $n: gtlsclient exited with status $status"
    fi
  done
  if [ "$bad" -ne 0 ]; then
    fail sequential "$bad of 100 runs failed; $first_problem; log: $(excerpt sequential)"
  elif why=$(judge "$tmp/sequential.d" 1 100 2>&1); then
    pass "sequential (100 runs in $((SECONDS - started))s)"
  else
    fail sequential "$why"
  fi
}

case_concurrent() {
  check concurrent 1 50 || true
}

case_loss() {
  local run
  for run in 1 2 3; do
    check "loss_5pct_run$run" 1 20 -r 0.05 -t 0.05 || true
  done
  for run in 1 2 3; do
    check "loss_20pct_run$run" 1 20 -r 0.2 -t 0.2 || true
  done
}

case_key_update() {
  check key_update 1 50 --key-update=100ms --delay-stream=300ms || return 0
  if ! grep -q 'Initiate key update' "$tmp/key_update.log"; then
    fail key_update_initiated "gtlsclient did not log 'Initiate key update'"
  elif ! grep -q 'key update confirmed' "$tmp/key_update.log"; then
    fail key_update_confirmed "the key update was not confirmed (no packet from the server in the new key phase acknowledged it); log: $(excerpt key_update)"
  else
    pass key_update_confirmed
  fi
}

case_resumption() {
  local session="$tmp/resumption.session" tp="$tmp/resumption.tp" full resumed early
  check resumption_full 1 1 --session-file="$session" --tp-file="$tp" || return 0
  if [ ! -s "$session" ] || [ ! -s "$tp" ]; then
    fail resumption_ticket "no session ticket or transport parameters were stored (no NewSessionTicket from the server?)"
    return 0
  fi
  full=$(handshake_bytes "$tmp/resumption_full.log")

  # Resumption without early data.
  check resumption_no_early_data 2 2 --session-file="$session" --tp-file="$tp" \
    --disable-early-data || true
  resumed=$(handshake_bytes "$tmp/resumption_no_early_data.log")
  if [ "$resumed" -gt 0 ] && [ $((resumed + 200)) -le "$full" ]; then
    pass "resumption_resumed (server Handshake flight $resumed bytes, full handshake $full)"
  else
    fail resumption_resumed "server Handshake flight $resumed bytes, full handshake $full: the session was not resumed"
  fi

  # Resumption with the request as 0-RTT early data.
  check resumption_early_data 3 3 --session-file="$session" --tp-file="$tp" || return 0
  early="$tmp/resumption_early_data.log"
  resumed=$(handshake_bytes "$early")
  if ! grep -qE 'frm tx [0-9]+ 0RTT STREAM\(0x0b\) id=0x0 ' "$early"; then
    fail resumption_0rtt_sent "gtlsclient did not send the request as 0-RTT data (ticket without early data?)"
  elif grep -q 'Early data was rejected by server' "$early"; then
    fail resumption_0rtt_accepted "gtlsclient: Early data was rejected by server (server Handshake flight $resumed bytes, full $full)"
  elif ! answered_early "$early"; then
    fail resumption_0rtt_accepted "the request was sent again in 1-RTT before any response to it arrived"
  elif [ "$resumed" -eq 0 ] || [ $((resumed + 200)) -gt "$full" ]; then
    fail resumption_0rtt_accepted "early data not rejected, but server Handshake flight $resumed bytes vs $full full"
  else
    pass "resumption_0rtt_accepted (request sent as 0-RTT; server Handshake flight $resumed bytes)"
  fi
}

server_start "$start_timeout" "$triplex" eliza --listen 127.0.0.1:0 --self-signed
for c in "${cases[@]}"; do
  "case_$c"
  server_alive || { fail "$c" "the server is gone"; break; }
done
if [ -n "$server_pid" ]; then
  server_stop "$stop_grace"
  if [ -n "$server_stop_problem" ]; then
    show_server_output
    fail stop "$server_stop_problem"
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
