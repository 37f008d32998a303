#!/usr/bin/env bash
# `triplex proxy --config` (a TLS listener with HTTP/3, a plaintext one, the admin port, the access
# log, the HTTP/1.1 bridge with x-protobuf upgrade and a 1000-byte buffer) in front of the gRPC C++
# 1.51 interop server, driven by peers we did not write: Debian's curl and buf curl.
#
#   upstream_*   what the upstream itself answers (curl --http2-prior-knowledge, straight to it):
#                a plain error is Trailers-Only; with x-grpc-test-echo-initial it sends headers,
#                then the status in trailers. The bridge checks use both forms.
#   bridge_*     curl --http1.1, application/grpc without TE: trailers (Envoy-style bridge): unary
#                200 + grpc-status 0 + content-length + framed SimpleResponse; errors 503 with
#                grpc-status/grpc-message in headers (both upstream forms); x-protobuf upgrade;
#                streaming 503/12 naming TE: trailers; too big a response 503/8. The gateway's
#                calls_total must count each with the code the client saw.
#   mixed_*      a fresh gateway, a scripted run over HTTP/1.1 (curl bridge, buf curl Connect and
#                gRPC-Web over http://), HTTP/2 (buf curl over https -k, curl --http2 with TE:
#                trailers, h2c) and HTTP/3 (buf curl --http3 -k) with errors, server streams and
#                bidi; each call is written to a ledger.
#   metrics_*    /metrics equals the ledger exactly: calls by method+code, success/failure, request
#                and response messages, the histogram's _count (and +Inf bucket), calls by
#                listener/http_version/protocol/code, by cluster; /healthz and /ready are 200.
#   access_log_* one JSON line per call, the same calls as the ledger; one line's fields in full.
#   drain_*      slow server streams over HTTP/1.1, HTTP/2 and HTTP/3 in flight, SIGTERM: new
#                connections are refused and /ready says 503 while they finish; every call ends OK
#                with all its messages; the proxy exits 0 soon after; nothing answers afterwards.
#
# usage: gateway_peers.sh --triplex PATH --grpcpp PATH --buf PATH
#                         [--protoc PATH] [--proto-root DIR] [--curl PATH] [--python PATH]
# Prints "PASS name" / "FAIL name: why" per check; exits 1 if any failed, 77 without buf.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_prefix=gateway_peers
# shellcheck source=SCRIPTDIR/../server_lib.sh
source "$here/../server_lib.sh"

triplex="" grpcpp="" buf="" protoc="" curl="" python=""
proto_root=/usr/share/grpc-proto
while [ $# -gt 0 ]; do
  case "$1" in
    --triplex) triplex=$2; shift 2 ;;
    --grpcpp) grpcpp=$2; shift 2 ;;
    --buf) buf=$2; shift 2 ;;
    --protoc) protoc=$2; shift 2 ;;
    --proto-root) proto_root=$2; shift 2 ;;
    --curl) curl=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -x "$triplex" ] || die "missing --triplex (got '$triplex')"
[ -x "$grpcpp" ] || die "missing --grpcpp (got '$grpcpp')"
if [ ! -x "$buf" ]; then
  say "SKIP: buf not found at '$buf' (scripts/setup installs it under tests/peers)"
  exit 77
fi
[ -n "$protoc" ] || protoc=$(command -v protoc) || die "protoc is not on PATH (use --protoc)"
[ -n "$curl" ] || curl=$(command -v curl) || die "curl is not on PATH (use --curl)"
[ -n "$python" ] || python=$(command -v python3) || die "python3 is not on PATH (use --python)"
[ -f "$proto_root/grpc/testing/test.proto" ] || die "no grpc/testing/test.proto under $proto_root"

# --- processes this script started, and only those, are stopped on exit ----------------------
gateway_pids=()
bg_pids=()
cleanup() {
  stop_pids ${bg_pids[@]+"${bg_pids[@]}"} ${gateway_pids[@]+"${gateway_pids[@]}"}
  server_cleanup
}
trap cleanup EXIT
# forget PID: a gateway this script has reaped, so cleanup never signals a reused PID.
forget() {
  local pid kept=()
  for pid in ${gateway_pids[@]+"${gateway_pids[@]}"}; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  gateway_pids=(${kept[@]+"${kept[@]}"})
}

# --- request and response bytes ----------------------------------------------------------------
messages=(-I "$proto_root" grpc/testing/messages.proto)
schema="$tmp/testing.binpb"
"$protoc" -I"$proto_root" --include_imports -o "$schema" grpc/testing/test.proto ||
  die "protoc could not build the grpc.testing descriptor set"

