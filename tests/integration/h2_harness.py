"""Shared pieces of the HTTP/2 integration tests.

ServerProcess starts the interop server on an ephemeral loopback port and stops
exactly that process. H2Client is a small gRPC client on a raw socket and
python-h2 that can be told to misbehave: it sends headers unvalidated, can
withhold WINDOW_UPDATEs and PING ACKs, and keeps working after a GOAWAY (h2
itself closes its state machine on GOAWAY, which would hide the calls a
graceful GOAWAY must let finish), so GOAWAY and PING frames are split off the
byte stream and recorded here before the rest is fed to h2.
"""

import argparse
import os
import select
import socket
import sys
import time
import unittest

import h2.config
import h2.connection
import h2.events
import h2.exceptions

import server_process

_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_SERVER = os.path.join(_HERE, '..', '..', 'build', 'bin', 'triplex-interop-server')
SERVER_BINARY = os.environ.get('TRIPLEX_INTEROP_SERVER', _DEFAULT_SERVER)

# Frame types and flags (RFC 9113).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9)
FLAG_END_STREAM, FLAG_ACK, FLAG_END_HEADERS = 0x1, 0x1, 0x4

# Error codes.
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = (
    0x0, 0x1, 0x2, 0x7, 0x8, 0xb)
MAX_STREAM_ID = 2**31 - 1
SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_HEADER_LIST_SIZE = (
    0x3, 0x4, 0x6)

# gRPC status codes used here.
OK, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL = 0, 8, 12, 13

TEST_SERVICE = '/grpc.testing.TestService/'


def main():
    """unittest.main, plus --server PATH for the binary under test."""
    global SERVER_BINARY
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--server', default=SERVER_BINARY)
    args, rest = parser.parse_known_args()
    SERVER_BINARY = args.server
    unittest.main(module='__main__', argv=[sys.argv[0]] + rest)


# --- server process -------------------------------------------------------------------------

