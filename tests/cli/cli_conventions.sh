#!/usr/bin/env bash
# The command-line conventions of `triplex` and protoc-gen-triplex:
#   --version prints "NAME X.Y.Z" (the project's version) and --help the help, both exit 0;
#   a command line that cannot be parsed (unknown command or flag) exits 2 with one line;
#   triplex curl: a failure on our side (missing CA file, refused connection, bad URL, bad
#     flag value, unreadable -d @FILE, contradictory HTTP versions) is one "Failure: ..."
#     line and exit 1; a status from the server still exits with its code times 8; a
#     server without reflection gets a hint to pass --schema;
#   grpc-web and grpcweb both name gRPC-Web: curl --protocol, proxy --upstream-protocol and
#     the gateway YAML's `protocol:`;
#   proxy --config FILE with listener or upstream flags exits 2 with one line naming them.
# Starts `triplex eliza` (twice) and `triplex proxy` on 127.0.0.1 port 0 and stops only them.
# Prints "PASS name" / "FAIL name: why" per check and exits 1 if any failed.
#
# usage: cli_conventions.sh --triplex PATH --protoc-gen-triplex PATH --version X.Y.Z
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=cli_conventions
# shellcheck source=../interop/server_lib.sh
source "$here/../interop/server_lib.sh"

triplex=""
plugin=""
version=""
while [ $# -gt 0 ]; do
  case $1 in
    --triplex) triplex=$2; shift 2 ;;
    --protoc-gen-triplex) plugin=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$triplex" ] || die "--triplex: no program at '$triplex'"
[ -x "$plugin" ] || die "--protoc-gen-triplex: no program at '$plugin'"
[ -n "$version" ] || die "--version X.Y.Z is required"

eliza_proto="$here/../../examples/eliza/proto/connectrpc/eliza/v1/eliza.proto"
[ -f "$eliza_proto" ] || die "no $eliza_proto"
say_path=connectrpc.eliza.v1.ElizaService/Say
say_data='{"sentence":"I feel happy"}'

# Every process this script starts, stopped on exit (SIGTERM, then SIGKILL).
pids=()
trap 'stop_pids "${pids[@]}"; server_cleanup' EXIT

# start NAME CMD...: runs CMD in the background and sets `port` from its first
# `listening on HOST:PORT` line; returns 1 (with its stderr in $tmp/NAME.err) if it
# exits or stays silent for 20 s.
start() {
  local name=$1 line pid
  shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
  pid=$!
  pids+=("$pid")
  port=""
  for _ in $(seq 200); do
    line=$(grep -s -m1 -oE 'listening on [^ ]+:[0-9]+' "$tmp/$name.out" || true)
    if [ -n "$line" ]; then
      port=${line##*:}
      say "$name: pid $pid, port $port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  say "$name did not start: $(head -c 400 "$tmp/$name.err")"
  return 1
}

# run NAME [--timeout SECS] CMD...: runs CMD with stdin from /dev/null; sets rc, out, err.
run() {
  local name=$1 limit=20
  shift
  if [ "$1" = --timeout ]; then
    limit=$2
    shift 2
  fi
  rc=0
  timeout "$limit" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null || rc=$?
  out=$(cat "$tmp/$name.out")
  err=$(cat "$tmp/$name.err")
}

count_lines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi; }
short() { printf '%s' "$1" | head -c 300 | tr '\n' '|'; }

# expect NAME RC [out|err REGEX]... [one-line]: checks the last run.
expect() {
  local name=$1 want=$2
  shift 2
  if [ "$rc" != "$want" ]; then
    fail "$name" "exit $rc, want $want; stdout: $(short "$out"); stderr: $(short "$err")"
    return
  fi
  while [ $# -gt 0 ]; do
    case $1 in
      out | err)
        local text=$out
        [ "$1" = err ] && text=$err
        if ! grep -qE -- "$2" <<<"$text"; then
          fail "$name" "$1 does not match /$2/: $(short "$text")"
          return
        fi
        shift 2
        ;;
      one-line)
        if [ "$(count_lines "$err")" -ne 1 ]; then
          fail "$name" "stderr has $(count_lines "$err") lines, want 1: $(short "$err")"
          return
        fi
        shift
        ;;
    esac
  done
  pass "$name"
}