# encode TYPE TEXT OUT: protoc --encode of a text-format grpc.testing message.
encode() {
  printf '%s' "$2" | "$protoc" --encode="grpc.testing.$1" "${messages[@]}" >"$3" ||
    die "protoc could not encode $1: $2"
}
# frame IN OUT: OUT is IN as one uncompressed gRPC message (5-byte header; IN under 256 bytes).
frame() {
  local len
  len=$(wc -c <"$1")
  [ "$len" -lt 256 ] || die "frame: $1 is too long"
  { printf '\000\000\000\000'; printf '%b' "\\0$(printf %03o "$len")"; cat "$1"; } >"$2"
}
zeros10='\000\000\000\000\000\000\000\000\000\000'
encode SimpleRequest 'response_size: 10' "$tmp/unary.pb"
encode SimpleResponse "payload { body: \"$zeros10\" }" "$tmp/unary_response.pb"
encode SimpleRequest 'response_status { code: 3 message: "bad" }' "$tmp/error.pb"
encode SimpleRequest 'response_size: 2000' "$tmp/big.pb"
encode StreamingOutputCallRequest 'response_parameters { size: 10 } response_parameters { size: 10 }' \
  "$tmp/stream.pb"
for m in unary unary_response error big stream; do frame "$tmp/$m.pb" "$tmp/$m.grpc"; done
grpc_type=(-H 'content-type: application/grpc' -H 'Expect:')

# --- curl helpers ------------------------------------------------------------------------------
# fetch NAME CURL_ARGS...: one curl request: $tmp/NAME.h (header block, a blank line, then any
# trailers), $tmp/NAME.b (body), $tmp/NAME.w ("STATUS HTTP_VERSION"). FAIL NAME, return 1 when
# curl itself fails.
fetch() {
  local name=$1 status=0
  shift
  rm -f "$tmp/$name".{h,b,w}
  "$curl" -sS --max-time 10 -D "$tmp/$name.h" -o "$tmp/$name.b" -w '%{http_code} %{http_version}' \
    "$@" >"$tmp/$name.w" 2>"$tmp/$name.err" || status=$?
  touch "$tmp/$name".{h,b,w}
  if [ "$status" -ne 0 ]; then
    fail "$name" "curl exited with status $status: $(tr '\n' ' ' <"$tmp/$name.err")"
    return 1
  fi
}
# field NAME BLOCK FIELD: the value of FIELD in block BLOCK (1: headers, 2: trailers) of NAME.h.
field() {
  awk -v block="$2" -v want="$3" '
    { sub(/\r$/, "") }
    /^$/ { n++; next }
    n + 1 == block && tolower(substr($0, 1, index($0, ":") - 1)) == want {
      sub(/^[^:]*:[ \t]*/, ""); print; exit
    }' "$tmp/$1.h"
}
# hex FILE: its first 40 bytes in hex.
hex() { head -c 40 "$1" | od -An -tx1 | tr -d ' \n'; }
# expect_response NAME "STATUS VERSION" [BLOCK:FIELD=VALUE | BLOCK:FIELD~SUBSTRING |
#   BLOCK:FIELD!  (absent) | body=FILE | body-empty]...: PASS NAME or FAIL NAME with every mismatch.
expect_response() {
  local name=$1 want=$2 why="" got spec block key value
  shift 2
  got=$(cat "$tmp/$name.w")
  [ "$got" = "$want" ] || why+="status/version '$got', want '$want'; "
  for spec in "$@"; do
    case "$spec" in
      body=*)
        cmp -s "$tmp/$name.b" "${spec#body=}" || why+="body $(hex "$tmp/$name.b"), want $(hex "${spec#body=}"); "
        ;;
      body-empty) [ ! -s "$tmp/$name.b" ] || why+="body of $(wc -c <"$tmp/$name.b") bytes, want none; " ;;
      *:*!)
        block=${spec%%:*} key=${spec#*:} key=${key%!}
        value=$(field "$name" "$block" "$key")
        [ -z "$value" ] || why+="$key: '$value' in block $block, want none; "
        ;;
      *:*=*)
        block=${spec%%:*} key=${spec#*:} key=${key%%=*}
        value=$(field "$name" "$block" "$key")
        [ "$value" = "${spec#*=}" ] || why+="$key: '$value' in block $block, want '${spec#*=}'; "
        ;;
      *:*~*)
        block=${spec%%:*} key=${spec#*:} key=${key%%~*}
        value=$(field "$name" "$block" "$key")
        [[ "$value" == *"${spec#*~}"* ]] || why+="$key: '$value' in block $block, want it to name '${spec#*~}'; "
        ;;
      *) die "expect_response: bad spec $spec" ;;
    esac
  done
  if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
}