class ServerProcess(server_process.ServerProcess):
    """The interop server (h2c) on 127.0.0.1 with an OS-chosen port."""

    def __init__(self, *flags, startup_timeout=10.0):
        super().__init__([SERVER_BINARY, '--plaintext', '--listen', '127.0.0.1:0', *flags],
                         rb'listening on 127\.0\.0\.1:(\d+) ', startup_timeout)

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after grace seconds. Returns the exit code."""
        self.terminate()
        code = self.wait(grace)
        if code is None:
            self.kill()
            code = self.proc.returncode
        return code


# --- protobuf by hand -----------------------------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7f
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, value):
    return varint(number << 3 | 2) + varint(len(value)) + value


def parse_fields(data):
    """[(field number, value)] of one message; value is int or bytes."""
    fields, i = [], 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 2:
            n, i = _read_varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError('wire type %d' % wire)
        fields.append((number, value))
    return fields


def _read_varint(data, i):
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7f) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def simple_request(response_size=0, payload_size=0):
    """grpc.testing.SimpleRequest."""
    msg = b''
    if response_size:
        msg += field_varint(2, response_size)
    if payload_size:
        msg += field_bytes(3, field_bytes(2, b'\0' * payload_size))
    return msg


def streaming_output_request(*responses):
    """grpc.testing.StreamingOutputCallRequest; responses are (size, interval_us)."""
    msg = b''
    for size, interval_us in responses:
        params = field_varint(1, size)
        if interval_us:
            params += field_varint(2, interval_us)
        msg += field_bytes(2, params)
    return msg


def response_payload_size(msg):
    """Body size of the payload (field 1) of a SimpleResponse/StreamingOutputCallResponse."""
    for number, value in parse_fields(msg):
        if number == 1:
            for n, v in parse_fields(value):
                if n == 2:
                    return len(v)
            return 0
    return 0


def envelope(msg, flags=0, declared=None):
    """A gRPC length-prefixed message; declared overrides the length field."""
    length = len(msg) if declared is None else declared
    return bytes([flags]) + length.to_bytes(4, 'big') + msg


def split_envelopes(data):
    out, i = [], 0
    while i + 5 <= len(data):
        n = int.from_bytes(data[i + 1:i + 5], 'big')
        out.append((data[i], bytes(data[i + 5:i + 5 + n])))
        i += 5 + n
    return out


# --- HTTP/2 client --------------------------------------------------------------------------

class Stream:
    """What arrived on one request stream."""

    def __init__(self, stream_id):
        self.id = stream_id
        self.headers = None
        self.trailers = None
        self.data = bytearray()
        self.ended = False
        self.reset = None  # RST_STREAM error code from the server
        self.frames = []  # (type, flags) of every frame received on this stream

    @property
    def done(self):
        return self.ended or self.reset is not None

    @property
    def http_status(self):
        return None if self.headers is None else self.headers.get(':status')

    @property
    def grpc_status(self):
        """grpc-status from the trailers, or from the headers of a Trailers-Only response."""
        for block in (self.trailers, self.headers):
            if block and 'grpc-status' in block:
                return int(block['grpc-status'])
        return None

    @property
    def trailers_only(self):
        """True when the whole response was one HEADERS frame with END_STREAM.

        A RST_STREAM(NO_ERROR) may follow: a server that answered before the
        request ended uses it to stop the rest of the request (RFC 9113 8.1).
        """
        headers = [f for f in self.frames if f[0] in (HEADERS, CONTINUATION)]
        return (len(headers) == 1 and bool(headers[0][1] & FLAG_END_STREAM) and
                not any(f[0] == DATA for f in self.frames) and self.trailers is None and
                self.reset in (None, NO_ERROR))

    def messages(self):
        return [msg for _, msg in split_envelopes(self.data)]

    def __repr__(self):
        return ('Stream(id=%d, headers=%r, trailers=%r, data=%d bytes, ended=%r, reset=%r)' %
                (self.id, self.headers, self.trailers, len(self.data), self.ended, self.reset))


class Goaway:
    def __init__(self, at, last_stream_id, error_code, debug):
        self.at, self.last_stream_id, self.error_code, self.debug = (
            at, last_stream_id, error_code, debug)

    def __repr__(self):
        return 'Goaway(last_stream_id=%d, error_code=%#x, debug=%r)' % (
            self.last_stream_id, self.error_code, self.debug)


class H2Client:
    """One HTTP/2 connection to the server.

    ack_data: return flow-control credit for received DATA (a client that never
    does keeps the server's send window closed). ack_pings: answer the server's
    PINGs. Every wait is bounded by a timeout.
    """

    def __init__(self, port, ack_data=True, ack_pings=True, timeout=5.0):
        self.ack_data = ack_data
        self.ack_pings = ack_pings
        self.timeout = timeout
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        config = h2.config.H2Configuration(
            client_side=True, header_encoding='utf-8', validate_outbound_headers=False,
            normalize_outbound_headers=False, validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config)
        self.streams = {}
        self.goaways = []
        self.pings = []  # (time, opaque data) of server PINGs
        self.ping_acks = []  # (time, opaque data) of ACKs to our PINGs
        self.remote_settings = {}
        self.received = []  # (time, type, flags, stream id) of every frame, in order
        self.closed_at = None  # when the server closed the connection
        self.send_failed = False
        self.protocol_errors = []
        self._inbound = b''
        self.conn.initiate_connection()
        self.flush()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    @property
    def closed(self):
        return self.closed_at is not None

    # Sending.

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.send_raw(data)

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.send_failed = True
            self._mark_closed()
        except socket.timeout:
            self.send_failed = True

    def start(self, path, headers=(), content_type='application/grpc', end_stream=False):
        """Opens a POST stream for path and returns its Stream."""
        sid = self.conn.get_next_available_stream_id()
        fields = [(':method', 'POST'), (':scheme', 'http'), (':path', path),
                  (':authority', '127.0.0.1')]
        if content_type is not None:
            fields.append(('content-type', content_type))
        fields.append(('te', 'trailers'))
        fields.extend(headers)
        stream = Stream(sid)
        self.streams[sid] = stream
        self.conn.send_headers(sid, fields, end_stream=end_stream)
        self.flush()
        return stream

    def send(self, stream, data, end_stream=False):
        """Request body bytes (small: never more than the peer's window)."""
        chunk = self.conn.max_outbound_frame_size
        for i in range(0, len(data), chunk):
            last = i + chunk >= len(data)
            self.conn.send_data(stream.id, data[i:i + chunk], end_stream=end_stream and last)
        if not data and end_stream:
            self.conn.end_stream(stream.id)
        self.flush()

    def end(self, stream):
        self.conn.end_stream(stream.id)
        self.flush()

    def ping(self, opaque=b'\0' * 8):
        self.conn.ping(opaque)
        self.flush()

    def call(self, method, message, headers=(), timeout=None, **kwargs):
        """A whole unary-style call: headers, one message, END_STREAM, response."""
        stream = self.start(TEST_SERVICE + method if not method.startswith('/') else method,
                            headers=headers, **kwargs)
        self.send(stream, envelope(message), end_stream=True)
        self.wait_for(lambda: stream.done, timeout)
        return stream

    # Receiving.

    def pump(self, timeout):
        """Reads and handles what arrives within timeout. False once the connection is gone."""
        if self.closed:
            return False
        try:
            ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
            if not ready:
                return True
            data = self.sock.recv(1 << 16)
        except (ConnectionResetError, OSError):
            data = b''
        if not data:
            self._mark_closed()
            return False
        self._on_bytes(data)
        self.flush()
        return True

    def wait_for(self, predicate, timeout=None):
        """Pumps until predicate() holds, the connection closes or timeout passes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.05)):
                break
        return predicate()

    def wait_closed(self, timeout):
        return self.wait_for(lambda: self.closed, timeout)

    def frame_types(self):
        return [ftype for _, ftype, _, _ in self.received]

    def idle(self, seconds):
        """Keeps reading (and answering, as configured) for this long."""
        self.wait_for(lambda: False, seconds)

    def _mark_closed(self):
        if self.closed_at is None:
            self.closed_at = time.monotonic()

    def _on_bytes(self, data):
        self._inbound += data
        while len(self._inbound) >= 9:
            length = int.from_bytes(self._inbound[:3], 'big')
            if len(self._inbound) < 9 + length:
                break
            raw = self._inbound[:9 + length]
            self._inbound = self._inbound[9 + length:]
            self._on_frame(raw)

    def _on_frame(self, raw):
        now = time.monotonic()
        ftype, flags = raw[3], raw[4]
        sid = int.from_bytes(raw[5:9], 'big') & MAX_STREAM_ID
        payload = raw[9:]
        self.received.append((now, ftype, flags, sid))
        if ftype == GOAWAY:
            self.goaways.append(Goaway(now, int.from_bytes(payload[:4], 'big') & MAX_STREAM_ID,
                                       int.from_bytes(payload[4:8], 'big'), bytes(payload[8:])))
            return
        if ftype == PING:
            if flags & FLAG_ACK:
                self.ping_acks.append((now, bytes(payload)))
                return
            self.pings.append((now, bytes(payload)))
            if not self.ack_pings:
                return  # h2 would ACK it
        if sid in self.streams:
            self.streams[sid].frames.append((ftype, flags))
            if ftype == RST_STREAM and self.streams[sid].reset is None:
                # Recorded here too: h2 reports no event for a reset of a stream it sees closed.
                self.streams[sid].reset = int.from_bytes(payload[:4], 'big')
        try:
            events = self.conn.receive_data(raw)
        except h2.exceptions.ProtocolError as e:
            self.protocol_errors.append(e)
            return
        for event in events:
            self._on_event(event)

    def _on_event(self, event):
        stream = self.streams.get(getattr(event, 'stream_id', None))
        if isinstance(event, h2.events.ResponseReceived) and stream:
            stream.headers = dict(event.headers)
        elif isinstance(event, h2.events.TrailersReceived) and stream:
            stream.trailers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            if stream:
                stream.data += event.data
            if self.ack_data:
                self.conn.acknowledge_received_data(event.flow_controlled_length,
                                                    event.stream_id)
        elif isinstance(event, h2.events.StreamEnded) and stream:
            stream.ended = True
        elif isinstance(event, h2.events.StreamReset) and stream:
            stream.reset = event.error_code
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            for setting, change in event.changed_settings.items():
                self.remote_settings[int(setting)] = change.new_value


PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
EMPTY_SETTINGS = b'\x00\x00\x00\x04\x00\x00\x00\x00\x00'


def parse_frames(data):
    """[(type, flags, stream id, payload)] of whole frames in data."""
    frames, i = [], 0
    while i + 9 <= len(data):
        length = int.from_bytes(data[i:i + 3], 'big')
        if i + 9 + length > len(data):
            break
        sid = int.from_bytes(data[i + 5:i + 9], 'big') & MAX_STREAM_ID
        frames.append((data[i + 3], data[i + 4], sid, bytes(data[i + 9:i + 9 + length])))
        i += 9 + length
    return frames


def read_to_eof(sock, timeout):
    """(everything read, True if the peer closed) within timeout seconds."""
    deadline = time.monotonic() + timeout
    data = b''
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk


def unary_ok(port, response_size=16, timeout=5.0):
    """A well-behaved UnaryCall on a new connection; returns the Stream (check .grpc_status)."""
    client = H2Client(port, timeout=timeout)
    try:
        return client.call('UnaryCall', simple_request(response_size=response_size))
    finally:
        client.close()


class ServerTestCase(unittest.TestCase):
    """Helpers shared by the test files."""

    def client(self, port, **kwargs):
        c = H2Client(port, **kwargs)
        self.addCleanup(c.close)
        return c

    def assertHealthy(self, port, response_size=16):
        """A separate, well-behaved connection still gets OK and the payload it asked for."""
        stream = unary_ok(port, response_size)
        self.assertTrue(stream.done, stream)
        self.assertEqual(stream.http_status, '200', stream)
        self.assertEqual(stream.grpc_status, OK, stream)
        messages = stream.messages()
        self.assertEqual(len(messages), 1, stream)
        self.assertEqual(response_payload_size(messages[0]), response_size)
