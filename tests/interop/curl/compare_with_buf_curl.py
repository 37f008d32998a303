#!/usr/bin/env python3
"""triplex curl against buf curl: the same calls must give the same answers.

Starts triplex-interop-server (plaintext for HTTP/1.1, TLS for HTTP/2 by ALPN
and HTTP/3) and `triplex eliza`, then runs a table of calls -- unary, server,
client and bidi streaming, success and error, with --schema and with server
reflection -- through both tools, for each protocol the HTTP version allows,
and compares the response messages (as JSON values), the exit status, and
for errors the code and message printed on stderr.

Prints "PASS name" / "FAIL name: why" per call; exits 1 if any failed and 77
(skipped) when buf is missing.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

CALL_TIMEOUT = 30


def json_values(text):
    """Every JSON value in `text`, in order (the tools print one per message)."""
    decoder = json.JSONDecoder()
    values, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return values
        try:
            value, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            # A line of prose (a tool's own complaint): skip it.
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl + 1
            continue
        values.append(value)


def start(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    match = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not match:
        proc.kill()
        sys.exit(f"server did not say its port: {line!r}")
    return proc, int(match.group(1))


def run(cmd, stdin=None):
    try:
        done = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              timeout=CALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    return done.returncode, done.stdout, done.stderr


def outcome(result):
    code, out, err = result
    error = None
    if code != 0:
        errors = [v for v in json_values(err) if isinstance(v, dict) and "code" in v]
        error = (errors[-1].get("code"), errors[-1].get("message")) if errors else None
    return code, json_values(out), error


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--triplex", required=True)
    parser.add_argument("--interop-server", required=True)
    parser.add_argument("--buf", required=True)
    parser.add_argument("--protoc", default="protoc")
    parser.add_argument("--proto-root", default="/usr/share/grpc-proto")
    args = parser.parse_args()
    if not os.access(args.buf, os.X_OK):
        print(f"SKIP: buf not found at {args.buf}")
        return 77

    tmp = tempfile.mkdtemp(prefix="curl-compare-")
    schema = os.path.join(tmp, "testing.binpb")
    subprocess.run([args.protoc, f"-I{args.proto_root}", "--include_imports", "-o", schema,
                    "grpc/testing/test.proto"], check=True)

    plain, plain_port = start([args.interop_server, "--plaintext", "--listen", "127.0.0.1:0"])
    tls, tls_port = start([args.interop_server, "--self-signed", "--listen", "127.0.0.1:0"])
    eliza, eliza_port = start([args.triplex, "eliza", "--self-signed", "--listen",
                               "127.0.0.1:0"])
    servers = [plain, tls, eliza]

    # HTTP version -> (URL base for interop, URL base for eliza, buf flags, triplex flags).
    versions = {
        "h1": (f"http://127.0.0.1:{plain_port}", None, [], ["--http1.1"]),
        "h2": (f"https://localhost:{tls_port}", f"https://localhost:{eliza_port}", ["-k"],
               ["-k"]),
        "h3": (f"https://localhost:{tls_port}", f"https://localhost:{eliza_port}",
               ["-k", "--http3"], ["-k", "--http3"]),
    }
    svc = "grpc.testing.TestService"
    stream_in = '{"payload":{"body":"AAAA"}}\n{"payload":{"body":"AA=="}}\n'
    duplex_in = '{"response_parameters":[{"size":2}]}\n{"response_parameters":[{"size":1}]}\n'
    # name, service URL path, data argument, stdin, needs full duplex or client streaming,
    # uses reflection (no --schema), eliza.
    calls = [
        ("unary", f"{svc}/UnaryCall", '{"response_size":5,"payload":{"body":"aGk="}}', None,
         False, False, False),
        ("unary_error", f"{svc}/UnaryCall",
         '{"response_status":{"code":5,"message":"gone \\u2713"}}', None, False, False, False),
        ("empty", f"{svc}/EmptyCall", "{}", None, False, False, False),
        ("server_streaming", f"{svc}/StreamingOutputCall",
         '{"response_parameters":[{"size":3},{"size":1}]}', None, False, False, False),
        ("server_streaming_error", f"{svc}/StreamingOutputCall",
         '{"response_parameters":[{"size":3}],"response_status":{"code":9,"message":"no"}}',
         None, False, False, False),
        ("client_streaming", f"{svc}/StreamingInputCall", "@-", stream_in, True, False, False),
        ("bidi", f"{svc}/FullDuplexCall", "@-", duplex_in, True, False, False),
        ("reflection_unary", f"{svc}/UnaryCall", '{"response_size":2}', None, False, True,
         False),
        ("eliza_introduce", "connectrpc.eliza.v1.ElizaService/Introduce", '{"name":"Ada"}',
         None, False, True, True),
    ]
    expected = {"unary_error": "not_found", "server_streaming_error": "failed_precondition"}
    passed = failed = 0
    try:
        for version, (base, eliza_base, buf_flags, our_flags) in versions.items():
            for protocol in ("connect", "grpc", "grpcweb"):
                if version == "h1" and protocol == "grpc":
                    continue  # buf curl speaks gRPC over HTTP/2 only
                for name, path, data, stdin, duplex, reflect, is_eliza in calls:
                    if duplex and version == "h1":
                        continue  # HTTP/1.1 is half-duplex
                    target = eliza_base if is_eliza else base
                    if target is None:
                        continue
                    common = ["--protocol", protocol, "-d", data]
                    if not reflect:
                        common += ["--schema", schema]
                    url = f"{target}/{path}"
                    label = f"{name}_{protocol}_{version}"
                    theirs = run([args.buf, "curl", *buf_flags, *common, url], stdin)
                    ours = run([args.triplex, "curl", *our_flags, *common, url], stdin)
                    if theirs is None or ours is None:
                        print(f"FAIL {label}: {'buf' if theirs is None else 'triplex'} timed out")
                        failed += 1
                        continue
                    a, b = outcome(theirs), outcome(ours)
                    want = expected.get(name, "ok")
                    got = "ok" if a[0] == 0 and a[1] else (a[2][0] if a[2] else f"exit {a[0]}")
                    if got != want:
                        # Agreeing on the wrong answer (a server that never started) is no pass.
                        print(f"FAIL {label}: buf says {got}, expected {want}")
                        failed += 1
                        continue
                    if a == b:
                        print(f"PASS {label}")
                        passed += 1
                    else:
                        print(f"FAIL {label}: buf {a} vs triplex {b}\n  buf stderr: "
                              f"{theirs[2].strip()[:300]}\n  triplex stderr: "
                              f"{ours[2].strip()[:300]}")
                        failed += 1
    finally:
        for proc in servers:
            proc.send_signal(signal.SIGTERM)
        for proc in servers:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
