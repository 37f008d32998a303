"""Misbehaving HTTP/2 and gRPC clients against the interop server.

Each test breaks one rule on its own connection and checks the precise answer
(status codes, RST/GOAWAY codes), then checks that a separate, well-behaved
connection still gets a successful UnaryCall: one bad client must never take
the server down with it.
"""

import select
import time

import h2_harness as h
from h2_harness import OK, INTERNAL, RESOURCE_EXHAUSTED, UNIMPLEMENTED

MIB = 1 << 20


class MisbehavingClientTest(h.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        # A short drain keeps shutdown quick should a test leave a call stuck.
        cls.server = h.ServerProcess('--drain-timeout-ms', '2000')
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError('server exited with %r after SIGTERM' % code)

    def tearDown(self):
        self.assertTrue(self.server.alive(), 'server died')

    # --- gRPC framing -----------------------------------------------------------------------

    def test_truncated_envelope_is_internal(self):
        """The request ends 90 bytes short of what its prefix declared."""
        c = self.client(self.port)
        stream = c.start(h.TEST_SERVICE + 'UnaryCall')
        c.send(stream, h.envelope(b'x' * 10, declared=100), end_stream=True)
        self.assertTrue(c.wait_for(lambda: stream.done), stream)
        self.assertEqual(stream.http_status, '200', stream)
        self.assertEqual(stream.grpc_status, INTERNAL, stream)
        self.assertHealthy(self.port)

    def test_length_prefix_over_limit_is_answered_without_the_body(self):
        """A 4 GiB declaration is refused from the prefix alone; the body never comes."""
        c = self.client(self.port)
        stream = c.start(h.TEST_SERVICE + 'UnaryCall')
        c.send(stream, bytes([0]) + (0xFFFFFFF0).to_bytes(4, 'big'))  # no END_STREAM
        self.assertTrue(c.wait_for(lambda: stream.done, 3), stream)
        self.assertEqual(stream.http_status, '200', stream)
        self.assertEqual(stream.grpc_status, RESOURCE_EXHAUSTED, stream)
        # The unfinished request half is closed without error (RFC 9113 8.1).
        self.assertIn(stream.reset, (None, h.NO_ERROR), stream)
        # Only that stream is affected.
        again = c.call('UnaryCall', h.simple_request(response_size=8))
        self.assertEqual(again.grpc_status, OK, again)
        self.assertHealthy(self.port)

    def test_compressed_flag_without_grpc_encoding_is_internal(self):
        c = self.client(self.port)
        stream = c.start(h.TEST_SERVICE + 'UnaryCall')
        c.send(stream, h.envelope(h.simple_request(response_size=8), flags=1), end_stream=True)
        self.assertTrue(c.wait_for(lambda: stream.done), stream)
        self.assertEqual(stream.http_status, '200', stream)
        self.assertEqual(stream.grpc_status, INTERNAL, stream)
        self.assertHealthy(self.port)

    # --- request headers --------------------------------------------------------------------

    def test_unknown_grpc_encoding_is_unimplemented_trailers_only(self):
        c = self.client(self.port)
        stream = c.call('UnaryCall', h.simple_request(response_size=8),
                        headers=[('grpc-encoding', 'snappy9')])
        self.assertTrue(stream.done, stream)
        self.assertEqual(stream.http_status, '200', stream)
        self.assertEqual(stream.grpc_status, UNIMPLEMENTED, stream)
        self.assertTrue(stream.trailers_only, stream.frames)
        self.assertHealthy(self.port)

    def test_malformed_grpc_timeout_is_internal_trailers_only(self):
        c = self.client(self.port)
        for value in ('abc', '123456789S', '10x'):
            with self.subTest(timeout=value):
                stream = c.call('UnaryCall', h.simple_request(response_size=8),
                                headers=[('grpc-timeout', value)])
                self.assertTrue(stream.done, stream)
                self.assertEqual(stream.http_status, '200', stream)
                self.assertEqual(stream.grpc_status, INTERNAL, stream)
                self.assertTrue(stream.trailers_only, stream.frames)
        self.assertHealthy(self.port)

    def test_wrong_content_type_is_http_415(self):
        """Types no served protocol takes (application/json and /proto are Connect's)."""
        c = self.client(self.port)
        for content_type in ('text/plain', 'application/xml'):
            with self.subTest(content_type=content_type):
                stream = c.call('UnaryCall', h.simple_request(), content_type=content_type)
                self.assertTrue(stream.done, stream)
                self.assertEqual(stream.http_status, '415', stream)
        self.assertHealthy(self.port)

    def test_unknown_method_and_service_are_unimplemented(self):
        c = self.client(self.port)
        for path in (h.TEST_SERVICE + 'NoSuchMethod', '/no.such.Service/UnaryCall'):
            with self.subTest(path=path):
                stream = c.call(path, h.simple_request())
                self.assertTrue(stream.done, stream)
                self.assertEqual(stream.http_status, '200', stream)
                self.assertEqual(stream.grpc_status, UNIMPLEMENTED, stream)
        self.assertHealthy(self.port)

    def test_oversized_request_headers_get_431_and_connection_survives(self):
        """Over the advertised 16 KiB SETTINGS_MAX_HEADER_LIST_SIZE: that stream only fails."""
        c = self.client(self.port)
        self.assertTrue(c.wait_for(lambda: h.SETTINGS_MAX_HEADER_LIST_SIZE in c.remote_settings))
        self.assertEqual(c.remote_settings[h.SETTINGS_MAX_HEADER_LIST_SIZE], 16 * 1024)
        cases = {
            'one 20 KiB header': [('x-big', 'a' * 20 * 1024)],
            '100 headers of 200 bytes': [('x-h%d' % i, 'b' * 200) for i in range(100)],
        }
        for name, headers in cases.items():
            with self.subTest(name):
                stream = c.call('UnaryCall', h.simple_request(response_size=8), headers=headers)
                self.assertTrue(stream.done, stream)
                self.assertEqual(stream.http_status, '431', stream)
                self.assertFalse(c.goaways, c.goaways)
                after = c.call('UnaryCall', h.simple_request(response_size=8))
                self.assertEqual(after.grpc_status, OK, after)
        self.assertFalse(c.closed)
        self.assertHealthy(self.port)

    # --- flow control -----------------------------------------------------------------------

    def test_unread_large_responses_are_not_buffered(self):
        """Clients that never return window credit must not make the server hold 200 MiB each."""
        self.assertHealthy(self.port)  # warm up the workers before the baseline
        before = self.server.rss_kib()
        request = h.streaming_output_request(*[(MIB, 0)] * 200)
        streaming = self.client(self.port, ack_data=False)
        out = streaming.start(h.TEST_SERVICE + 'StreamingOutputCall')
        streaming.send(out, h.envelope(request), end_stream=True)
        duplex = self.client(self.port, ack_data=False)
        bidi = duplex.start(h.TEST_SERVICE + 'FullDuplexCall')
        duplex.send(bidi, h.envelope(request))  # and keep the call open
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            streaming.pump(0.02)
            duplex.pump(0.02)
        # A well-behaved call is served meanwhile.
        self.assertHealthy(self.port, response_size=MIB)
        growth_mib = (self.server.rss_kib() - before) / 1024
        # The windows we never reopened: at most 64 KiB arrived per connection.
        for stream in (out, bidi):
            self.assertGreater(len(stream.data), 0, stream)
            self.assertLessEqual(len(stream.data), 65535, stream)
            self.assertFalse(stream.done, stream)
        self.assertLess(growth_mib, 64, 'server RSS grew by %.1f MiB' % growth_mib)
        streaming.close()
        duplex.close()
        self.assertHealthy(self.port)

    # --- floods -----------------------------------------------------------------------------

    def test_rapid_reset_gets_goaway(self):
        """HEADERS immediately cancelled by RST_STREAM, 5000 times (CVE-2023-44487)."""
        c = self.client(self.port)
        fields = [(':method', 'POST'), (':scheme', 'http'),
                  (':path', h.TEST_SERVICE + 'UnaryCall'), (':authority', '127.0.0.1'),
                  ('content-type', 'application/grpc'), ('te', 'trailers')]
        # Encode everything first so the burst goes out as fast as the socket takes it.
        chunks = []
        for _ in range(50):
            for _ in range(100):
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, fields)
                c.conn.reset_stream(sid, h.CANCEL)
            chunks.append(c.conn.data_to_send())
        self.flood(c, b''.join(chunks))
        self.assertTrue(c.wait_for(lambda: c.goaways, 5), 'no GOAWAY after the reset burst')
        self.assertEqual(len(c.goaways), 1, c.goaways)
        goaway = c.goaways[0]
        # The server's own limiter, ahead of nghttp2's (which would say INTERNAL_ERROR).
        self.assertEqual(goaway.error_code, h.ENHANCE_YOUR_CALM, goaway)
        self.assertEqual(goaway.debug, b'too many stream resets', goaway)
        # It cuts in when the 1000-reset burst is used up: at stream 1001 (id 2001), or a
        # little later if its 33/s refill ticked during the burst.
        self.assertGreaterEqual(goaway.last_stream_id, 2 * 1001 - 1, goaway)
        self.assertLessEqual(goaway.last_stream_id, 2 * 1100 - 1, goaway)
        self.assertTrue(c.wait_closed(3), 'connection still open after the GOAWAY')
        self.assertHealthy(self.port)

    def test_ping_flood_without_calls_gets_too_many_pings(self):
        """No call open: any two PINGs are too close (2 h policy); the third strike ends it."""
        c = self.client(self.port)
        c.wait_for(lambda: c.remote_settings)
        # One PING at a time, each after the previous ACK, to see exactly which one trips it.
        for n in range(1, 7):
            c.ping(n.to_bytes(8, 'big'))
            c.wait_for(lambda: c.goaways or len(c.ping_acks) >= n, 2)
            if c.goaways:
                break
        self.assertTrue(c.goaways, 'no GOAWAY after %d PINGs' % n)
        # The first PING has no predecessor to be too close to; PINGs 2-4 are strikes 1-3.
        self.assertEqual(n, 4, 'GOAWAY after PING %d' % n)
        goaway = c.goaways[0]
        self.assertEqual(goaway.error_code, h.ENHANCE_YOUR_CALM, goaway)
        self.assertEqual(goaway.debug, b'too_many_pings', goaway)
        self.assertEqual(goaway.last_stream_id, 0, goaway)
        self.assertTrue(c.wait_closed(3), 'connection still open after too_many_pings')
        self.assertHealthy(self.port)


    def flood(self, c, frames, seconds=10):
        """Sends `frames` (bytes) as fast as the socket takes them, reading meanwhile."""
        c.sock.setblocking(False)
        pending = frames
        start = time.monotonic()
        while pending and not c.closed and time.monotonic() - start < seconds:
            _, writable, _ = select.select([], [c.sock], [], 0.05)
            if writable:
                try:
                    pending = pending[c.sock.send(pending):]
                except (BrokenPipeError, ConnectionResetError):
                    break
            c.pump(0)
        c.sock.setblocking(True)
        c.sock.settimeout(5)

    def assertOneGoawayThenClose(self, c, error_code, debug):
        self.assertTrue(c.wait_closed(5), 'connection still open after the flood')
        self.assertEqual(len(c.goaways), 1, c.goaways)
        self.assertEqual((c.goaways[0].error_code, c.goaways[0].debug), (error_code, debug))

    def test_ping_burst_gets_one_goaway(self):
        """1000 PINGs in one burst: the strikes end the connection with a single GOAWAY
        (there used to be one per PING already read)."""
        c = self.client(self.port, ack_pings=False)
        c.wait_for(lambda: c.remote_settings)
        ping = raw_frame(h.PING, 0, 0, b'\0' * 8)
        self.flood(c, ping * 1000)
        self.assertOneGoawayThenClose(c, h.ENHANCE_YOUR_CALM, b'too_many_pings')
        self.assertHealthy(self.port)

    def test_continuation_flood_gets_goaway_before_the_close(self):
        """HEADERS without END_HEADERS, then CONTINUATION after CONTINUATION."""
        c = self.client(self.port)
        c.wait_for(lambda: c.remote_settings)
        sid = c.conn.get_next_available_stream_id()
        block = c.conn.encoder.encode([(':method', 'POST'), (':scheme', 'http'),
                                       (':path', h.TEST_SERVICE + 'UnaryCall'),
                                       (':authority', '127.0.0.1')])
        frames = raw_frame(h.HEADERS, 0, sid, block)
        frames += raw_frame(h.CONTINUATION, 0, sid, b'\x40\x01a\x01b') * 100
        self.flood(c, frames)
        self.assertOneGoawayThenClose(c, h.ENHANCE_YOUR_CALM, b'too many CONTINUATION frames')
        self.assertHealthy(self.port)

    def test_empty_data_flood_gets_goaway(self):
        """Empty DATA frames on an open stream, far past any honest use."""
        c = self.client(self.port)
        c.wait_for(lambda: c.remote_settings)
        stream = c.start(h.TEST_SERVICE + 'FullDuplexCall')
        self.flood(c, raw_frame(h.DATA, 0, stream.id, b'') * 20000)
        self.assertOneGoawayThenClose(c, h.ENHANCE_YOUR_CALM, b'too many empty DATA frames')
        self.assertHealthy(self.port)


def raw_frame(type_, flags, stream, payload):
    return (len(payload).to_bytes(3, 'big') + bytes([type_, flags]) +
            stream.to_bytes(4, 'big') + payload)


if __name__ == '__main__':
    h.main()