# --- the ledger: one line per call made through the gateway ------------------------------------
# record LEDGER METHOD CODE LISTENER HTTP_VERSION PROTOCOL REQUEST_MESSAGES RESPONSE_MESSAGES
record() {
  local ledger=$1
  shift
  echo "/grpc.testing.TestService/$*" >>"$ledger"
}

# judge.py: the metrics and access log against a ledger (see its modes below).
cat >"$tmp/judge.py" <<'PY'
import collections, json, re, sys

def ledger(path):
    calls = []
    for line in open(path):
        m, code, listener, version, protocol, req, resp = line.split()
        calls.append(dict(method=m, code=code, listener=listener, http_version=version,
                          protocol=protocol, request_messages=int(req), response_messages=int(resp)))
    return calls

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

def samples(path, family):
    out = {}
    for line in open(path):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            sys.exit('unparsable metrics line: ' + line)
        name, labels, value = m.groups()
        if name == family:
            out[tuple(sorted(LABEL.findall(labels or '')))] = float(value)
    return out

def key(**labels):
    return tuple(sorted(labels.items()))

def expected(calls, family):
    want = collections.Counter()
    methods = {c['method'] for c in calls}
    for m in methods:  # families with a sample per method, zero or not
        if family in ('calls_success_total', 'calls_failure_total', 'request_messages_total',
                      'response_messages_total', 'call_duration_seconds_count',
                      'call_duration_seconds_bucket'):
            want[key(method=m, le='+Inf') if family.endswith('_bucket') else key(method=m)] += 0
    for c in calls:
        if family == 'calls_total':
            want[key(method=c['method'], code=c['code'])] += 1
        elif family == 'calls_success_total':
            want[key(method=c['method'])] += c['code'] == 'OK'
        elif family == 'calls_failure_total':
            want[key(method=c['method'])] += c['code'] != 'OK'
        elif family == 'request_messages_total':
            want[key(method=c['method'])] += c['request_messages']
        elif family == 'response_messages_total':
            want[key(method=c['method'])] += c['response_messages']
        elif family == 'call_duration_seconds_count':
            want[key(method=c['method'])] += 1
        elif family == 'call_duration_seconds_bucket':
            want[key(method=c['method'], le='+Inf')] += 1
        elif family == 'listener_calls_total':
            want[key(listener=c['listener'], http_version=c['http_version'],
                     protocol=c['protocol'], code=c['code'])] += 1
        elif family == 'cluster_calls_total':
            want[key(cluster='testing', code=c['code'])] += 1
        else:
            sys.exit('unknown family ' + family)
    return want

def show(labels):
    return '{' + ','.join(f'{k}="{v}"' for k, v in labels) + '}'

def metrics(path, ledger_path, family):
    want = expected(ledger(ledger_path), family)
    got = samples(path, 'triplex_gateway_' + family)
    if family == 'call_duration_seconds_bucket':  # only the +Inf bucket is predictable
        got = {k: v for k, v in got.items() if dict(k).get('le') == '+Inf'}
    problems = []
    for labels in sorted(set(want) | set(got)):
        if labels not in got:
            problems.append(f'{show(labels)} missing, want {want[labels]}')
        elif labels not in want:
            problems.append(f'{show(labels)} = {got[labels]:g}, want no such series')
        elif got[labels] != want[labels]:
            problems.append(f'{show(labels)} = {got[labels]:g}, want {want[labels]}')
    if problems:
        sys.exit('; '.join(problems))

FIELDS = ('method', 'code', 'listener', 'http_version', 'protocol', 'request_messages',
          'response_messages')

def access_log(path, ledger_path):
    lines = open(path).read().splitlines()
    entries = []
    for n, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError as e:
            sys.exit(f'line {n} is not JSON ({e}): {line[:200]}')
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            sys.exit(f'line {n} lacks {missing}: {line[:200]}')
        entries.append(tuple(entry[f] for f in FIELDS))
    want = collections.Counter(tuple(c[f] for f in FIELDS) for c in ledger(ledger_path))
    got = collections.Counter(entries)
    if got != want:
        sys.exit(f'{len(entries)} lines for {sum(want.values())} calls; not logged: '
                 f'{dict(want - got)}; unexpected: {dict(got - want)}')

