#!/usr/bin/python3
"""gRPC interop test client (grpcio).

Implements a subset of the cases of grpc's doc/interop-test-descriptions.md against any
grpc.testing.TestService server. Message classes are generated at run time from the grpc-proto
package's test protos into a temporary directory; calls go through grpcio's generic
multi-callables, so no grpc service stubs need generating.

usage: grpcio_client.py --server_host=H --server_port=P [--use_tls[=true|false]]
         [--ca_file=PEM] [--server_host_override=NAME] [--test_case=NAME|all]
Prints "PASS name" or "FAIL name: why" per case; exits 1 if any case failed, 2 on bad usage.
"""

import argparse
import queue
import sys
import tempfile

import grpc

from testing_protos import generate_messages

LARGE_REQUEST_SIZE = 271828
LARGE_RESPONSE_SIZE = 314159
REQUEST_SIZES = (27182, 8, 1828, 45904)
RESPONSE_SIZES = (31415, 9, 2653, 58979)
ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"
# Guards every call so a stuck server fails a case instead of hanging the run.
CALL_TIMEOUT = 10.0


class CaseFailure(Exception):
    pass


def check(ok, why):
    if not ok:
        raise CaseFailure(why)


def describe(err):
    return "%s %r" % (err.code().name, err.details())


def check_payload(payload, size, what, messages):
    check(payload.type == messages.COMPRESSABLE, what + ": payload type is not COMPRESSABLE")
    check(
        len(payload.body) == size,
        "%s: payload body is %d bytes, want %d" % (what, len(payload.body), size),
    )
    check(payload.body == bytes(size), what + ": payload body is not all zeros")


def single_value(metadata, key, what):
    values = [v for k, v in (metadata or ()) if k == key]
    check(values, "%s: no %s" % (what, key))
    check(len(values) == 1, "%s: more than one %s" % (what, key))
    return values[0]


def check_echo_metadata(call, what):
    initial = single_value(call.initial_metadata(), ECHO_INITIAL_KEY, what + " initial metadata")
    check(initial == ECHO_INITIAL_VALUE, "%s: initial %s is %r" % (what, ECHO_INITIAL_KEY, initial))
    trailing = single_value(
        call.trailing_metadata(), ECHO_TRAILING_KEY, what + " trailing metadata"
    )
    check(
        trailing == ECHO_TRAILING_VALUE,
        "%s: trailing %s is %r" % (what, ECHO_TRAILING_KEY, trailing),
    )


