#!/usr/bin/env bash
# `triplex curl --http3` against an HTTP/3 server we did not write: Caddy (quic-go) terminating
# TLS and HTTP/3 on 127.0.0.1 and reverse-proxying over h2c to connect-node's grpc.testing
# TestService (connect_node/test_server.mjs), so neither end of the call is ours.
#
# usage: caddy_h3.sh --triplex PATH [options]
#
# connect-node starts on port 0. Caddy cannot take port 0, so a port free for both TCP and UDP
# is picked first (and picked again if Caddy still loses it to a race). Caddy gets a throwaway
# openssl certificate (triplex curl -k), no admin endpoint, no automatic HTTPS, and a private
# HOME/XDG dirs under the temp dir. Calls, each `triplex curl --http3 -k -v --schema`:
#   connect_unary            UnaryCall {response_size:4, payload}     exactly one 4-byte payload
#   connect_empty            EmptyCall {}                             exactly {}
#   connect_server_streaming StreamingOutputCall sizes 1, 2, 3        exactly those three payloads
#   connect_error            UnaryCall response_status {3, "bad ✓"}   exit 24 (code * 8), stderr
#                                                                     {"code":"invalid_argument",
#                                                                      "message":"bad ✓"}, no output
#   grpcweb_unary, grpcweb_server_streaming, grpcweb_error: the same over gRPC-Web
# Every call must report `* protocol P over HTTP/3` on stderr (-v), and Caddy's access log must
# show the request arriving as HTTP/3.0. The request bodies must arrive too: quic-go before v0.47
# (Caddy before 2.9) takes an HTTP/3 request without content-length for an empty one, and Caddy
# then forwards no body. gRPC (--protocol grpc) is tried too, but only reported as a NOTE line:
# that quic-go also sends no HTTP/3 trailers, so grpc-status may never arrive.
# Prints "PASS name" / "FAIL name: why" per call and exits 1 if any failed (77, skipped, when
# caddy, node or the npm peers are missing).
#
# options:
#   --triplex PATH         the triplex command (`triplex curl`)
#   --caddy PATH           caddy executable (default: caddy on PATH)
#   --node PATH            node executable (default: node on PATH)
#   --peers DIR            npm peers' node_modules (default: the one tests/peers installs)
#   --protoc PATH          protoc executable (default: protoc on PATH)
#   --proto-root DIR       holds grpc/testing/test.proto (default /usr/share/grpc-proto)
#   --start-timeout SECS   wait this long for each server to come up (default 20)
#   --call-timeout SECS    give each triplex curl call this long (default 10)
#   --stop-grace SECS      wait this long after SIGTERM before SIGKILL (default 5)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=caddy_h3
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

triplex=""
caddy=""
node=""
peers="$here/../../peers/node_modules"
protoc=""
proto_root=/usr/share/grpc-proto
start_timeout=20
call_timeout=10
stop_grace=5

usage() {
  # The header comment is the usage text.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --triplex) triplex=${2:?--triplex needs a value}; shift 2 ;;
    --caddy) caddy=${2:?--caddy needs a value}; shift 2 ;;
    --node) node=${2:?--node needs a value}; shift 2 ;;
    --peers) peers=${2:?--peers needs a value}; shift 2 ;;
    --protoc) protoc=${2:?--protoc needs a value}; shift 2 ;;
    --proto-root) proto_root=${2:?--proto-root needs a value}; shift 2 ;;
    --start-timeout) start_timeout=${2:?--start-timeout needs a value}; shift 2 ;;
    --call-timeout) call_timeout=${2:?--call-timeout needs a value}; shift 2 ;;
    --stop-grace) stop_grace=${2:?--stop-grace needs a value}; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ -n "$triplex" ] || { say "need --triplex PATH"; usage; }
[ -x "$triplex" ] || die "$triplex is not executable"
[ -n "$caddy" ] || caddy=$(command -v caddy) || true
if [ ! -x "$caddy" ]; then
  say "SKIP: caddy not found (scripts/setup installs the Debian package)"
  exit 77
fi
if [ -z "$node" ] && ! node=$(command -v node || command -v nodejs); then
  say "SKIP: node not found"
  exit 77