free_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# --- --version and --help -------------------------------------------------------------------
run version "$triplex" --version
expect triplex_version 0 out "^triplex ${version//./\\.}\$"
run plugin_version "$plugin" --version
expect protoc_gen_triplex_version 0 out "^protoc-gen-triplex ${version//./\\.}\$"
run plugin_help "$plugin" --help
expect protoc_gen_triplex_help 0 out "Usage" out "--version"
run help "$triplex" --help
expect triplex_help 0 out "curl" out "proxy"
run curl_help "$triplex" curl --help
expect triplex_curl_help 0 out "--protocol" out "Exit status"

# --- usage errors: exit 2, one line -----------------------------------------------------------
run unknown_command "$triplex" frobnicate
expect unknown_command_exit_2 2 one-line err 'unknown command "frobnicate"' err "triplex --help"
run no_command "$triplex"
expect no_command_exit_2 2 one-line err "^triplex: "
run unknown_top_flag "$triplex" --frobnicate
expect unknown_top_flag_exit_2 2 one-line err "unknown flag --frobnicate"
run unknown_curl_flag "$triplex" curl --frobnicate "http://127.0.0.1:$free_port/$say_path"
expect unknown_curl_flag_exit_2 2 one-line err "unknown flag --frobnicate" \
  err "triplex curl --help"
run unknown_proxy_flag "$triplex" proxy --frobnicate=1
expect unknown_proxy_flag_exit_2 2 one-line err "unknown flag --frobnicate"
run missing_value "$triplex" curl "http://127.0.0.1:$free_port/$say_path" -d
expect flag_without_value_exit_2 2 one-line err "^triplex: "

# --- servers ---------------------------------------------------------------------------------
start eliza "$triplex" eliza --plaintext --listen 127.0.0.1:0 || die "triplex eliza did not start"
eliza_port=$port
start eliza_noref "$triplex" eliza --plaintext --no-reflection --listen 127.0.0.1:0 ||
  die "triplex eliza --no-reflection did not start"
noref_port=$port
eliza_url="http://127.0.0.1:$eliza_port/$say_path"

# --- triplex curl: local failures are "Failure: ..." with exit 1 ---------------------------
run missing_ca "$triplex" curl --schema "$eliza_proto" --cacert "$tmp/no-such-ca.pem" \
  -d "$say_data" "https://127.0.0.1:$eliza_port/$say_path"
expect curl_missing_ca_file 1 one-line err "^Failure: .*no-such-ca\.pem"
run refused "$triplex" curl --schema "$eliza_proto" -d "$say_data" \
  "http://127.0.0.1:$free_port/$say_path"
expect curl_connection_refused 1 one-line err "^Failure: .*(refused|connect)"
run refused_reflection "$triplex" curl -d "$say_data" "http://127.0.0.1:$free_port/$say_path"
expect curl_connection_refused_reflection 1 one-line err "^Failure: "
run refused_h2 "$triplex" curl --http2-prior-knowledge --protocol grpc --schema "$eliza_proto" \
  -d "$say_data" "http://127.0.0.1:$free_port/$say_path"
expect curl_connection_refused_h2 1 one-line err "^Failure: "
run bad_url "$triplex" curl --schema "$eliza_proto" "127.0.0.1:$eliza_port/$say_path"
expect curl_bad_url 1 one-line err "^Failure: .*URL"
run bad_protocol "$triplex" curl --protocol grpcwebsocket "$eliza_url"
expect curl_bad_protocol_value 1 one-line err "^Failure: --protocol"
run bad_timeout "$triplex" curl --connect-timeout soon "$eliza_url"
expect curl_bad_connect_timeout_value 1 one-line err "^Failure: --connect-timeout"
run missing_data "$triplex" curl --schema "$eliza_proto" -d "@$tmp/no-such-request.json" \
  "$eliza_url"
expect curl_unreadable_data_file 1 one-line err "^Failure: .*no-such-request\.json"
run bad_json "$triplex" curl --schema "$eliza_proto" -d '{"no_such_field":1}' "$eliza_url"
expect curl_invalid_request_json 1 one-line err "^Failure: .*no_such_field"

# Contradictory HTTP versions: refused before anything is sent, as buf curl refuses
# --http3 with an http:// URL (exit 1, "Failure: ...").
for pair in "--http3 --http1.1" "--http3 --http2-prior-knowledge" \
  "--http1.1 --http2-prior-knowledge"; do
  # shellcheck disable=SC2086  # two flags
  run contradictory "$triplex" curl $pair --schema "$eliza_proto" -d "$say_data" "$eliza_url"
  expect "curl_contradictory_${pair// /_}" 1 one-line err "^Failure: .*cannot be used together"
done

