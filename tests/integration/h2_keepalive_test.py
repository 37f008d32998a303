"""Connection timers of the interop server: keepalive PINGs, max connection idle,
max connection age with its grace, and draining on SIGTERM.

The timers are shortened by flags so that every phase shows up within a couple
of seconds; the margins allow for a loaded machine.
"""

import os
import socket
import time
import unittest

import h2_harness as h
from h2_harness import OK, NO_ERROR, MAX_STREAM_ID


class ServerPerClass(h.ServerTestCase):
    flags = ()

    @classmethod
    def setUpClass(cls):
        cls.server = h.ServerProcess('--drain-timeout-ms', '2000', *cls.flags)
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError('server exited with %r after SIGTERM' % code)

    def tearDown(self):
        self.assertTrue(self.server.alive(), 'server died')


class KeepaliveTest(ServerPerClass):
    flags = ('--keepalive-time-ms', '300', '--keepalive-timeout-ms', '300')

    def test_quiet_connection_is_pinged_and_kept_while_answering(self):
        c = self.client(self.port)
        start = time.monotonic()
        self.assertTrue(c.wait_for(lambda: c.pings, 1.0), 'no keepalive PING within 1 s')
        self.assertLess(c.pings[0][0] - start, 1.0)
        c.idle(1.5 - (time.monotonic() - start))
        # Answered PINGs keep it open: one PING per quiet period, no GOAWAY, no close.
        self.assertGreaterEqual(len(c.pings), 2, c.pings)
        self.assertFalse(c.goaways, c.goaways)
        self.assertFalse(c.closed, 'server closed a connection that answered its PINGs')
        stream = c.call('UnaryCall', h.simple_request(response_size=8))
        self.assertEqual(stream.grpc_status, OK, stream)

    def test_unanswered_keepalive_closes_connection(self):
        # One client reads but never ACKs the PING ...
        mute = self.client(self.port, ack_pings=False)
        # ... and one sends its preface and SETTINGS and then never reads at all.
        silent = socket.create_connection(('127.0.0.1', self.port), timeout=5)
        self.addCleanup(silent.close)
        silent.sendall(h.PREFACE + h.EMPTY_SETTINGS)
        start = time.monotonic()

        self.assertTrue(mute.wait_for(lambda: mute.pings, 1.0), 'no keepalive PING within 1 s')
        self.assertHealthy(self.port)
        self.assertTrue(mute.wait_closed(2.0), 'connection with an unanswered PING kept open')
        self.assertLess(mute.closed_at - mute.pings[0][0], 1.0)

        data, eof = h.read_to_eof(silent, max(0.5, 2.0 - (time.monotonic() - start)))
        self.assertTrue(eof, 'silent connection still open %.1f s after connecting'
                        % (time.monotonic() - start))
        pings = [f for f in h.parse_frames(data) if f[0] == h.PING and not f[1] & h.FLAG_ACK]
        self.assertTrue(pings, 'the silent connection was closed without a PING first')
        self.assertHealthy(self.port)


class MaxConnectionIdleTest(ServerPerClass):
    flags = ('--max-connection-idle-ms', '300')

    def test_idle_connection_gets_two_phase_goaway(self):
        c = self.client(self.port)
        stream = c.call('UnaryCall', h.simple_request(response_size=8))
        self.assertEqual(stream.grpc_status, OK, stream)
        idle_from = time.monotonic()
        self.assertTrue(c.wait_for(lambda: len(c.goaways) >= 2, 2.0), c.goaways)
        notice, final = c.goaways[:2]
        # Phase one announces the shutdown without refusing anything yet.
        self.assertEqual((notice.last_stream_id, notice.error_code), (MAX_STREAM_ID, NO_ERROR))
        self.assertGreaterEqual(notice.at - idle_from, 0.25)
        self.assertLess(notice.at - idle_from, 1.0)
        # A PING goes with the notice; its ACK (sent by us at once) triggers phase two.
        self.assertTrue(c.pings, 'no PING with the GOAWAY notice')
        self.assertLessEqual(c.pings[0][0], final.at)
        self.assertEqual((final.last_stream_id, final.error_code), (stream.id, NO_ERROR))
        self.assertLess(final.at - notice.at, 0.5, 'final GOAWAY did not follow the PING ACK')
        self.assertTrue(c.wait_closed(1.0), 'connection open after the final GOAWAY')
        self.assertHealthy(self.port)

    # The PING's ACK is meant to prove the client has seen the notice, so every stream it
    # opened before then has arrived; that needs the PING on the wire after the GOAWAY.
    def test_goaway_notice_precedes_its_ping(self):
        c = self.client(self.port)
        self.assertTrue(c.wait_for(lambda: len(c.goaways) >= 2, 2.0), c.goaways)
        order = [t for t in c.frame_types() if t in (h.GOAWAY, h.PING)]
        self.assertEqual(order[:3], [h.GOAWAY, h.PING, h.GOAWAY], c.received)

    def test_final_goaway_comes_a_second_later_without_ping_ack(self):
        c = self.client(self.port, ack_pings=False)
        self.assertTrue(c.wait_for(lambda: len(c.goaways) >= 2, 3.0), c.goaways)
        notice, final = c.goaways[:2]
        self.assertEqual((notice.last_stream_id, notice.error_code), (MAX_STREAM_ID, NO_ERROR))
        self.assertTrue(c.pings, 'no PING after the GOAWAY notice')
        self.assertEqual((final.last_stream_id, final.error_code), (0, NO_ERROR))
        self.assertGreater(final.at - notice.at, 0.8)
        self.assertLess(final.at - notice.at, 1.8)
        self.assertTrue(c.wait_closed(1.0), 'connection open after the final GOAWAY')
        self.assertHealthy(self.port)