def access_line(path, *specs):
    lines = open(path).read().splitlines()
    if not lines:
        sys.exit('the access log is empty')
    entry = json.loads(lines[-1])
    problems = []
    for spec in specs:
        name, value = spec.split('=', 1)
        got = entry.get(name)
        if name in ('request_messages', 'response_messages'):
            value = int(value)
        if got != value:
            problems.append(f'{name} {got!r}, want {value!r}')
    if not re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', str(entry.get('time'))):
        problems.append(f"time {entry.get('time')!r} is not RFC 3339 UTC with milliseconds")
    if not str(entry.get('peer', '')).startswith('127.0.0.1:'):
        problems.append(f"peer {entry.get('peer')!r}, want 127.0.0.1:PORT")
    if not isinstance(entry.get('duration_ms'), (int, float)) or entry['duration_ms'] < 0:
        problems.append(f"duration_ms {entry.get('duration_ms')!r}")
    if problems:
        sys.exit('; '.join(problems) + ': ' + lines[-1])

mode, *args = sys.argv[1:]
{'metrics': metrics, 'access_log': access_log, 'access_line': access_line}[mode](*args)
PY
# judge NAME MODE ARGS...: judge.py MODE ARGS; PASS or FAIL NAME.
judge() {
  local name=$1 why
  shift
  if why=$("$python" "$tmp/judge.py" "$@" 2>&1); then pass "$name"; else fail "$name" "$why"; fi
}

# --- gateways ----------------------------------------------------------------------------------
server_start 20 "$grpcpp" --listen 127.0.0.1:0 --plaintext
upstream="127.0.0.1:$server_port"