run unknown_service "$triplex" curl "http://127.0.0.1:$eliza_port/triplex.clitest.Missing/Call"
expect curl_unknown_service_by_reflection 1 one-line err '^Failure: .*triplex\.clitest\.Missing'

# --- triplex curl: statuses from the server keep code x 8 ------------------------------------
cat >"$tmp/missing.proto" <<'EOF'
syntax = "proto3";
package triplex.clitest;
message Empty {}
service Missing { rpc Call(Empty) returns (Empty); }
EOF
run unknown_method "$triplex" curl --schema "$tmp/missing.proto" \
  "http://127.0.0.1:$eliza_port/triplex.clitest.Missing/Call"
expect curl_server_status_unimplemented_is_96 96 err '"code": "unimplemented"'
run unknown_method_grpc "$triplex" curl --http2-prior-knowledge --protocol grpc \
  --schema "$tmp/missing.proto" "http://127.0.0.1:$eliza_port/triplex.clitest.Missing/Call"
expect curl_server_status_unimplemented_grpc_is_96 96 err '"code": "unimplemented"'

# --- triplex curl: no reflection on the server -> a hint to pass --schema --------------------
run no_reflection "$triplex" curl -d "$say_data" "http://127.0.0.1:$noref_port/$say_path"
expect curl_no_reflection_hint 1 one-line err "^Failure: .*--schema"
run no_reflection_h2 "$triplex" curl --http2-prior-knowledge --protocol grpc -d "$say_data" \
  "http://127.0.0.1:$noref_port/$say_path"
expect curl_no_reflection_hint_grpc 1 one-line err "^Failure: .*--schema"
run with_schema "$triplex" curl --schema "$eliza_proto" -d "$say_data" \
  "http://127.0.0.1:$noref_port/$say_path"
expect curl_no_reflection_with_schema 0 out '"sentence"'

# --- one spelling or the other: grpc-web and grpcweb -----------------------------------------
for spelling in grpc-web grpcweb; do
  run "curl_$spelling" "$triplex" curl --protocol "$spelling" -d "$say_data" "$eliza_url"
  expect "curl_protocol_$spelling" 0 out '"sentence"'
done
for spelling in grpc-web grpcweb; do
  if start "proxy_$spelling" "$triplex" proxy --plaintext --listen 127.0.0.1:0 \
    --upstream "h2c://127.0.0.1:$eliza_port" --upstream-protocol "$spelling"; then
    run "via_proxy_$spelling" "$triplex" curl --schema "$eliza_proto" -d "$say_data" \
      "http://127.0.0.1:$port/$say_path"
    expect "proxy_upstream_protocol_$spelling" 0 out '"sentence"'
  else
    fail "proxy_upstream_protocol_$spelling" "$(short "$(cat "$tmp/proxy_$spelling.err")")"
  fi
  cat >"$tmp/gateway_$spelling.yaml" <<EOF
listeners:
  - {name: plain, address: 127.0.0.1:0}
clusters:
  - name: eliza
    endpoints: [h2c://127.0.0.1:$eliza_port]
    protocol: $spelling
routes:
  - {prefix: /, cluster: eliza}
EOF
  if start "gateway_$spelling" "$triplex" proxy --config "$tmp/gateway_$spelling.yaml"; then
    run "via_gateway_$spelling" "$triplex" curl --schema "$eliza_proto" -d "$say_data" \
      "http://127.0.0.1:$port/$say_path"
    expect "gateway_yaml_protocol_$spelling" 0 out '"sentence"'
  else
    fail "gateway_yaml_protocol_$spelling" "$(short "$(cat "$tmp/gateway_$spelling.err")")"
  fi
done

# --- proxy --config with listener/upstream flags: exit 2, one line naming them ---------------
# (Before, the flags were silently ignored and the proxy ran: the timeout ends that.)
run config_and_listen --timeout 5 "$triplex" proxy --config "$tmp/gateway_grpc-web.yaml" \
  --listen 127.0.0.1:0
expect proxy_config_with_listen_exit_2 2 one-line err "--config" err "--listen"
run config_and_more --timeout 5 "$triplex" proxy --config "$tmp/gateway_grpc-web.yaml" \
  --upstream "h2c://127.0.0.1:$eliza_port" --admin 127.0.0.1:0 --keepalive-time-ms 1000
expect proxy_config_with_upstream_admin_timer_exit_2 2 one-line err "--upstream" \
  err "--admin" err "--keepalive-time-ms"

finish eliza:eliza eliza_noref:eliza_noref
