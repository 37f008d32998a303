# shellcheck shell=bash
# Server lifecycle for the interop scripts (sourced, not run): start a server under test, learn
# its port from its `listening on HOST:PORT` line, stop it with SIGTERM then SIGKILL. Only ever
# signals the one process it started.
#
# The sourcing script sets `log_prefix` first; this file creates `tmp` (a private directory,
# removed on exit) and installs the EXIT/INT/TERM traps.

say() { echo "${log_prefix:-interop}: $*" >&2; }

# Checks tally: `pass NAME` / `fail NAME WHY` print a line each and count.
passed=0
failed=0
pass() {
  echo "PASS $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL $1: $2"
  failed=$((failed + 1))
}
die() {
  say "$*"
  exit 1
}

tmp=$(mktemp -d)
server_pid=""
server_port=""
server_stop_problem=""

server_cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    { wait "$server_pid"; } 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap server_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_server_output() {
  local stream
  for stream in stdout stderr; do
    if [ -s "$tmp/server.$stream" ]; then
      say "server $stream (last 40 lines):"
      tail -n 40 "$tmp/server.$stream" | sed 's/^/  | /' >&2
    fi
  done
}

# stop_pids PID...: SIGTERM to each process this script started, SIGKILL after 5 s, reaped.
stop_pids() {
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    { wait "$pid"; } 2>/dev/null || true
  done
}

# finish [LABEL:NAME ...]: on failure shows the server's output and the last lines of each
# $tmp/NAME.err (titled LABEL); prints the tally; returns 1 if any check failed.
finish() {
  if [ "$failed" -ne 0 ]; then
    show_server_output
    local entry
    for entry in "$@"; do
      if [ -s "$tmp/${entry#*:}.err" ]; then
        say "${entry%%:*} stderr (last 20 lines):"
        tail -n 20 "$tmp/${entry#*:}.err" | sed 's/^/  | /' >&2
      fi
    done
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# make_cert: writes a throwaway self-signed certificate for localhost and 127.0.0.1 to
# $tmp/cert.pem and its key to $tmp/key.pem.
make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.log" ||
    die "openssl could not make a certificate: $(cat "$tmp/openssl.log")"
}

# server_start TIMEOUT_SECS CMD [ARGS...]: starts the server and sets server_pid and server_port,
# or dies when it exits or stays silent for TIMEOUT_SECS.
server_start() {
  local timeout=$1 line status ticks=0
  shift
  say "starting: $*"
  : >"$tmp/server.stdout"
  "$@" >"$tmp/server.stdout" 2>"$tmp/server.stderr" </dev/null &
  server_pid=$!
  while :; do
    line=$(grep -s -m1 -oE 'listening on [^ ]+:[0-9]+' "$tmp/server.stdout" || true)
    if [ -n "$line" ]; then
      server_port=${line##*:}
      say "server pid $server_pid listening on port $server_port"
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      status=0
      { wait "$server_pid"; } 2>/dev/null || status=$?
      server_pid=""
      show_server_output
      die "FAIL: server exited (status $status) before printing 'listening on HOST:PORT'"
    fi
    if [ "$ticks" -ge $((timeout * 10)) ]; then
      show_server_output
      die "FAIL: server printed no 'listening on HOST:PORT' line within ${timeout}s"
    fi
    sleep 0.1
    ticks=$((ticks + 1))
  done
}

# server_alive: true while the server runs; once it has exited, reports how and returns 1.
server_alive() {
  local status=0
  kill -0 "$server_pid" 2>/dev/null && return 0
  { wait "$server_pid"; } 2>/dev/null || status=$?
  server_pid=""
  show_server_output
  say "FAIL: server exited (status $status) while it was being tested"
  return 1
}

# server_stop GRACE_SECS: SIGTERM, then SIGKILL once the grace period is over. Leaves a
# description in server_stop_problem unless the server exited 0 in time.
server_stop() {
  local grace=$1 status=0 ticks=0
  server_stop_problem=""
  kill -TERM "$server_pid" 2>/dev/null || true
  while kill -0 "$server_pid" 2>/dev/null && [ "$ticks" -lt $((grace * 10)) ]; do
    sleep 0.1
    ticks=$((ticks + 1))
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    server_stop_problem="server was still running ${grace}s after SIGTERM and was killed"
  fi
  { wait "$server_pid"; } 2>/dev/null || status=$?
  server_pid=""
  if [ -z "$server_stop_problem" ] && [ "$status" -ne 0 ]; then
    server_stop_problem="server exited with status $status after SIGTERM"
  fi
}