# gateway_start NAME: `triplex proxy --config` with the config above and its access log in
# $tmp/NAME.log; sets gateway_pid, tls_port, plain_port and admin_port.
gateway_start() {
  local name=$1 out
  out="$tmp/$name.out"
  cat >"$tmp/$name.yaml" <<EOF
listeners:
  - {name: tls, address: 127.0.0.1:0, tls: {self_signed: true}}
  - {name: plain, address: 127.0.0.1:0}
clusters:
  - name: testing
    endpoints: [h2c://$upstream]
routes:
  - {service: grpc.testing.TestService, cluster: testing}
admin: {address: 127.0.0.1:0}
access_log: $tmp/$name.log
http1_bridge: {upgrade_protobuf_to_grpc: true, max_buffer_bytes: 1000}
EOF
  "$triplex" proxy --config "$tmp/$name.yaml" >"$out" 2>"$tmp/$name.err" </dev/null &
  gateway_pid=$!
  gateway_pids+=("$gateway_pid")
  for _ in $(seq 200); do
    # The admin line comes last.
    admin_port=$(sed -n 's/^admin on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
    if [ -n "$admin_port" ]; then
      tls_port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) (tls,.*/\1/p' "$out")
      plain_port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) (plain,.*/\1/p' "$out")
      if [ -z "$tls_port" ] || [ -z "$plain_port" ]; then die "$name printed: $(cat "$out")"; fi
      say "$name gateway pid $gateway_pid: tls $tls_port, plain $plain_port, admin $admin_port"
      return 0
    fi
    kill -0 "$gateway_pid" 2>/dev/null || die "the $name gateway exited: $(cat "$tmp/$name.err")"
    sleep 0.1
  done
  die "the $name gateway printed no admin line"
}

# stop_gateway NAME PID GRACE: SIGTERM; PASS/FAIL NAME on exiting 0 within GRACE seconds.
stop_gateway() {
  local name=$1 pid=$2 grace=$3 status=0 ticks=0
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null && [ "$ticks" -lt $((grace * 10)) ]; do
    sleep 0.1
    ticks=$((ticks + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "$name" "still running ${grace}s after SIGTERM"
    return 0
  fi
  { wait "$pid"; } 2>/dev/null || status=$?
  forget "$pid"
  if [ "$status" -eq 0 ]; then pass "$name"; else fail "$name" "exited with status $status"; fi
}

# =============================================================================================
# The upstream's own answers (HTTP/2, straight to it): which form each error takes.
up="http://127.0.0.1:$server_port/grpc.testing.TestService"
up_h2=(--http2-prior-knowledge "${grpc_type[@]}" -H 'te: trailers')
# A plain error: gRPC C++ sends one HEADERS block with grpc-status (Trailers-Only).
fetch upstream_error_trailers_only "${up_h2[@]}" --data-binary "@$tmp/error.grpc" "$up/UnaryCall" &&
  expect_response upstream_error_trailers_only "200 2" 1:grpc-status=3 1:grpc-message=bad \
    2:grpc-status! body-empty
# Asked to echo x-grpc-test-echo-initial, it sends that in a HEADERS block first, then the status
# in trailers: not Trailers-Only.
fetch upstream_error_after_headers "${up_h2[@]}" -H 'x-grpc-test-echo-initial: hi' \
  --data-binary "@$tmp/error.grpc" "$up/UnaryCall" &&
  expect_response upstream_error_after_headers "200 2" 1:x-grpc-test-echo-initial=hi \
    1:grpc-status! 2:grpc-status=3 2:grpc-message=bad body-empty

# =============================================================================================
# The HTTP/1.1 bridge: curl --http1.1, application/grpc and no TE: trailers.
gateway_start bridge
ledger="$tmp/bridge.ledger"
: >"$ledger"
gw="http://127.0.0.1:$plain_port/grpc.testing.TestService"
h1=(--http1.1 "${grpc_type[@]}")

fetch bridge_unary "${h1[@]}" --data-binary "@$tmp/unary.grpc" "$gw/UnaryCall" &&
  expect_response bridge_unary "200 1.1" 1:content-type=application/grpc 1:grpc-status=0 \
    "1:content-length=$(wc -c <"$tmp/unary_response.grpc")" "body=$tmp/unary_response.grpc"
record "$ledger" UnaryCall OK plain 1.1 grpc 1 1
fetch bridge_error_trailers_only "${h1[@]}" --data-binary "@$tmp/error.grpc" "$gw/UnaryCall" &&
  expect_response bridge_error_trailers_only "503 1.1" 1:grpc-status=3 1:grpc-message=bad \
    1:content-length=0 body-empty
record "$ledger" UnaryCall INVALID_ARGUMENT plain 1.1 grpc 1 0
# The upstream's headers come before its error here; they reach the caller with it.
fetch bridge_error_after_headers "${h1[@]}" -H 'x-grpc-test-echo-initial: hi' \
  --data-binary "@$tmp/error.grpc" "$gw/UnaryCall" &&
  expect_response bridge_error_after_headers "503 1.1" 1:grpc-status=3 1:grpc-message=bad \
    1:x-grpc-test-echo-initial=hi 1:content-length=0 body-empty
record "$ledger" UnaryCall INVALID_ARGUMENT plain 1.1 grpc 1 0
fetch bridge_protobuf_upgrade --http1.1 -H 'content-type: application/x-protobuf' -H 'Expect:' \
  --data-binary "@$tmp/unary.pb" "$gw/UnaryCall" &&
  expect_response bridge_protobuf_upgrade "200 1.1" 1:content-type=application/x-protobuf \
    1:grpc-status=0 "1:content-length=$(wc -c <"$tmp/unary_response.pb")" \
    "body=$tmp/unary_response.pb"
record "$ledger" UnaryCall OK plain 1.1 grpc 1 1
fetch bridge_streaming_needs_te "${h1[@]}" --data-binary "@$tmp/stream.grpc" \
  "$gw/StreamingOutputCall" &&
  expect_response bridge_streaming_needs_te "503 1.1" 1:grpc-status=12 \
    '1:grpc-message~TE: trailers' body-empty
record "$ledger" StreamingOutputCall UNIMPLEMENTED plain 1.1 grpc 1 1
fetch bridge_buffer_limit "${h1[@]}" --data-binary "@$tmp/big.grpc" "$gw/UnaryCall" &&
  expect_response bridge_buffer_limit "503 1.1" 1:grpc-status=8 "1:grpc-message~bridge's buffer" \
    body-empty
record "$ledger" UnaryCall RESOURCE_EXHAUSTED plain 1.1 grpc 1 0
# Each bridged call counted with the code its client saw. (Message counts are left out here: a
# streaming response's first message is counted as forwarded though the bridge dropped it.)
"$curl" -sS --max-time 5 -o "$tmp/bridge.metrics" "http://127.0.0.1:$admin_port/metrics" ||
  fail bridge_metrics_fetch "curl could not fetch /metrics"
for family in calls_total listener_calls_total cluster_calls_total; do
  judge "bridge_metrics_$family" metrics "$tmp/bridge.metrics" "$ledger" "$family"
done
stop_gateway bridge_gateway_stops "$gateway_pid" 5

# =============================================================================================
# The mixed run, on a fresh gateway so its counters hold only these calls.
gateway_start mixed
mixed_pid=$gateway_pid
access_log="$tmp/mixed.log"
ledger="$tmp/mixed.ledger"
: >"$ledger"
plain="http://127.0.0.1:$plain_port/grpc.testing.TestService"
tls="https://127.0.0.1:$tls_port/grpc.testing.TestService"
unary='{"response_size":10}'
stream='{"response_parameters":[{"size":10},{"size":10},{"size":10}]}'
printf '%s\n' '{"response_parameters":[{"size":10}]}' '{"response_parameters":[{"size":10}]}' \
  >"$tmp/bidi.json"

# buf_call NAME EXIT COUNT VERSION URL ARGS...: buf curl must exit EXIT (0, or a gRPC code times
# 8 for an error, whose name and message "bad" or "nope" must be on stderr), print COUNT payloads
# and be answered over HTTP/VERSION. Stdin is the bidi requests (read only with -d @-).
buf_call() {
  local name=$1 want_exit=$2 count=$3 version=$4 url=$5 status=0 got
  shift 5
  timeout --kill-after=5 20 "$buf" curl -v --schema "$schema" "$@" "$url" <"$tmp/bidi.json" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
  got=$(grep -c '"body": "AAAAAAAAAAAAAA=="' "$tmp/$name.out" || true)
  if [ "$status" -ne "$want_exit" ]; then
    fail "$name" "buf curl exited with status $status, want $want_exit: $(tail -c 400 "$tmp/$name.err" | tr '\n' ' ')"
  elif [ "$got" -ne "$count" ]; then
    fail "$name" "$got payloads, want $count: $(head -c 300 "$tmp/$name.out" | tr '\n' ' ')"
  elif ! grep -q "< (#1) HTTP/$version " "$tmp/$name.err"; then
    fail "$name" "not answered over HTTP/$version: $(grep -m1 '< (#1) HTTP' "$tmp/$name.err" || true)"
  elif [ "$want_exit" -ne 0 ] && ! grep -Eq '"message": "(bad|nope)"' "$tmp/$name.err"; then
    fail "$name" "no error message on stderr: $(tail -c 300 "$tmp/$name.err" | tr '\n' ' ')"
  else
    pass "$name"
  fi
}
error5='{"response_status":{"code":5,"message":"nope"}}'
error7='{"response_status":{"code":7,"message":"nope"}}'
error3='{"response_status":{"code":3,"message":"bad"}}'

# HTTP/1.1 to the plaintext listener: curl through the bridge, buf curl with Connect / gRPC-Web.
for i in 1 2; do
  fetch "mixed_http1_bridge_unary_$i" "${h1[@]}" --data-binary "@$tmp/unary.grpc" \
    "$plain/UnaryCall" &&
    expect_response "mixed_http1_bridge_unary_$i" "200 1.1" 1:grpc-status=0 \
      "body=$tmp/unary_response.grpc"
  record "$ledger" UnaryCall OK plain 1.1 grpc 1 1
done
fetch mixed_http1_bridge_error "${h1[@]}" --data-binary "@$tmp/error.grpc" "$plain/UnaryCall" &&
  expect_response mixed_http1_bridge_error "503 1.1" 1:grpc-status=3 1:grpc-message=bad
record "$ledger" UnaryCall INVALID_ARGUMENT plain 1.1 grpc 1 0
buf_call mixed_http1_connect_unary 0 1 1.1 "$plain/UnaryCall" --protocol connect -d "$unary"
record "$ledger" UnaryCall OK plain 1.1 connect 1 1
buf_call mixed_http1_connect_error 40 0 1.1 "$plain/UnaryCall" --protocol connect -d "$error5"
record "$ledger" UnaryCall NOT_FOUND plain 1.1 connect 1 0
buf_call mixed_http1_connect_stream 0 3 1.1 "$plain/StreamingOutputCall" --protocol connect \
  -d "$stream"
record "$ledger" StreamingOutputCall OK plain 1.1 connect 1 3
buf_call mixed_http1_grpcweb_unary 0 1 1.1 "$plain/UnaryCall" --protocol grpcweb -d "$unary"
record "$ledger" UnaryCall OK plain 1.1 grpc-web 1 1

# HTTP/2: buf curl over TLS (ALPN h2), curl --http2 over TLS and h2c with TE: trailers.
buf_call mixed_http2_grpc_unary 0 1 2.0 "$tls/UnaryCall" -k --protocol grpc -d "$unary"
record "$ledger" UnaryCall OK tls 2 grpc 1 1
buf_call mixed_http2_grpc_stream 0 3 2.0 "$tls/StreamingOutputCall" -k --protocol grpc \
  -d "$stream"
record "$ledger" StreamingOutputCall OK tls 2 grpc 1 3
buf_call mixed_http2_connect_error 56 0 2.0 "$tls/UnaryCall" -k --protocol connect -d "$error7"
record "$ledger" UnaryCall PERMISSION_DENIED tls 2 connect 1 0
fetch mixed_http2_curl_unary --http2 -k "${grpc_type[@]}" -H 'te: trailers' \
  --data-binary "@$tmp/unary.grpc" "$tls/UnaryCall" &&
  expect_response mixed_http2_curl_unary "200 2" 1:grpc-status! 2:grpc-status=0 \
    "body=$tmp/unary_response.grpc"
record "$ledger" UnaryCall OK tls 2 grpc 1 1
fetch mixed_h2c_curl_error --http2-prior-knowledge "${grpc_type[@]}" -H 'te: trailers' \
  --data-binary "@$tmp/error.grpc" "$plain/UnaryCall" &&
  expect_response mixed_h2c_curl_error "200 2" 1:grpc-status=3 1:grpc-message=bad body-empty
record "$ledger" UnaryCall INVALID_ARGUMENT plain 2 grpc 1 0
buf_call mixed_h2c_grpcweb_bidi 0 2 2.0 "$plain/FullDuplexCall" --http2-prior-knowledge \
  --protocol grpcweb -d @-
record "$ledger" FullDuplexCall OK plain 2 grpc-web 2 2

# HTTP/3: buf curl --http3 to the TLS listener's UDP twin.
buf_call mixed_http3_grpc_unary 0 1 3.0 "$tls/UnaryCall" -k --http3 --protocol grpc -d "$unary"
record "$ledger" UnaryCall OK tls 3 grpc 1 1
buf_call mixed_http3_grpcweb_stream 0 3 3.0 "$tls/StreamingOutputCall" -k --http3 \
  --protocol grpcweb -d "$stream"
record "$ledger" StreamingOutputCall OK tls 3 grpc-web 1 3
buf_call mixed_http3_grpc_bidi 0 2 3.0 "$tls/FullDuplexCall" -k --http3 --protocol grpc -d @-
record "$ledger" FullDuplexCall OK tls 3 grpc 2 2
buf_call mixed_http3_connect_error 24 0 3.0 "$tls/UnaryCall" -k --http3 --protocol connect \
  -d "$error3"
record "$ledger" UnaryCall INVALID_ARGUMENT tls 3 connect 1 0
# The line that call wrote is the log's last (calls are made one at a time).
judge access_log_line_fields access_line "$access_log" \
  method=/grpc.testing.TestService/UnaryCall code=INVALID_ARGUMENT http_version=3 \
  protocol=connect listener=tls cluster=testing message=bad request_messages=1 \
  response_messages=0

# /metrics against the ledger; /healthz; /ready (no health_check configured, so ready).
admin="http://127.0.0.1:$admin_port"
"$curl" -sS --max-time 5 -o "$tmp/mixed.metrics" "$admin/metrics" ||
  fail metrics_fetch "curl could not fetch /metrics"
for family in calls_total calls_success_total calls_failure_total request_messages_total \
  response_messages_total call_duration_seconds_count call_duration_seconds_bucket \
  listener_calls_total cluster_calls_total; do
  judge "metrics_$family" metrics "$tmp/mixed.metrics" "$ledger" "$family"
done
for path in healthz ready; do
  got=$("$curl" -sS --max-time 5 -o /dev/null -w '%{http_code}' "$admin/$path" 2>&1) || true
  if [ "$got" = 200 ]; then pass "admin_$path"; else fail "admin_$path" "got '$got', want 200"; fi
done
judge access_log_calls access_log "$access_log" "$ledger"

# =============================================================================================
# Drain: slow streams (4 responses 400 ms apart) over HTTP/1.1, HTTP/2 and HTTP/3; SIGTERM once
# each has had its first response.
slow='{"response_parameters":['
for i in 1 2 3 4; do slow+='{"size":10,"interval_us":400000}'; [ "$i" = 4 ] || slow+=','; done
slow+=']}'
slow_names=(drain_http2_grpc_1 drain_http2_grpc_2 drain_http3_grpc drain_http1_connect)
slow_args=("-k --protocol grpc $tls" "-k --protocol grpc $tls" "-k --http3 --protocol grpc $tls"
  "--protocol connect $plain")
slow_pids=()
for i in "${!slow_names[@]}"; do
  read -r -a args <<<"${slow_args[$i]}"
  url=${args[-1]}
  unset 'args[-1]'
  timeout --kill-after=5 30 "$buf" curl --schema "$schema" "${args[@]}" -d "$slow" \
    "$url/StreamingOutputCall" >"$tmp/${slow_names[$i]}.out" 2>"$tmp/${slow_names[$i]}.err" \
    </dev/null &
  slow_pids+=($!)
  bg_pids+=($!)
done
record "$ledger" StreamingOutputCall OK tls 2 grpc 1 4
record "$ledger" StreamingOutputCall OK tls 2 grpc 1 4
record "$ledger" StreamingOutputCall OK tls 3 grpc 1 4
record "$ledger" StreamingOutputCall OK plain 1.1 connect 1 4
payloads() { grep -c '"body"' "$tmp/$1.out" || true; }
started=0
for _ in $(seq 100); do
  started=0
  for name in "${slow_names[@]}"; do [ "$(payloads "$name")" -ge 1 ] && started=$((started + 1)); done
  [ "$started" -eq "${#slow_names[@]}" ] && break
  sleep 0.05
done
in_flight=0
for name in "${slow_names[@]}"; do
  n=$(payloads "$name")
  [ "$n" -ge 1 ] && [ "$n" -lt 4 ] && in_flight=$((in_flight + 1))
done
kill -TERM "$mixed_pid"
sigterm_at=$(date +%s%N)
if [ "$in_flight" -eq "${#slow_names[@]}" ]; then
  pass "drain_calls_in_flight_at_sigterm"
else
  fail "drain_calls_in_flight_at_sigterm" "$in_flight of ${#slow_names[@]} calls had 1-3 responses"
fi

# While they finish: new TCP connections are refused, /ready answers 503.
refused() {  # refused URL: curl cannot connect (exit 7)
  local status=0
  "$curl" -sS -k --max-time 2 -o /dev/null "$1" 2>/dev/null || status=$?
  [ "$status" -eq 7 ]
}
refusing=""
for _ in $(seq 20); do
  if refused "http://127.0.0.1:$plain_port/" && refused "https://127.0.0.1:$tls_port/"; then
    refusing=yes
    break
  fi
  sleep 0.05
done
ready=$("$curl" -sS --max-time 2 -o /dev/null -w '%{http_code}' "$admin/ready" 2>&1) || true
still=0
for pid in "${slow_pids[@]}"; do kill -0 "$pid" 2>/dev/null && still=$((still + 1)); done
if [ -n "$refusing" ]; then pass drain_refuses_new_connections; else
  fail drain_refuses_new_connections "the plain or tls listener still accepted after SIGTERM"
fi
if [ "$ready" = 503 ]; then pass drain_ready_503; else fail drain_ready_503 "/ready got '$ready'"; fi
[ "$still" -gt 0 ] || say "note: every slow call had ended before the drain checks"

for i in "${!slow_names[@]}"; do
  status=0
  wait "${slow_pids[$i]}" || status=$?
  n=$(payloads "${slow_names[$i]}")
  if [ "$status" -eq 0 ] && [ "$n" -eq 4 ]; then
    pass "${slow_names[$i]}"
  else
    fail "${slow_names[$i]}" "buf curl exited $status with $n of 4 responses: $(tail -c 300 "$tmp/${slow_names[$i]}.err" | tr '\n' ' ')"
  fi
done
calls_done_at=$(date +%s%N)
bg_pids=()

status=0
for _ in $(seq 100); do kill -0 "$mixed_pid" 2>/dev/null || break; sleep 0.1; done
exited_at=$(date +%s%N)
if kill -0 "$mixed_pid" 2>/dev/null; then
  fail drain_proxy_exits "still running 10 s after its last call ended"
else
  { wait "$mixed_pid"; } 2>/dev/null || status=$?
  forget "$mixed_pid"
  took=$(((exited_at - sigterm_at) / 1000000))
  after=$(((exited_at - calls_done_at) / 1000000))
  if [ "$status" -ne 0 ]; then
    fail drain_proxy_exits "exited with status $status"
  elif [ "$after" -gt 5000 ]; then
    fail drain_proxy_exits "exited ${after} ms after its last call ended"
  else
    pass "drain_proxy_exits (status 0, ${took} ms after SIGTERM, ${after} ms after the last call)"
  fi
fi
if refused "http://127.0.0.1:$plain_port/" && refused "https://127.0.0.1:$tls_port/" &&
  refused "$admin/healthz"; then
  pass drain_nothing_listens_after_exit
else
  fail drain_nothing_listens_after_exit "a listener or the admin port still accepted"
fi
# The drained calls are logged like the rest.
judge drain_access_log access_log "$access_log" "$ledger"

finish "bridge gateway:bridge" "mixed gateway:mixed"