fi
if [ ! -f "$peers/@connectrpc/connect-node/package.json" ]; then
  say "SKIP: connect-node not found under $peers (scripts/setup installs it under tests/peers)"
  exit 77
fi
[ -n "$protoc" ] || protoc=$(command -v protoc) || die "protoc is not on PATH (use --protoc)"
[ -f "$proto_root/grpc/testing/test.proto" ] || die "no grpc/testing under $proto_root"
python=$(command -v python3) || die "python3 is needed to judge the responses"

# triplex curl takes the interop schema as a descriptor set (test.proto has imports).
"$protoc" -I"$proto_root" --include_imports -o "$tmp/testing.binpb" grpc/testing/test.proto ||
  die "protoc could not build the grpc.testing descriptor set"

# --- Caddy's lifecycle (connect-node is server_lib's one server) ------------------------------
caddy_pid=""
caddy_port=""

caddy_cleanup() {
  if [ -n "$caddy_pid" ] && kill -0 "$caddy_pid" 2>/dev/null; then
    kill -KILL "$caddy_pid" 2>/dev/null || true
    { wait "$caddy_pid"; } 2>/dev/null || true
  fi
  caddy_pid=""
}
# Caddy goes first: server_cleanup removes the temp dir it writes to.
trap 'caddy_cleanup; server_cleanup' EXIT

show_caddy_log() {
  if [ -s "$tmp/caddy.log" ]; then
    say "caddy log (last 30 lines):"
    tail -n 30 "$tmp/caddy.log" | sed 's/^/  | /' >&2
  fi
}

# free_port: prints a 127.0.0.1 port that is free for TCP and for UDP (Caddy serves HTTP/3 on
# the UDP port of the TCP port's number and cannot be given port 0).
free_port() {
  "$python" - <<'EOF'
import socket
import sys

for _ in range(100):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        udp.close()
        tcp.close()
    print(port)
    sys.exit(0)
sys.exit("no port free for both TCP and UDP")
EOF
}

# caddy_try_start BACKEND_PORT: one attempt on a freshly picked port. Returns 0 once Caddy
# serves, 2 when it lost the port to someone else (worth another try), and dies otherwise.
caddy_try_start() {
  local backend=$1 ticks=0 status
  caddy_port=$(free_port) || die "could not find a free port"
  # tls with files: no internal CA to install, nothing fetched. auto_https off: no redirect
  # listener on port 80, no certificate management. flush_interval -1: streamed responses go
  # out message by message.
  cat >"$tmp/Caddyfile" <<EOF
{
	admin off
	auto_https off
	servers {
		protocols h1 h2 h3
	}
}
https://127.0.0.1:$caddy_port {
	bind 127.0.0.1
	tls $tmp/cert.pem $tmp/key.pem
	log {
		output file $tmp/access.log
		format json
	}
	reverse_proxy h2c://127.0.0.1:$backend {
		flush_interval -1
	}
}
EOF
  : >"$tmp/caddy.log"
  say "starting caddy on 127.0.0.1:$caddy_port (TCP and UDP)"
  # Caddy keeps its data and autosaved config under HOME/XDG: keep them in the temp dir.
  HOME="$tmp/home" XDG_DATA_HOME="$tmp/home/data" XDG_CONFIG_HOME="$tmp/home/config" \
    XDG_CACHE_HOME="$tmp/home/cache" \
    "$caddy" run --config "$tmp/Caddyfile" --adapter caddyfile \
    >>"$tmp/caddy.log" 2>&1 </dev/null &
  caddy_pid=$!
  while ! grep -q '"serving initial configuration"' "$tmp/caddy.log"; do
    if ! kill -0 "$caddy_pid" 2>/dev/null; then
      status=0
      { wait "$caddy_pid"; } 2>/dev/null || status=$?
      caddy_pid=""
      if grep -q 'address already in use' "$tmp/caddy.log"; then
        say "port $caddy_port was taken before caddy bound it; picking another"
        return 2
      fi
      show_caddy_log
      die "FAIL: caddy exited (status $status) before serving"
    fi
    if [ "$ticks" -ge $((start_timeout * 10)) ]; then
      show_caddy_log
      die "FAIL: caddy did not say 'serving initial configuration' within ${start_timeout}s"
    fi
    sleep 0.1
    ticks=$((ticks + 1))
  done
  grep -q '"enabling HTTP/3 listener"' "$tmp/caddy.log" || {
    show_caddy_log
    die "FAIL: caddy did not enable its HTTP/3 listener"
  }
  say "caddy pid $caddy_pid serving on port $caddy_port"
}

