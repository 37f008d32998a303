#!/usr/bin/env python3
"""Judges one response captured by curl_connect.sh; prints why it fails and exits 1 if it does.

usage:
  check_http.py say PREFIX --version V --encoding json|proto [--get]
      PREFIX.{h,b,w} hold curl's header dump (-D), body (-o) and `%{http_code} %{http_version}`
      (-w). Wants HTTP 200 over version V, the content type of the encoding and an ELIZA reply
      (a non-empty sentence unlike the input). With --get also an ETag, printed on stdout.
  check_http.py revalidate PREFIX --version V --etags LIST
      A conditional GET: exit 0 for 304 (with one of the ETags), 3 for 200 (prints the new
      ETag: the reply varies between calls, so the caller retries with it added).
  check_http.py grpc-unary PREFIX --size N
      gRPC over HTTP/1.1 without TE: 200, grpc-status 0 among the headers, a content-length
      matching the body, and one message whose payload has N bytes.
  check_http.py grpc-error PREFIX --code C --message M
      503 with grpc-status C, grpc-message M (percent-decoded) and grpc-status-details-bin.
  check_http.py grpc-needs-te PREFIX
      503 with grpc-status 12 and a grpc-message that mentions TE: trailers.
  check_http.py grpc-stream PREFIX --sizes N,N,...
      Streaming over HTTP/1.1 with TE: trailers: 200, chunked, one message per size, and
      grpc-status 0 in the trailers.
  check_http.py buf say|introduce|converse FILE
      The JSON messages buf curl printed.
"""
import argparse
import base64
import json
import sys
import urllib.parse

SAY_INPUT = "I feel happy"


class Fail(Exception):
    pass


def need(condition, why):
    if not condition:
        raise Fail(why)


# --- curl's captures ------------------------------------------------------------------------
class Response:
    def __init__(self, prefix):
        with open(prefix + ".w", encoding="utf-8") as f:
            written = f.read().split()
        self.status = int(written[0]) if written else 0
        self.version = written[1] if len(written) > 1 else "?"
        with open(prefix + ".b", "rb") as f:
            self.body = f.read()
        with open(prefix + ".h", "rb") as f:
            blocks = parse_header_dump(f.read().decode("latin-1"))
        # Interim (1xx) responses come first; then the response head, then any trailers.
        while len(blocks) > 1 and blocks[0][0] is not None and 100 <= blocks[0][0] < 200:
            blocks.pop(0)
        self.headers = blocks[0][1] if blocks else []
        self.trailers = [kv for _, fields in blocks[1:] for kv in fields]

    def header(self, name):
        return first(self.headers, name)

    def trailer(self, name):
        return first(self.trailers, name)

    def describe(self):
        heads = "; ".join("%s: %s" % kv for kv in self.headers)
        trails = "; ".join("%s: %s" % kv for kv in self.trailers)
        body = self.body[:120]
        return "HTTP/%s %d [%s] trailers [%s] body %r" % (
            self.version, self.status, heads, trails, body)


def parse_header_dump(text):
    """Splits curl's -D output into [(status or None, [(name, value)])] blocks."""
    blocks, status, fields = [], None, None
    for line in text.replace("\r\n", "\n").split("\n"):
        if line == "":
            if fields is not None:
                blocks.append((status, fields))
            status, fields = None, None
            continue
        if fields is None:
            fields = []
            if line.startswith("HTTP/"):
                parts = line.split()
                status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
                continue
        name, _, value = line.partition(":")
        fields.append((name.strip().lower(), value.strip()))
    if fields is not None:
        blocks.append((status, fields))
    return blocks


def first(fields, name):
    for k, v in fields:
        if k == name:
            return v
    return None


