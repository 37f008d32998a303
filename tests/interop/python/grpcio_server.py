#!/usr/bin/python3
"""gRPC interop test server (grpcio): grpc.testing.TestService over h2c.

Implements the server side of grpc's doc/interop-test-descriptions.md on Debian's grpcio. Message
classes are generated at run time (testing_protos); the methods are registered through a generic
handler, so no grpc service stubs are needed. CompressedRequest (expect_compressed) is not checked:
grpcio does not tell a handler whether its request came compressed.

usage: grpcio_server.py [--port PORT]
Listens on 127.0.0.1 (port 0, the default, picks a free one), prints "listening on 127.0.0.1:PORT"
once serving, and stops on SIGTERM/SIGINT.
"""

import argparse
import concurrent.futures
import os
import signal
import sys
import tempfile
import threading
import time

import grpc

from testing_protos import generate_messages

ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"
CODES = {code.value[0]: code for code in grpc.StatusCode}
# In-flight calls get this long after SIGTERM before they are cancelled.
STOP_GRACE = 1.0


class Call:
    """One call's context with the bits every method needs: echoed metadata, compression set
    before the headers go out, and sleeps that end when the call does."""

    def __init__(self, context, extra_initial=()):
        self.context = context
        self.ended = threading.Event()
        if not context.add_callback(self.ended.set):
            self.ended.set()
        metadata = context.invocation_metadata()
        self.initial = tuple(extra_initial) + tuple(
            (k, v) for k, v in metadata if k == ECHO_INITIAL_KEY
        )
        trailing = tuple((k, v) for k, v in metadata if k == ECHO_TRAILING_KEY)
        if trailing:
            context.set_trailing_metadata(trailing)
        self.started = False

    def start(self, compress=False):
        """Sends the headers once; grpcio takes compression only before them."""
        if self.started:
            return
        self.started = True
        if compress:
            self.context.set_compression(grpc.Compression.Gzip)
        if self.initial:
            self.context.send_initial_metadata(self.initial)

    def abort_if_asked(self, request):
        """Ends the call with the status the request echoes (Status Code and Message)."""
        if request.HasField("response_status") and request.response_status.code != 0:
            status = request.response_status
            self.start()
            self.context.abort(CODES.get(status.code, grpc.StatusCode.UNKNOWN), status.message)

    def sleep(self, seconds):
        """False when the call went away meanwhile."""
        return not self.ended.wait(seconds)


class TestService:
    def __init__(self, empty, messages):
        self.empty = empty
        self.m = messages

    def payload(self, call, payload_type, size):
        if payload_type != self.m.COMPRESSABLE:
            call.context.abort(grpc.StatusCode.INVALID_ARGUMENT, "unsupported response_type")
        if size < 0:
            call.context.abort(grpc.StatusCode.INVALID_ARGUMENT, "negative response size")
        return self.m.Payload(type=payload_type, body=bytes(size))

    def responses(self, call, request):
        """One response per ResponseParameters, with its interval and compression."""
        call.abort_if_asked(request)
        call.start(compress=any(p.compressed.value for p in request.response_parameters))
        for params in request.response_parameters:
            if params.interval_us > 0 and not call.sleep(params.interval_us / 1e6):
                return
            payload = self.payload(call, request.response_type, params.size)
            if params.HasField("compressed") and not params.compressed.value:
                call.context.disable_next_message_compression()
            yield self.m.StreamingOutputCallResponse(payload=payload)

    def empty_call(self, _request, context):
        Call(context).start()
        return self.empty.Empty()

    def unary_call(self, request, context):
        call = Call(context)
        call.abort_if_asked(request)
        call.start(compress=request.response_compressed.value)
        payload = self.payload(call, request.response_type, request.response_size)
        return self.m.SimpleResponse(payload=payload)

    def cacheable_unary_call(self, _request, context):
        Call(context, extra_initial=(("cache-control", "max-age=60, public"),)).start()
        body = str(time.time_ns()).encode()
        return self.m.SimpleResponse(payload=self.m.Payload(body=body))

    def streaming_output_call(self, request, context):
        yield from self.responses(Call(context), request)

    def streaming_input_call(self, request_iterator, context):
        Call(context).start()
        total = sum(len(request.payload.body) for request in request_iterator)
        return self.m.StreamingInputCallResponse(aggregated_payload_size=total)

    def full_duplex_call(self, request_iterator, context):
        call = Call(context)
        for request in request_iterator:
            yield from self.responses(call, request)
        call.start()

    def half_duplex_call(self, request_iterator, context):
        """Like FullDuplexCall, but answers only once the client half-closes."""
        call = Call(context)
        requests = list(request_iterator)
        for request in requests:
            yield from self.responses(call, request)
        call.start()

    def unimplemented_call(self, _request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "UnimplementedCall is not implemented")


def test_service_handler(empty, messages):
    service = TestService(empty, messages)
    m = messages

    def handler(kind, behavior, request, response):
        return getattr(grpc, kind + "_rpc_method_handler")(
            behavior,
            request_deserializer=request.FromString,
            response_serializer=response.SerializeToString,
        )

    streaming_output = (m.StreamingOutputCallRequest, m.StreamingOutputCallResponse)
    methods = {
        "EmptyCall": handler("unary_unary", service.empty_call, empty.Empty, empty.Empty),
        "UnaryCall": handler("unary_unary", service.unary_call, m.SimpleRequest, m.SimpleResponse),
        "CacheableUnaryCall": handler(
            "unary_unary", service.cacheable_unary_call, m.SimpleRequest, m.SimpleResponse
        ),
        "StreamingOutputCall": handler(
            "unary_stream", service.streaming_output_call, *streaming_output
        ),
        "StreamingInputCall": handler(
            "stream_unary",
            service.streaming_input_call,
            m.StreamingInputCallRequest,
            m.StreamingInputCallResponse,
        ),
        "FullDuplexCall": handler("stream_stream", service.full_duplex_call, *streaming_output),
        "HalfDuplexCall": handler("stream_stream", service.half_duplex_call, *streaming_output),
        "UnimplementedCall": handler(
            "unary_unary", service.unimplemented_call, empty.Empty, empty.Empty
        ),
    }
    return grpc.method_handlers_generic_handler("grpc.testing.TestService", methods)


def main(argv):
    parser = argparse.ArgumentParser(description="gRPC interop test server (grpcio, h2c)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    # The signal may land on any of grpcio's threads; the handler only flags it for main.
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    with tempfile.TemporaryDirectory(prefix="grpcio-interop-") as out_dir:
        empty, messages = generate_messages(out_dir)  # imported: the files can go

    # Streaming calls hold a thread each for as long as they last.
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=64))
    server.add_generic_rpc_handlers((test_service_handler(empty, messages),))
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    if port == 0:
        sys.exit("grpcio_server: cannot listen on 127.0.0.1:%d" % args.port)
    server.start()
    print("listening on 127.0.0.1:%d" % port, flush=True)

    # Python runs signal handlers on the main thread between bytecodes: wait in short slices.
    while not stopping.wait(0.1):
        pass
    server.stop(STOP_GRACE).wait()
    sys.stdout.flush()
    # Every call has ended; skip the interpreter's teardown, which joins the executor's threads
    # and unwinds grpcio's, for a prompt exit.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