caddy_start() {
  local status
  for _ in 1 2 3; do
    status=0
    caddy_try_start "$1" || status=$?
    [ "$status" -eq 0 ] && return 0
  done
  die "FAIL: caddy could not bind a free port in 3 attempts"
}

# caddy_stop: SIGTERM, SIGKILL after the grace period.
caddy_stop() {
  local ticks=0
  kill -TERM "$caddy_pid" 2>/dev/null || true
  while kill -0 "$caddy_pid" 2>/dev/null && [ "$ticks" -lt $((stop_grace * 10)) ]; do
    sleep 0.1
    ticks=$((ticks + 1))
  done
  if kill -0 "$caddy_pid" 2>/dev/null; then
    say "caddy still ran ${stop_grace}s after SIGTERM; killing it"
    kill -KILL "$caddy_pid" 2>/dev/null || true
  fi
  { wait "$caddy_pid"; } 2>/dev/null || true
  caddy_pid=""
}

# --- judging ----------------------------------------------------------------------------------

# judge PROTOCOL STATUS WANT OUT ERR ACCESS_LOG: compares one triplex curl call with WANT, a JSON
# object: {"messages": [...]} for a success (the exact messages, in order), or {"exit": N,
# "error": {...}} for an RPC error (the exit status and the error JSON on stderr). The call
# must have been made over HTTP/3 by triplex's account (-v) and by Caddy's (ACCESS_LOG holds
# the access log lines this call added). Prints why it fails, if it does.
judge() {
  "$python" - "$@" <<'EOF'
import json
import sys

protocol, status, want, out_path, err_path, access_path = sys.argv[1:7]
status, want = int(status), json.loads(want)
out = open(out_path, encoding="utf-8").read()
err = open(err_path, encoding="utf-8").read()
access = open(access_path, encoding="utf-8").read()


def json_values(text):
    """Every JSON value in text, in order; lines of prose (the -v lines) are skipped."""
    decoder, values, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return values
        try:
            value, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl + 1
            continue
        values.append(value)


problems = []
if f"* protocol {protocol} over HTTP/3\n" not in err:
    problems.append("triplex curl -v does not report HTTP/3: %r" %
                    [l for l in err.splitlines() if l.startswith("* protocol")])
protos = [json.loads(l).get("request", {}).get("proto") for l in access.splitlines() if l]
if protos != ["HTTP/3.0"]:
    problems.append("caddy's access log shows requests %r, want one HTTP/3.0" % protos)
messages = json_values(out)
if "exit" in want:
    errors = [v for v in json_values(err) if isinstance(v, dict) and "code" in v]
    if status != want["exit"]:
        problems.append("exit status %d, want %d" % (status, want["exit"]))
    if errors != [want["error"]]:
        problems.append("error %s, want %s" % (json.dumps(errors), json.dumps(want["error"])))
    if messages:
        problems.append("want no response messages; got %s" % json.dumps(messages))
else:
    if status != 0:
        problems.append("exit status %d: %s" % (status, " ".join(err.split())[-300:]))
    if messages != want["messages"]:
        problems.append("messages %s, want %s" % (json.dumps(messages)[:300],
                                                  json.dumps(want["messages"])))
if problems:
    sys.exit("; ".join(problems))
EOF
}