def cpu_seconds(pid):
    """User plus system CPU time of a process so far."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


class IdleTimeoutTest(ServerPerClass):
    flags = ('--idle-timeout-ms', '300')

    # An idle limit reached starts the graceful GOAWAY once; its deadline, left in the
    # past, used to spin the connection's timer (a core busy until the close).
    def test_idle_connection_is_closed_without_spinning(self):
        c = self.client(self.port, ack_pings=False)
        before, start = cpu_seconds(self.server.pid), time.monotonic()
        self.assertTrue(c.wait_closed(4.0), 'idle connection still open')
        self.assertLess(time.monotonic() - start, 2.5)
        self.assertTrue(c.goaways, 'closed without a GOAWAY notice')
        self.assertLess(cpu_seconds(self.server.pid) - before, 0.5, 'the server spun meanwhile')


class MaxConnectionAgeTest(ServerPerClass):
    flags = ('--max-connection-age-ms', '500', '--max-connection-age-grace-ms', '2000')

    def open_duplex(self, client):
        """A FullDuplexCall that has had one round trip and stays open."""
        stream = client.start(h.TEST_SERVICE + 'FullDuplexCall')
        client.send(stream, h.envelope(h.streaming_output_request((10, 0))))
        self.assertTrue(client.wait_for(lambda: len(stream.messages()) == 1, 2.0), stream)
        return stream

    def test_in_flight_call_completes_within_grace(self):
        c = self.client(self.port)
        born = time.monotonic()
        call = self.open_duplex(c)
        self.assertTrue(c.wait_for(lambda: len(c.goaways) >= 2, 2.0), c.goaways)
        notice, final = c.goaways[:2]
        self.assertGreater(notice.at - born, 0.4)
        self.assertEqual((notice.last_stream_id, notice.error_code), (MAX_STREAM_ID, NO_ERROR))
        self.assertEqual((final.last_stream_id, final.error_code), (call.id, NO_ERROR))

        # A stream opened after the final GOAWAY is beyond its last stream id: never served.
        late = c.start(h.TEST_SERVICE + 'UnaryCall')
        c.send(late, h.envelope(h.simple_request(response_size=8)), end_stream=True)
        self.assertGreater(late.id, final.last_stream_id)

        # The in-flight call still works and finishes normally.
        c.send(call, h.envelope(h.streaming_output_request((20, 0))), end_stream=True)
        self.assertTrue(c.wait_for(lambda: call.done, 1.0), call)
        self.assertEqual(call.grpc_status, OK, call)
        self.assertEqual([h.response_payload_size(m) for m in call.messages()], [10, 20])
        self.assertLess(time.monotonic() - notice.at, 2.0, 'finished outside the grace')

        # With nothing left in flight the server closes; the late stream got no response.
        self.assertTrue(c.wait_closed(1.0), 'connection open after its last call')
        self.assertIsNone(late.headers, late)
        self.assertFalse(late.data, late)
        self.assertIn(late.reset, (None, h.REFUSED_STREAM), late)
        self.assertHealthy(self.port)

    def test_call_outliving_grace_is_cut(self):
        c = self.client(self.port)
        call = self.open_duplex(c)
        self.assertTrue(c.wait_for(lambda: c.goaways, 2.0), 'no GOAWAY at max age')
        notice = c.goaways[0]
        self.assertTrue(c.wait_closed(3.5), 'connection open long after the grace')
        self.assertGreater(c.closed_at - notice.at, 1.8, 'closed before the grace ended')
        self.assertLess(c.closed_at - notice.at, 3.0)
        self.assertFalse(call.ended, call)
        self.assertIsNone(call.trailers, call)
        self.assertHealthy(self.port)


class GracefulShutdownTest(h.ServerTestCase):

    def assertNotServed(self, port):
        """A new connection is refused, or closed without a byte of HTTP/2."""
        try:
            sock = socket.create_connection(('127.0.0.1', port), timeout=2)
        except ConnectionRefusedError:
            return
        with sock:
            try:
                sock.sendall(h.PREFACE + h.EMPTY_SETTINGS)
            except (BrokenPipeError, ConnectionResetError):
                return
            data, eof = h.read_to_eof(sock, 1.0)
            self.assertEqual((data, eof), (b'', True), 'a draining server took a connection')

    def test_sigterm_lets_in_flight_call_finish_then_exits(self):
        server = h.ServerProcess()
        self.addCleanup(server.kill)
        self.assertHealthy(server.port)
        c = self.client(server.port)
        # Five responses 200 ms apart: about a second of work in flight.
        call = c.start(h.TEST_SERVICE + 'StreamingOutputCall')
        c.send(call, h.envelope(h.streaming_output_request(*[(10, 200000)] * 5)), end_stream=True)
        self.assertTrue(c.wait_for(lambda: len(call.messages()) >= 1, 2.0), call)

        server.terminate()
        signalled = time.monotonic()
        self.assertTrue(c.wait_for(lambda: c.goaways, 1.0), 'no GOAWAY after SIGTERM')
        self.assertEqual(c.goaways[0].error_code, NO_ERROR, c.goaways)

        # New connections are no longer served ...
        self.assertNotServed(server.port)

        # ... while the call already running completes.
        self.assertTrue(c.wait_for(lambda: call.done, 3.0), call)
        self.assertEqual(call.grpc_status, OK, call)
        self.assertEqual(len(call.messages()), 5, call)
        self.assertEqual(c.goaways[-1].last_stream_id, call.id, c.goaways)
        self.assertTrue(c.wait_closed(1.0), 'connection open after its last call')
        self.assertEqual(server.wait(5.0), 0, 'server did not exit 0 by itself')
        self.assertLess(time.monotonic() - signalled, 5.0)


if __name__ == '__main__':
    h.main()
