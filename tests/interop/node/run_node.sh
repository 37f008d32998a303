#!/usr/bin/env bash
# Runs a Node interop client against a server it starts itself.
#
# usage: run_node.sh (--plaintext|--tls) [options] CLIENT.mjs [CLIENT ARGS...] -- SERVER [ARGS...]
#
# The server is started as `SERVER ARGS... --listen 127.0.0.1:0` plus `--plaintext`, or with
# `--cert FILE --key FILE` for a throwaway self-signed certificate (CN=localhost, SANs localhost
# and 127.0.0.1). Once it prints `listening on HOST:PORT` the client runs as
# `node CLIENT.mjs CLIENT ARGS... --port PORT` (plus `--tls --ca CERT` for TLS, so the client
# trusts exactly that certificate). The server is then stopped with SIGTERM (SIGKILL after a
# grace period). Exits with the client's status, or 1 when the server could not be started,
# died during the run, or (with --check-stop) did not stop cleanly.
#
# options:
#   --node PATH            node executable (default: node on PATH)
#   --start-timeout SECS   wait this long for the `listening on` line (default 20)
#   --client-timeout SECS  kill the client after this long (default 75)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
#   --check-stop           also fail unless the server exits 0 within the grace period
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=run_node
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

mode=""
node=""
start_timeout=20
client_timeout=75
stop_grace=5
check_stop=0

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --plaintext | --tls) mode=${1#--}; shift ;;
    --node) node=${2:?--node needs a value}; shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --client-timeout) client_timeout=${2:?--client-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    --check-stop) check_stop=1; shift ;;
    -h | --help) usage ;;
    -*) say "unknown argument: $1"; usage ;;
    *) break ;;
  esac
done
[ -n "$mode" ] || { say "need --plaintext or --tls"; usage; }
[ $# -gt 0 ] || { say "no client script"; usage; }
client_cmd=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  client_cmd+=("$1")
  shift
done
[ $# -gt 1 ] || { say "no server command after --"; usage; }
shift
[ -n "$node" ] || node=$(command -v node) || die "node is not on PATH (use --node)"
[ -f "${client_cmd[0]}" ] || die "client script ${client_cmd[0]} not found"

server_args=(--listen 127.0.0.1:0)
client_args=()
if [ "$mode" = tls ]; then
  make_cert
  server_args+=(--cert "$tmp/cert.pem" --key "$tmp/key.pem")
  client_args+=(--tls --ca "$tmp/cert.pem")
else
  server_args+=(--plaintext)
fi

server_start "$start_timeout" "$@" "${server_args[@]}"
say "running: node ${client_cmd[*]} (${mode})"
client_status=0
timeout --kill-after=5 "$client_timeout" "$node" "${client_cmd[@]}" "${client_args[@]}" \
  --port "$server_port" </dev/null || client_status=$?
if [ "$client_status" -eq 124 ] || [ "$client_status" -eq 137 ]; then
  say "FAIL: client did not finish within ${client_timeout}s"
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
