#!/usr/bin/env bash
# Runs triplex-interop-client against a server it starts itself.
#
# usage: run_interop_client.sh (--plaintext|--tls|--self-signed) --client PATH [options]
#          [CLIENT ARGS...] -- SERVER [ARGS...]
#
# The server is started as `SERVER ARGS... --listen 127.0.0.1:0` plus `--plaintext`, `--cert FILE
# --key FILE` for a throwaway certificate (CN=localhost, SANs localhost and 127.0.0.1) or
# `--self-signed`. Once it prints `listening on HOST:PORT` the client runs as
# `CLIENT --server_host 127.0.0.1 --server_port PORT CLIENT ARGS...`, with `--use_tls --ca CERT`
# (trusting only that certificate) or `--use_tls -k` for a self-signed server. The server is then
# stopped with SIGTERM (SIGKILL after a grace period). Exits with the client's status, or 1 when
# the server could not be started, died during the run, or (with --check-stop) did not stop
# cleanly, or when --expect-pass is not met.
#
# options:
#   --client PATH          triplex-interop-client executable (required)
#   --expect-pass N        also fail unless at least N cases passed
#   --require PATH         exit 77 (skipped) unless PATH exists (e.g. an npm peer)
#   --start-timeout SECS   wait this long for the `listening on` line (default 20)
#   --client-timeout SECS  kill the client after this long (default 90)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
#   --check-stop           also fail unless the server exits 0 within the grace period
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=run_interop_client
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

mode=""
client=""
expect_pass=0
required=()
start_timeout=20
client_timeout=90
stop_grace=5
check_stop=0

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --plaintext | --tls | --self-signed) mode=${1#--}; shift ;;
    --client) client=${2:?--client needs a value}; shift 2 ;;
    --expect-pass) expect_pass=${2:?--expect-pass needs a value}; shift 2 ;;
    --require) required+=("${2:?--require needs a value}"); shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --client-timeout) client_timeout=${2:?--client-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    --check-stop) check_stop=1; shift ;;
    -h | --help) usage ;;
    *) break ;;
  esac
done
[ -n "$mode" ] || { say "need --plaintext, --tls or --self-signed"; usage; }
[ -n "$client" ] || { say "need --client PATH"; usage; }
[ -x "$client" ] || die "client $client is not executable"
for path in "${required[@]}"; do
  [ -e "$path" ] || { say "SKIP: $path is missing (scripts/setup installs it)"; exit 77; }
done
client_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  client_args+=("$1")
  shift
done
[ $# -gt 1 ] || { say "no server command after --"; usage; }
shift

server_args=(--listen 127.0.0.1:0)
case "$mode" in
  tls)
    make_cert
    server_args+=(--cert "$tmp/cert.pem" --key "$tmp/key.pem")
    client_args+=(--use_tls --ca "$tmp/cert.pem")
    ;;
  self-signed)
    server_args+=(--self-signed)
    client_args+=(--use_tls -k)
    ;;
  *) server_args+=(--plaintext) ;;
esac

server_start "$start_timeout" "$@" "${server_args[@]}"
say "running: $client ${client_args[*]} (${mode})"
client_status=0
timeout --kill-after=5 "$client_timeout" "$client" --server_host 127.0.0.1 \
  --server_port "$server_port" "${client_args[@]}" </dev/null >"$tmp/client.out" ||
  client_status=$?
cat "$tmp/client.out"
if [ "$client_status" -eq 124 ] || [ "$client_status" -eq 137 ]; then
  say "FAIL: client did not finish within ${client_timeout}s"
fi

passed=$(grep -c '^PASS ' "$tmp/client.out" || true)
if [ "$client_status" -eq 0 ] && [ "$passed" -lt "$expect_pass" ]; then
  say "FAIL: $passed cases passed, want at least $expect_pass"
  client_status=1
fi

# A server that died under the client explains most failures.
if ! server_alive; then
  [ "$client_status" -ne 0 ] || client_status=1
  exit "$client_status"
fi

server_stop "$stop_grace"
if [ "$client_status" -ne 0 ] || { [ -n "$server_stop_problem" ] && [ "$check_stop" -eq 1 ]; }; then
  show_server_output
fi
if [ -n "$server_stop_problem" ]; then
  if [ "$check_stop" -eq 1 ]; then
    say "FAIL: $server_stop_problem"
    [ "$client_status" -ne 0 ] || client_status=1
  else
    say "warning: $server_stop_problem"
  fi
fi
exit "$client_status"
