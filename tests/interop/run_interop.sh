#!/usr/bin/env bash
# Runs a gRPC interop client against a server it starts itself.
#
# usage: run_interop.sh --client grpcpp|grpcio (--plaintext|--tls) [options] -- SERVER [ARGS...]
#
# The server is started as `SERVER ARGS... --listen 127.0.0.1:0` plus `--plaintext`, or with
# `--cert FILE --key FILE` for a throwaway self-signed certificate (CN=localhost, SANs localhost
# and 127.0.0.1) that the client then trusts as its only root. Once the server prints
# `listening on HOST:PORT` the client runs against 127.0.0.1:PORT; the server is then stopped
# with SIGTERM (SIGKILL after a grace period). Exits with the client's status, or 1 when the
# server could not be started or (with --check-stop) did not stop cleanly.
#
# options:
#   --client-bin PATH      grpcpp client executable (default: grpcpp_interop_client on PATH)
#   --python PATH          interpreter for the grpcio client (default /usr/bin/python3)
#   --test-case NAME       one case, or all (default all)
#   --host-override NAME   passed to the client as --server_host_override
#   --start-timeout SECS   wait this long for the `listening on` line (default 20)
#   --client-timeout SECS  kill the client after this long (default 45)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
#   --check-stop           also fail unless the server exits 0 within the grace period
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=run_interop
# shellcheck source=server_lib.sh
source "$here/server_lib.sh"

client=""
mode=""
client_bin=""
python=/usr/bin/python3
test_case=all
host_override=""
start_timeout=20
client_timeout=45
stop_grace=5
check_stop=0

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --client) client=${2:?--client needs a value}; shift 2 ;;
    --plaintext | --tls) mode=${1#--}; shift ;;
    --client-bin) client_bin=${2:?--client-bin needs a value}; shift 2 ;;
    --python) python=${2:?--python needs a value}; shift 2 ;;
    --test-case) test_case=${2:?--test-case needs a value}; shift 2 ;;
    --host-override) host_override=${2:?--host-override needs a value}; shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --client-timeout) client_timeout=${2:?--client-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    --check-stop) check_stop=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ $# -gt 0 ] || { say "no server command after --"; usage; }
[ -n "$mode" ] || { say "need --plaintext or --tls"; usage; }
case "$client" in
  grpcpp)
    [ -n "$client_bin" ] || client_bin=$(command -v grpcpp_interop_client) ||
      die "--client grpcpp needs --client-bin (grpcpp_interop_client is not on PATH)"
    [ -x "$client_bin" ] || die "client $client_bin is not executable"
    client_cmd=("$client_bin")
    ;;
  grpcio) client_cmd=("$python" "$here/python/grpcio_client.py") ;;
  *) say "--client must be grpcpp or grpcio"; usage ;;
esac

server_args=(--listen 127.0.0.1:0)
client_args=(--server_host 127.0.0.1 --test_case "$test_case")
if [ "$mode" = tls ]; then
  make_cert
  server_args+=(--cert "$tmp/cert.pem" --key "$tmp/key.pem")
  client_args+=(--use_tls --ca_file "$tmp/cert.pem")
else
  server_args+=(--plaintext)
fi
[ -z "$host_override" ] || client_args+=(--server_host_override "$host_override")

server_start "$start_timeout" "$@" "${server_args[@]}"
say "running the $client client ($mode)"
client_status=0
timeout --kill-after=5 "$client_timeout" "${client_cmd[@]}" "${client_args[@]}" \
  --server_port "$server_port" || client_status=$?
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