# run_call NAME PROTOCOL METHOD DATA: one `triplex curl --http3` call through Caddy; leaves
# $tmp/NAME.{out,err,access}, and the exit status in call_status.
call_status=0
run_call() {
  local name=$1 protocol=$2 method=$3 data=$4 seen
  seen=$(wc -l 2>/dev/null <"$tmp/access.log" || echo 0)
  call_status=0
  timeout --kill-after=2 "$call_timeout" "$triplex" curl --http3 -k -v \
    --schema "$tmp/testing.binpb" --protocol "$protocol" -d "$data" \
    "https://127.0.0.1:$caddy_port/grpc.testing.TestService/$method" \
    </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" || call_status=$?
  # Caddy logs a request once its handler returns, which may be just after the client is done.
  for _ in $(seq 30); do
    [ "$(wc -l 2>/dev/null <"$tmp/access.log" || echo 0)" -gt "$seen" ] && break
    sleep 0.1
  done
  tail -n +$((seen + 1)) "$tmp/access.log" >"$tmp/$name.access" 2>/dev/null || true
}

# call NAME PROTOCOL METHOD DATA WANT: a call that must give WANT (see judge).
call() {
  local name=$1 protocol=$2 why
  run_call "$name" "$protocol" "$3" "$4"
  if [ "$call_status" -eq 124 ] || [ "$call_status" -eq 137 ]; then
    fail "$name" "triplex curl did not finish within ${call_timeout}s"
  elif why=$(judge "$protocol" "$call_status" "$5" "$tmp/$name.out" "$tmp/$name.err" \
    "$tmp/$name.access" 2>&1); then
    pass "$name"
  else
    fail "$name" "$why"
  fi
}

# --- the calls --------------------------------------------------------------------------------
make_cert
server_start "$start_timeout" "$node" "$here/../connect_node/test_server.mjs" \
  --listen 127.0.0.1:0 --plaintext --http 2 \
  --peers "$peers" --protoc "$protoc" --proto-root "$proto_root"
backend_port=$server_port
caddy_start "$backend_port"

unary_in='{"response_size":4,"payload":{"body":"aGk="}}'
unary_want='{"messages":[{"payload":{"body":"AAAAAA=="}}]}'
stream_in='{"response_parameters":[{"size":1},{"size":2},{"size":3}]}'
stream_want='{"messages":[{"payload":{"body":"AA=="}},{"payload":{"body":"AAA="}},{"payload":{"body":"AAAA"}}]}'
error_in='{"response_status":{"code":3,"message":"bad \u2713"}}'
error_want='{"exit":24,"error":{"code":"invalid_argument","message":"bad \u2713"}}'

call connect_unary connect UnaryCall "$unary_in" "$unary_want"
call connect_empty connect EmptyCall '{}' '{"messages":[{}]}'
call connect_server_streaming connect StreamingOutputCall "$stream_in" "$stream_want"
call connect_error connect UnaryCall "$error_in" "$error_want"
call grpcweb_unary grpcweb UnaryCall "$unary_in" "$unary_want"
call grpcweb_server_streaming grpcweb StreamingOutputCall "$stream_in" "$stream_want"
call grpcweb_error grpcweb UnaryCall "$error_in" "$error_want"

# gRPC needs HTTP/3 trailers for grpc-status, which quic-go sends only from v0.47 on; whatever
# happens is reported, not judged.
run_call grpc_unary grpc UnaryCall "$unary_in"
if why=$(judge grpc "$call_status" "$unary_want" "$tmp/grpc_unary.out" "$tmp/grpc_unary.err" \
  "$tmp/grpc_unary.access" 2>&1); then
  echo "NOTE grpc_unary: gRPC over HTTP/3 through caddy $("$caddy" version 2>/dev/null) works"
else
  echo "NOTE grpc_unary: gRPC over HTTP/3 through caddy $("$caddy" version 2>/dev/null)" \
    "failed: $why"
  if grep -q 'without a grpc-status' "$tmp/grpc_unary.err"; then
    echo "NOTE grpc_unary: the response had no grpc-status: this caddy's HTTP/3 server" \
      "(quic-go before v0.47) does not send HTTP/3 trailers"
  fi
fi

kill -0 "$caddy_pid" 2>/dev/null || { show_caddy_log; fail caddy "caddy exited during the calls"; }
caddy_stop
if server_alive; then
  server_stop "$stop_grace"
  [ -z "$server_stop_problem" ] || say "connect-node: $server_stop_problem"
else
  fail connect_node "the backend exited during the calls"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