# --- protobuf, just enough ------------------------------------------------------------------
def varint(data, pos):
    result, shift = 0, 0
    while True:
        need(pos < len(data), "truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields_of(data):
    """Decodes one message level into {field number: [values]} (varints and bytes only)."""
    out, pos = {}, 0
    while pos < len(data):
        tag, pos = varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 2:
            length, pos = varint(data, pos)
            need(pos + length <= len(data), "truncated field")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise Fail("unexpected wire type %d" % wire)
        out.setdefault(number, []).append(value)
    return out


def payload_size(message):
    """Payload body size of a SimpleResponse / StreamingOutputCallResponse (field 1)."""
    payload = fields_of(message).get(1, [b""])[0]
    return len(fields_of(payload).get(2, [b""])[0])


def grpc_frames(body):
    frames, pos = [], 0
    while pos < len(body):
        need(pos + 5 <= len(body), "truncated gRPC frame header")
        flags, length = body[pos], int.from_bytes(body[pos + 1:pos + 5], "big")
        need(flags == 0, "frame flags %#x (compressed or unknown)" % flags)
        need(pos + 5 + length <= len(body), "truncated gRPC frame")
        frames.append(body[pos + 5:pos + 5 + length])
        pos += 5 + length
    return frames


# --- checks ---------------------------------------------------------------------------------
def check_reply(sentence):
    need(isinstance(sentence, str) and sentence, "empty sentence")
    need(sentence.strip() != SAY_INPUT, "the reply repeats the input")


def check_say(args):
    r = Response(args.prefix)
    need(r.version == args.version, "HTTP/%s, want HTTP/%s" % (r.version, args.version))
    need(r.status == 200, "status %d: %s" % (r.status, r.describe()))
    want_type = "application/" + args.encoding
    need((r.header("content-type") or "").split(";")[0] == want_type,
         "content-type %r, want %s" % (r.header("content-type"), want_type))
    if args.encoding == "json":
        try:
            message = json.loads(r.body.decode("utf-8"))
        except ValueError as err:
            raise Fail("body is not JSON (%s): %r" % (err, r.body[:120]))
        need(isinstance(message, dict), "body is not a JSON object")
        check_reply(message.get("sentence"))
    else:
        sentence = fields_of(r.body).get(1, [b""])[0]
        check_reply(sentence.decode("utf-8"))
    if args.get:
        etag = r.header("etag")
        need(etag, "no ETag on a GET response: " + r.describe())
        print(etag)


def check_revalidate(args):
    r = Response(args.prefix)
    need(r.version == args.version, "HTTP/%s, want HTTP/%s" % (r.version, args.version))
    if r.status == 304:
        etag = r.header("etag")
        need(etag in args.etags.split(", "), "304 with ETag %r, sent %s" % (etag, args.etags))
        need(not r.body, "304 with a body")
        return 0
    need(r.status == 200, "status %d: %s" % (r.status, r.describe()))
    etag = r.header("etag")
    need(etag and etag not in args.etags.split(", "),
         "200 with ETag %r although If-None-Match was %s" % (etag, args.etags))
    print(etag)
    return 3


def check_grpc_unary(args):
    r = Response(args.prefix)
    need(r.version == "1.1", "HTTP/%s, want HTTP/1.1" % r.version)
    need(r.status == 200, "status %d: %s" % (r.status, r.describe()))
    need(r.header("grpc-status") == "0", "no grpc-status 0 among the headers: " + r.describe())
    length = r.header("content-length")
    need(length is not None, "no content-length: " + r.describe())
    need(int(length) == len(r.body), "content-length %s, body %d bytes" % (length, len(r.body)))
    frames = grpc_frames(r.body)
    need(len(frames) == 1, "%d messages, want 1" % len(frames))
    need(payload_size(frames[0]) == args.size,
         "payload of %d bytes, want %d" % (payload_size(frames[0]), args.size))


def check_grpc_error(args):
    r = Response(args.prefix)
    need(r.version == "1.1", "HTTP/%s, want HTTP/1.1" % r.version)
    need(r.status == 503, "status %d, want 503: %s" % (r.status, r.describe()))
    need(r.header("grpc-status") == str(args.code),
         "grpc-status %r, want %d: %s" % (r.header("grpc-status"), args.code, r.describe()))
    message = urllib.parse.unquote(r.header("grpc-message") or "")
    need(message == args.message, "grpc-message %r, want %r" % (message, args.message))
    details = r.header("grpc-status-details-bin")
    need(details, "no grpc-status-details-bin: " + r.describe())
    status = fields_of(base64.b64decode(details + "=" * (-len(details) % 4)))
    need(status.get(1, [0])[0] == args.code, "google.rpc.Status.code differs")


def check_grpc_needs_te(args):
    r = Response(args.prefix)
    need(r.version == "1.1", "HTTP/%s, want HTTP/1.1" % r.version)
    need(r.status == 503, "status %d, want 503: %s" % (r.status, r.describe()))
    need(r.header("grpc-status") == "12",
         "grpc-status %r, want 12: %s" % (r.header("grpc-status"), r.describe()))
    message = urllib.parse.unquote(r.header("grpc-message") or "")
    need("te: trailers" in message.lower(), "grpc-message %r does not mention TE: trailers"
         % message)


def check_grpc_stream(args):
    r = Response(args.prefix)
    need(r.version == "1.1", "HTTP/%s, want HTTP/1.1" % r.version)
    need(r.status == 200, "status %d: %s" % (r.status, r.describe()))
    need((r.header("transfer-encoding") or "").lower() == "chunked",
         "not chunked: " + r.describe())
    sizes = [payload_size(m) for m in grpc_frames(r.body)]
    want = [int(s) for s in args.sizes.split(",")]
    need(sizes == want, "payload sizes %s, want %s" % (sizes, want))
    need(r.trailer("grpc-status") == "0", "no grpc-status 0 trailer: " + r.describe())


def check_buf(args):
    text = open(args.file, encoding="utf-8").read()
    msgs, pos, decoder = [], 0, json.JSONDecoder()
    try:
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos == len(text):
                break
            msg, pos = decoder.raw_decode(text, pos)
            msgs.append(msg)
    except ValueError as err:
        raise Fail("output is not JSON (%s): %r" % (err, text[:200]))
    s = [m.get("sentence", "") if isinstance(m, dict) else "" for m in msgs]
    got = "; got: " + json.dumps(msgs)[:300]
    if args.what == "say":
        need(len(msgs) == 1, "want one reply" + got)
        check_reply(s[0])
    elif args.what == "introduce":
        need(len(msgs) >= 2, "want several replies" + got)
        need(all(s), "empty sentence" + got)
        need("Alice" in s[0], "the first sentence does not mention Alice" + got)
    else:
        need(len(msgs) == 2, "want two replies" + got)
        need(all(s), "empty sentence" + got)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("say")
    p.add_argument("prefix")
    p.add_argument("--version", required=True)
    p.add_argument("--encoding", choices=["json", "proto"], required=True)
    p.add_argument("--get", action="store_true")
    p = sub.add_parser("revalidate")
    p.add_argument("prefix")
    p.add_argument("--version", required=True)
    p.add_argument("--etags", required=True)
    p = sub.add_parser("grpc-unary")
    p.add_argument("prefix")
    p.add_argument("--size", type=int, required=True)
    p = sub.add_parser("grpc-error")
    p.add_argument("prefix")
    p.add_argument("--code", type=int, required=True)
    p.add_argument("--message", required=True)
    p = sub.add_parser("grpc-needs-te")
    p.add_argument("prefix")
    p = sub.add_parser("grpc-stream")
    p.add_argument("prefix")
    p.add_argument("--sizes", required=True)
    p = sub.add_parser("buf")
    p.add_argument("what", choices=["say", "introduce", "converse"])
    p.add_argument("file")
    args = parser.parse_args()
    check = {
        "say": check_say,
        "revalidate": check_revalidate,
        "grpc-unary": check_grpc_unary,
        "grpc-error": check_grpc_error,
        "grpc-needs-te": check_grpc_needs_te,
        "grpc-stream": check_grpc_stream,
        "buf": check_buf,
    }[args.mode]
    try:
        return check(args) or 0
    except Fail as err:
        print(err, file=sys.stderr)
        return 1
    except (OSError, ValueError, IndexError) as err:
        print("%s: %s" % (type(err).__name__, err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