class RequestQueue:
    """A request iterator the test feeds one message at a time; close() half-closes."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def put(self, message):
        self._queue.put(message)

    def close(self):
        self._queue.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._END:
            raise StopIteration
        return item


class Cases:
    def __init__(self, channel, empty, messages):
        self.m = messages
        self.empty = empty

        def method(kind, name, request, response):
            return getattr(channel, kind)(
                "/grpc.testing.TestService/" + name,
                request_serializer=request.SerializeToString,
                response_deserializer=response.FromString,
            )

        self.empty_call = method("unary_unary", "EmptyCall", empty.Empty, empty.Empty)
        self.unary_call = method(
            "unary_unary", "UnaryCall", messages.SimpleRequest, messages.SimpleResponse
        )
        self.streaming_output_call = method(
            "unary_stream",
            "StreamingOutputCall",
            messages.StreamingOutputCallRequest,
            messages.StreamingOutputCallResponse,
        )
        self.full_duplex_call = method(
            "stream_stream",
            "FullDuplexCall",
            messages.StreamingOutputCallRequest,
            messages.StreamingOutputCallResponse,
        )

    def streaming_request(self, response_size, payload_size):
        request = self.m.StreamingOutputCallRequest()
        request.response_parameters.add(size=response_size)
        request.payload.body = bytes(payload_size)
        return request

    def large_request(self):
        return self.m.SimpleRequest(
            response_size=LARGE_RESPONSE_SIZE,
            payload=self.m.Payload(body=bytes(LARGE_REQUEST_SIZE)),
        )

    def empty_unary(self):
        try:
            response = self.empty_call(self.empty.Empty(), timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            raise CaseFailure("EmptyCall failed: " + describe(err)) from None
        check(response is not None, "EmptyCall returned no response")
        check(response.ByteSize() == 0, "EmptyCall response is not empty")

    def large_unary(self):
        try:
            response = self.unary_call(self.large_request(), timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            raise CaseFailure("UnaryCall failed: " + describe(err)) from None
        check_payload(response.payload, LARGE_RESPONSE_SIZE, "UnaryCall", self.m)

    def server_streaming(self):
        request = self.m.StreamingOutputCallRequest()
        for size in RESPONSE_SIZES:
            request.response_parameters.add(size=size)
        responses = []
        try:
            for response in self.streaming_output_call(request, timeout=CALL_TIMEOUT):
                responses.append(response)
        except grpc.RpcError as err:
            raise CaseFailure("StreamingOutputCall failed: " + describe(err)) from None
        check(
            len(responses) == len(RESPONSE_SIZES),
            "StreamingOutputCall: %d responses, want 4" % len(responses),
        )
        for i, (response, size) in enumerate(zip(responses, RESPONSE_SIZES)):
            what = "StreamingOutputCall response %d" % (i + 1)
            check_payload(response.payload, size, what, self.m)

    def ping_pong(self):
        requests = RequestQueue()
        call = self.full_duplex_call(requests, timeout=CALL_TIMEOUT)
        try:
            for i, (request_size, response_size) in enumerate(zip(REQUEST_SIZES, RESPONSE_SIZES)):
                requests.put(self.streaming_request(response_size, request_size))
                what = "FullDuplexCall message %d" % (i + 1)
                response = next(call, None)
                check(response is not None, what + ": no reply")
                check_payload(response.payload, response_size, what, self.m)
            requests.close()
            extra = sum(1 for _ in call)
        except grpc.RpcError as err:
            raise CaseFailure("FullDuplexCall failed: " + describe(err)) from None
        finally:
            requests.close()
            call.cancel()  # no-op once finished; ends the call on an early failure
        check(call.code() == grpc.StatusCode.OK, "FullDuplexCall ended with " + str(call.code()))
        check(extra == 0, "FullDuplexCall: %d responses, want 4" % (4 + extra))

    def status_code_and_message(self):
        message = "test status message"
        status = self.m.EchoStatus(code=2, message=message)
        try:
            self.unary_call(self.m.SimpleRequest(response_status=status), timeout=CALL_TIMEOUT)
            raise CaseFailure("UnaryCall: want UNKNOWN, got OK")
        except grpc.RpcError as err:
            check(
                err.code() == grpc.StatusCode.UNKNOWN,
                "UnaryCall: want UNKNOWN, got " + describe(err),
            )
            check(err.details() == message, "UnaryCall: status message is %r" % err.details())

        request = self.m.StreamingOutputCallRequest(response_status=status)
        call = self.full_duplex_call(iter([request]), timeout=CALL_TIMEOUT)
        try:
            for _ in call:
                pass
            raise CaseFailure("FullDuplexCall: want UNKNOWN, got OK")
        except grpc.RpcError as err:
            check(
                err.code() == grpc.StatusCode.UNKNOWN,
                "FullDuplexCall: want UNKNOWN, got " + describe(err),
            )
            check(err.details() == message, "FullDuplexCall: status message is %r" % err.details())

    def custom_metadata(self):
        metadata = (
            (ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE),
            (ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE),
        )
        try:
            response, call = self.unary_call.with_call(
                self.large_request(), metadata=metadata, timeout=CALL_TIMEOUT
            )
        except grpc.RpcError as err:
            raise CaseFailure("UnaryCall failed: " + describe(err)) from None
        check_payload(response.payload, LARGE_RESPONSE_SIZE, "UnaryCall", self.m)
        check_echo_metadata(call, "UnaryCall")

        request = self.streaming_request(LARGE_RESPONSE_SIZE, LARGE_REQUEST_SIZE)
        call = self.full_duplex_call(iter([request]), metadata=metadata, timeout=CALL_TIMEOUT)
        try:
            responses = list(call)
        except grpc.RpcError as err:
            raise CaseFailure("FullDuplexCall failed: " + describe(err)) from None
        check(len(responses) == 1, "FullDuplexCall: %d responses, want 1" % len(responses))
        check_payload(responses[0].payload, LARGE_RESPONSE_SIZE, "FullDuplexCall", self.m)
        check_echo_metadata(call, "FullDuplexCall")


CASES = (
    "empty_unary",
    "large_unary",
    "server_streaming",
    "ping_pong",
    "status_code_and_message",
    "custom_metadata",
)


def parse_bool(text):
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise argparse.ArgumentTypeError("want true or false, got %r" % text)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="gRPC interop test client (grpcio)")
    parser.add_argument("--server_host", default="localhost")
    parser.add_argument("--server_port", required=True, type=int)
    parser.add_argument("--use_tls", type=parse_bool, nargs="?", const=True, default=False)
    parser.add_argument("--ca_file", default="")
    parser.add_argument("--server_host_override", default="")
    parser.add_argument("--test_case", default="all", choices=("all",) + CASES)
    args = parser.parse_args(argv)
    if args.ca_file and not args.use_tls:
        parser.error("--ca_file needs --use_tls")
    return args


def make_channel(args):
    host = args.server_host
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    target = "%s:%d" % (host, args.server_port)
    options = []
    if args.use_tls:
        root = None
        if args.ca_file:
            with open(args.ca_file, "rb") as f:
                root = f.read()
        if args.server_host_override:
            # Names the certificate must match and the :authority to send.
            options.append(("grpc.ssl_target_name_override", args.server_host_override))
        return grpc.secure_channel(target, grpc.ssl_channel_credentials(root), options)
    if args.server_host_override:
        options.append(("grpc.default_authority", args.server_host_override))
    return grpc.insecure_channel(target, options)


def main(argv):
    args = parse_args(argv)
    selected = CASES if args.test_case == "all" else (args.test_case,)
    with tempfile.TemporaryDirectory(prefix="grpcio-interop-") as out_dir:
        empty, messages = generate_messages(out_dir)
        with make_channel(args) as channel:
            cases = Cases(channel, empty, messages)
            failed = 0
            for name in selected:
                try:
                    getattr(cases, name)()
                    print("PASS " + name, flush=True)
                except (CaseFailure, grpc.RpcError) as err:
                    failed += 1
                    print("FAIL %s: %s" % (name, err), flush=True)
    print("%d passed, %d failed" % (len(selected) - failed, failed), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
