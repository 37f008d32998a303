"""Bad input to the interop server's HTTP/3 (QUIC) side.

One server (TLS, so HTTP/3 on the UDP twin of its port) takes, case by case:
random datagrams, malformed and undersized QUIC Initials, an unknown version,
an oversized request header block, a client that stops reading a large
response, and a crowd of handshakes that are started and then abandoned.
After every case the server process must still be alive, its stderr must hold
no sanitizer report, and a fresh gtlsclient (ngtcp2's example client, a peer
we did not write) must get a correct answer. At the end SIGTERM must drain
and stop the server with exit status 0 (the server drains on SIGTERM: GOAWAY,
then waits up to --drain-timeout-ms for in-flight streams, then exits).

The Initials are real: protected with the QUIC v1 Initial keys (RFC 9001
section 5) and carrying a TLS 1.3 ClientHello, so that the server answering
the well-formed one (checked by decrypting its ServerHello) shows that it
really drops the malformed variants instead of failing to read all of them.
The packets come from quic_initial.py (standard library only, its crypto
checked against test vectors first); the processes from h3_processes.py.

Run: python3 h3_bad_input_test.py --server PATH --gtlsclient PATH [--seed N]
(unittest arguments such as -k or -v may follow). Under a sanitizer build set
ASAN_OPTIONS / LSAN_OPTIONS as usual; the server's stderr is captured to a
file and scanned for reports after every case and after exit.
"""

import argparse
import base64
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h3_processes import ClientRun, ServerProcess, connect_get_path  # noqa: E402
from quic_initial import (MIN_INITIAL, QUIC_V1, build_initial, client_hello, crypto_frame,  # noqa: E402
                          describe, open_server_initial, parse_long_header, self_test_crypto,
                          varint)

_HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_BINARY = os.environ.get(
    'TRIPLEX_INTEROP_SERVER', os.path.join(_HERE, '..', '..', 'build', 'bin',
                                           'triplex-interop-server'))
GTLSCLIENT = shutil.which('gtlsclient') or 'gtlsclient'
SEED = None

SERVER_CID_LENGTH = 18  # kCidLength in src/net/quic/quic_common.h


def main():
    """unittest.main, plus --server, --gtlsclient and --seed."""
    global SERVER_BINARY, GTLSCLIENT, SEED
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--server', default=SERVER_BINARY)
    parser.add_argument('--gtlsclient', default=GTLSCLIENT)
    parser.add_argument('--seed', type=int, default=None)
    args, rest = parser.parse_known_args()
    SERVER_BINARY = args.server
    GTLSCLIENT = args.gtlsclient
    SEED = args.seed if args.seed is not None else random.randrange(1 << 32)
    for path, what in ((SERVER_BINARY, '--server'), (GTLSCLIENT, '--gtlsclient')):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            sys.exit('%s: no executable at %r' % (what, path))
    print('random seed %d (rerun with --seed %d)' % (SEED, SEED), file=sys.stderr)
    unittest.main(module='__main__', argv=[sys.argv[0]] + rest, verbosity=2)


# --- the test ---------------------------------------------------------------------------------

class H3BadInputTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        self_test_crypto()
        cls.workdir = tempfile.mkdtemp(prefix='h3_bad_input.')
        cls.failed = False
        cls.clients = []  # every gtlsclient Popen we started, to kill on the way out
        cls.rng = random.Random(SEED)
        # A short drain keeps shutdown quick should a case leave a stream stuck.
        cls.server = ServerProcess(SERVER_BINARY, cls.workdir, '--drain-timeout-ms', '3000')
        cls.port = cls.server.port
        cls.addr = ('127.0.0.1', cls.port)

    @classmethod
    def tearDownClass(cls):
        for proc in cls.clients:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        server = cls.server
        try:
            if not server.alive():
                raise AssertionError('server died (exit %r) before SIGTERM; stderr:\n%s'
                                     % (server.proc.returncode, server.stderr_tail()))
            started = time.monotonic()
            server.terminate()
            code = server.wait(20.0)
            took = time.monotonic() - started
            if code is None:
                server.kill()
                raise AssertionError('server still running %.0f s after SIGTERM; killed. '
                                     'stderr:\n%s' % (took, server.stderr_tail()))
            print('\nserver exited with %r %.2f s after SIGTERM' % (code, took), file=sys.stderr)
            report = server.sanitizer_report()
            if report:
                raise AssertionError('sanitizer report in server stderr:\n%s' % report)
            if code != 0:
                raise AssertionError('server exited with %r after SIGTERM; stderr:\n%s'
                                     % (code, server.stderr_tail()))
        except BaseException:
            cls.failed = True
            raise
        finally:
            if server.alive():
                server.kill()
            server.close_files()
            if cls.failed:
                print('logs kept in %s' % cls.workdir, file=sys.stderr)
            else:
                shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        self.started = time.monotonic()
        self.assertServerUp('before ' + self._testMethodName)
        self.sockets = []

    def tearDown(self):
        for sock in self.sockets:
            sock.close()
        print('  [%s: %.1f s]' % (self._testMethodName, time.monotonic() - self.started),
              file=sys.stderr)

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self).failed = True
        return out

    # --- checks ---------------------------------------------------------------------------------

    def assertServerUp(self, when):
        if not self.server.alive():
            self.fail('server died %s: exit %r; stderr:\n%s'
                      % (when, self.server.proc.returncode, self.server.stderr_tail()))
        report = self.server.sanitizer_report()
        if report:
            self.fail('sanitizer report %s:\n%s' % (when, report))

    def assertHealthy(self, when):
        """The server is up, has reported nothing, and serves a fresh HTTP/3 client correctly."""
        self.assertServerUp(when)
        size = self.rng.randrange(1, 200)
        run = self.fetch(connect_get_path({'responseSize': size}))
        self.assertServerUp(when)
        detail = '%s: fresh request: %s' % (when, run.summary())
        self.assertEqual(run.exit_code, 0, detail)
        self.assertEqual(run.statuses.get(0), 200, detail)
        self.assertEqual(len(run.downloads), 1, detail)
        body = next(iter(run.downloads.values()))
        try:
            got = base64.b64decode(json.loads(body)['payload']['body'])
        except (ValueError, KeyError, TypeError) as e:
            self.fail('%s: bad response body %r (%s)' % (detail, body[:200], e))
        self.assertEqual(got, bytes(size), detail)

    # --- tools ----------------------------------------------------------------------------------

    def client_args(self, paths, download_dir=None, extra=()):
        args = [GTLSCLIENT, '--no-quic-dump', '--no-http-dump', '--timeout=10s',
                '--exit-on-all-streams-close', *extra]
        if download_dir:
            args.append('--download=' + download_dir)
        args += ['127.0.0.1', str(self.port)]
        return args + ['https://127.0.0.1:%d%s' % (self.port, p) for p in paths]

    def start_client(self, paths, download_dir=None, extra=()):
        fd, log_path = tempfile.mkstemp(prefix='client.', suffix='.log', dir=self.workdir)
        with os.fdopen(fd, 'wb') as log:
            proc = subprocess.Popen(self.client_args(paths, download_dir, extra),
                                    stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT)
        self.clients.append(proc)
        return proc, log_path

    def fetch(self, path, download=True, extra=(), timeout=40.0):
        """One gtlsclient request, waited for (and killed if it takes more than timeout)."""
        download_dir = tempfile.mkdtemp(prefix='dl.', dir=self.workdir) if download else None
        proc, log_path = self.start_client([path], download_dir, extra)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = 'killed after %.0f s' % timeout
        self.clients.remove(proc)
        with open(log_path, 'rb') as f:
            log = f.read().decode('utf-8', 'replace')
        downloads = {}
        if download_dir:
            for name in os.listdir(download_dir):
                with open(os.path.join(download_dir, name), 'rb') as f:
                    downloads[name] = f.read()
            shutil.rmtree(download_dir)
        if code == 0 and not self.failed:
            os.unlink(log_path)
        return ClientRun(code, log, downloads)

    def udp(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(('127.0.0.1', 0))
        sock.setblocking(False)
        self.sockets.append(sock)
        return sock

    @staticmethod
    def drain(sock):
        got = []
        while True:
            try:
                got.append(sock.recv(65536))
            except (BlockingIOError, ConnectionRefusedError):
                return got

    def collect(self, socks, seconds, until=None):
        """{socket: [datagrams]} for `seconds`, or until until(result) holds."""
        result = {s: [] for s in socks}
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (until is not None and until(result)):
                return result
            ready, _, _ = select.select(socks, [], [], min(left, 0.05))
            for s in ready:
                result[s] += self.drain(s)

    def real_initial(self, dcid=None, scid=None, **kwargs):
        """(dcid, scid, packet): an Initial with a ClientHello the server should answer."""
        dcid = dcid if dcid is not None else self.rng.randbytes(self.rng.randrange(8, 21))
        scid = scid if scid is not None else self.rng.randbytes(8)
        frames = crypto_frame(client_hello(scid, self.rng))
        return dcid, scid, build_initial(dcid, scid, frames, **kwargs)

    def assertServerHello(self, datagrams, dcid, scid, what):
        """The first answer is a server Initial to scid, carrying a ServerHello."""
        self.assertTrue(datagrams, '%s: no answer from the server' % what)
        first = datagrams[0]
        try:
            _, version, to_cid, server_cid, _ = parse_long_header(first)
            frames = open_server_initial(first, dcid)
        except ValueError as e:
            self.fail('%s: unreadable answer (%s): %s %s' % (what, e, describe(first),
                                                           first[:64].hex()))
        self.assertEqual(to_cid, scid, '%s: answer not addressed to our SCID' % what)
        crypto = [v for name, v in frames if name == 'CRYPTO']
        closes = [v for name, v in frames if name == 'CONNECTION_CLOSE']
        self.assertFalse(closes, '%s: server closed: %r' % (what, closes))
        self.assertTrue(crypto and crypto[0][1][:1] == b'\x02',
                        '%s: no ServerHello in %r' % (what, frames))
        return server_cid

    # --- 1. random datagrams --------------------------------------------------------------------

    def random_datagram(self, kind, size, cids=()):
        rng = self.rng
        data = bytearray(rng.randbytes(size))
        if kind == 'long':
            data[0] = 0xc0 | (data[0] & 0x3f)
        elif kind == 'long v1':  # typed Initial/0-RTT/Handshake/Retry, junk inside
            data[0] = 0xc0 | (data[0] & 0x3f)
            data[1:5] = QUIC_V1.to_bytes(4, 'big')[:max(0, min(4, size - 1))]
            if size > 5:
                data[5] = rng.choice((0, 8, 18, 20, 21, 255, data[5]))
        elif kind == 'long v0':  # a Version Negotiation sent to the server
            data[0] = 0x80 | (data[0] & 0x7f)
            data[1:5] = bytes(4)[:max(0, min(4, size - 1))]
        elif kind == 'short':
            data[0] = 0x40 | (data[0] & 0x3f)
        elif kind == 'short routed':  # our CID layout: first byte names a worker
            data[0] = 0x40 | (data[0] & 0x3f)
            if size > 1:
                data[1] = rng.choice((0, 1, 2, 255))
        elif kind == 'short live':  # a CID the server really issued
            data[0] = 0x40 | (data[0] & 0x3f)
            cid = rng.choice(cids)
            data[1:1 + len(cid)] = cid[:max(0, size - 1)]
            del data[size:]
        elif kind == 'long live':  # Initial or Handshake type to a real server CID
            data[0] = rng.choice((0xc0, 0xe0)) | (data[0] & 0x0f)
            cid = rng.choice(cids)
            head = QUIC_V1.to_bytes(4, 'big') + bytes([len(cid)]) + cid + b'\x08'
            data[1:1 + len(head)] = head
            del data[size:]
        return bytes(data[:size])

    def test_1_random_datagrams(self):
        """A few hundred junk datagrams of 1..1500 bytes, some shaped like QUIC headers."""
        rng = self.rng
        # A half-open connection to aim some of the junk at (its server CID is known to us).
        probe = self.udp()
        dcid, scid, packet = self.real_initial()
        probe.sendto(packet, self.addr)
        got = self.collect([probe], 10.0, until=lambda r: r[probe])[probe]
        live_cids = [self.assertServerHello(got, dcid, scid, 'live-connection probe')]

        edge_sizes = [1, 2, 5, 6, 7, 20, 21, 22, 26, 27, 28, 39, 40, 41, 1199, 1200, 1201, 1252,
                      1472, 1500]
        kinds = ['random', 'long', 'long v1', 'long v0', 'short', 'short routed', 'short live',
                 'long live']
        senders = [self.udp() for _ in range(8)]
        sent = 0
        answers = {}
        for n in range(400):
            kind = kinds[n % len(kinds)]
            size = edge_sizes[n % len(edge_sizes)] if n < 160 else rng.randrange(1, 1501)
            sock = senders[n % len(senders)]
            try:
                sock.sendto(self.random_datagram(kind, size, live_cids), self.addr)
                sent += 1
            except BlockingIOError:
                pass
            if n % 50 == 49:
                for s, datagrams in self.collect(senders, 0.05).items():
                    for d in datagrams:
                        answers[describe(d)] = answers.get(describe(d), 0) + 1
                self.assertServerUp('while sending random datagrams (%d sent)' % sent)
        for s, datagrams in self.collect(senders, 0.5).items():
            for d in datagrams:
                answers[describe(d)] = answers.get(describe(d), 0) + 1
        print('\n  %d junk datagrams sent; answers: %r' % (sent, answers), file=sys.stderr)
        self.assertHealthy('after %d random datagrams' % sent)

    # --- 2. malformed Initials ------------------------------------------------------------------

    def test_2_malformed_and_small_initials(self):
        """Truncated Initials, Length fields past the datagram, and Initials under 1200 bytes."""
        rng = self.rng
        # The control: the same kind of packet, well-formed at 1200 bytes, is answered.
        control = self.udp()
        dcid, scid, packet = self.real_initial(dcid=rng.randbytes(20))
        control.sendto(packet, self.addr)
        got = self.collect([control], 10.0, until=lambda r: r[control])[control]
        self.assertServerHello(got, dcid, scid, 'well-formed 1200-byte Initial (control)')

        cases = {}
        for dcid_len in (8, 13, 20):
            dcid, scid, full = self.real_initial(dcid=rng.randbytes(dcid_len))
            _, _, _, _, after_scid = parse_long_header(full)
            # Cut short at each header field and inside the payload.
            for cut in sorted({1, 5, 6, 6 + dcid_len // 2, 6 + dcid_len, after_scid,
                               after_scid + 1, after_scid + 2, after_scid + 4, after_scid + 20,
                               600, 1100, MIN_INITIAL - 1}):
                cases['DCID %d, cut to %d bytes' % (dcid_len, cut)] = full[:cut]
            # 1200 bytes, but the Length field claims more than the datagram holds.
            body = MIN_INITIAL - (after_scid + 1 + 2)
            for length, what in ((body + 1, 'one byte'), (4000, '4000'), (1 << 29, '2^29'),
                                 ((1 << 62) - 1, '2^62-1')):
                cases['DCID %d, Length %s past 1200 bytes' % (dcid_len, what)] = build_initial(
                    dcid, scid, crypto_frame(client_hello(scid, rng)), length_field=length)
            # A Length too short to hold a packet number and a header-protection sample.
            for length in (0, 1, 4, 19):
                pkt = bytearray(full)
                pkt[after_scid + 1:after_scid + 3] = varint(length, 2)
                cases['DCID %d, Length %d' % (dcid_len, length)] = bytes(pkt)
            # Well-formed and decryptable, but under 1200 bytes: RFC 9000 14.1 says drop.
            for size in (MIN_INITIAL - 1, 1000, 0):  # 0: no padding at all
                _, _, small = self.real_initial(dcid=dcid, scid=scid, size=size)
                cases['DCID %d, well-formed Initial of %d bytes' % (dcid_len, len(small))] = small
        # A DCID longer than 20 bytes in an otherwise well-formed Initial.
        _, _, long_cid = self.real_initial(dcid=rng.randbytes(21))
        cases['DCID of 21 bytes'] = long_cid
        # DCID shorter than the 8 bytes a client's first Initial must have.
        _, _, short_cid = self.real_initial(dcid=rng.randbytes(7))
        cases['DCID of 7 bytes'] = short_cid

        socks = {}
        for name, packet in cases.items():
            sock = self.udp()
            sock.sendto(packet, self.addr)
            socks[sock] = name
        answers = self.collect(list(socks), 1.5)
        answered = ['%s -> %s' % (socks[s], describe(d[0])) for s, d in answers.items() if d]
        self.assertServerUp('after %d malformed Initials' % len(cases))
        self.assertFalse(answered, 'the server answered malformed or undersized Initials:\n  '
                         + '\n  '.join(answered))
        print('\n  %d malformed/undersized Initials dropped' % len(cases), file=sys.stderr)
        self.assertHealthy('after malformed Initials')

    def test_2b_unknown_version_gets_version_negotiation(self):
        rng = self.rng
        version = 0x1a2a3a4a  # reserved for negotiation (RFC 9000 section 15)
        for dcid_len, scid_len in ((8, 8), (20, 0), (18, 20)):
            dcid, scid = rng.randbytes(dcid_len), rng.randbytes(scid_len)
            packet = (bytes([0xc0]) + version.to_bytes(4, 'big') + bytes([dcid_len]) + dcid
                      + bytes([scid_len]) + scid)
            packet += rng.randbytes(MIN_INITIAL - len(packet))
            sock = self.udp()
            sock.sendto(packet, self.addr)
            got = self.collect([sock], 10.0, until=lambda r: r[sock])[sock]
            what = 'unknown version, DCID %d, SCID %d bytes' % (dcid_len, scid_len)
            self.assertTrue(got, '%s: no Version Negotiation' % what)
            vn = got[0]
            self.assertTrue(vn[0] & 0x80, '%s: not a long header: %s' % (what, vn[:32].hex()))
            _, vn_version, vn_dcid, vn_scid, i = parse_long_header(vn)
            self.assertEqual(vn_version, 0, '%s: version field %#x' % (what, vn_version))
            # RFC 9000 17.2.1: the CIDs come back swapped.
            self.assertEqual(vn_dcid, scid, what)
            self.assertEqual(vn_scid, dcid, what)
            versions = [int.from_bytes(vn[j:j + 4], 'big') for j in range(i, len(vn) - 3, 4)]
            self.assertIn(QUIC_V1, versions, '%s: offered %r' % (what, versions))
            self.assertNotIn(version, versions, what)
        # RFC 9000 5.2.2: datagrams too small to start a connection get no Version Negotiation.
        sock = self.udp()
        small = (bytes([0xc0]) + version.to_bytes(4, 'big') + b'\x08' + rng.randbytes(8)
                 + b'\x08' + rng.randbytes(8))
        sock.sendto(small + rng.randbytes(MIN_INITIAL - 1 - len(small)), self.addr)
        got = self.collect([sock], 1.0)[sock]
        self.assertFalse(got, 'unknown version in 1199 bytes was answered: %s'
                         % [describe(d) for d in got])
        self.assertHealthy('after unknown versions')

    # --- 3. oversized header block --------------------------------------------------------------

    def test_3_oversized_header_block(self):
        """Paths of 20 and 100 KiB against the 16 KiB limit: never a 200, and no harm done."""
        for kib in (20, 100):
            path = connect_get_path({'responseSize': 8}) + '&pad=' + 'p' * (kib * 1024)
            run = self.fetch(path, download=False)
            detail = '%d KiB path: %s' % (kib, run.summary())
            self.assertServerUp('after a %d KiB path' % kib)
            self.assertNotEqual(run.statuses.get(0), 200, detail)
            # The server must say something: 431 (what it answers) or a reset of the stream.
            self.assertTrue(run.statuses.get(0) == 431 or 0 in run.resets or run.closes, detail)
            print('\n  %s' % detail, file=sys.stderr)
            self.assertHealthy('after a %d KiB path' % kib)

    # --- 4. a client that stops reading ---------------------------------------------------------

    def test_4_client_stops_reading(self):
        """SIGSTOP a client mid-way through a ~16 MB response; others are served meanwhile."""
        # 12,000,000 payload bytes are ~16 MB of JSON, under the interop server's 16 MiB send
        # limit. Small client windows keep the transfer from finishing before the stop.
        path = connect_get_path({'responseSize': 12000000})
        windows = ['--max-data=512K', '--max-stream-data-bidi-local=128K', '--max-window=512K',
                   '--max-stream-window=128K', '--timeout=60s']
        # On a fast machine the whole response may arrive before the stop lands: try again.
        for attempt in range(4):
            proc, log_path = self.start_client([path], extra=windows)
            rss_before = self.server.rss_kib()

            def log_text():
                with open(log_path, 'rb') as f:
                    return f.read().decode('utf-8', 'replace')
            deadline = time.monotonic() + 20.0
            while ':status: 200]' not in log_text():
                if proc.poll() is not None or time.monotonic() > deadline:
                    self.fail('the large response did not start: exit %r, log tail:\n%s'
                              % (proc.poll(), log_text()[-3000:]))
                time.sleep(0.005)
            time.sleep(0.02 * attempt)  # let the server fill the client's windows
            os.kill(proc.pid, signal.SIGSTOP)
            text = log_text()
            if proc.poll() is None and 'HTTP stream 0 closed' not in text:
                break
            print('\n  the response completed before the stop (attempt %d)' % attempt,
                  file=sys.stderr)
            proc.kill()
            proc.wait()
            self.clients.remove(proc)
        else:
            self.fail('every attempt completed the response before the client was stopped')
        try:
            self.assertIsNone(proc.poll(), 'client exited before it was stopped')
            self.assertNotIn('HTTP stream 0 closed', text,
                             'the response completed before the client was stopped')
            # While it is stopped: other clients are served, and junk aimed at its connection
            # IDs from other addresses (a would-be migration that fails to decrypt) is dropped.
            for i in range(3):
                self.assertHealthy('while a client is stopped (%d)' % i)
            cids = list(ClientRun.server_cids(text))
            self.assertTrue(cids, 'no server connection IDs in the stopped client\'s log')
            senders = [self.udp() for _ in range(4)]
            for n in range(100):
                kind = 'short live' if n % 2 else 'long live'
                data = self.random_datagram(kind, self.rng.randrange(30, 1400), cids)
                senders[n % 4].sendto(data, self.addr)
            self.collect(senders, 0.3)
            self.assertHealthy('after junk at a stopped client\'s connection')
            print('\n  server RSS %d -> %d KiB while the client is stopped'
                  % (rss_before, self.server.rss_kib()), file=sys.stderr)
        finally:
            proc.kill()
            proc.wait()
            self.clients.remove(proc)
        self.assertHealthy('after the stopped client was killed')

    # --- 5. abandoned handshakes ----------------------------------------------------------------

    def test_5_abandoned_handshakes(self):
        """50 real Initials from 50 ports, answered by the server and never by us; and 50
        well-formed headers whose payload does not decrypt."""
        rng = self.rng
        pending = {}
        dcids = set()
        for n in range(50):
            if n < 4:  # shaped like our own CIDs, naming worker 0 or 1: handed between workers
                dcid = bytes([n % 2]) + rng.randbytes(SERVER_CID_LENGTH - 1)
            else:
                dcid = rng.randbytes(rng.randrange(8, 21))
            assert dcid not in dcids
            dcids.add(dcid)
            dcid, scid, packet = self.real_initial(dcid=dcid)
            sock = self.udp()
            pending[sock] = (dcid, scid, packet)
        for sock, (_, _, packet) in pending.items():
            sock.sendto(packet, self.addr)
        answers = self.collect(list(pending), 15.0, until=lambda r: all(r.values()))
        for sock, (dcid, scid, _) in pending.items():
            self.assertServerHello(answers[sock], dcid, scid,
                                   'abandoned handshake DCID %s' % dcid.hex())
        self.assertServerUp('after 50 abandoned handshakes')

        # Well-formed headers, undecryptable payloads: the server can only drop them.
        junk = []
        for n in range(50):
            dcid, scid = rng.randbytes(rng.randrange(8, 21)), rng.randbytes(8)
            head = (bytes([0xc3]) + QUIC_V1.to_bytes(4, 'big') + bytes([len(dcid)]) + dcid
                    + bytes([len(scid)]) + scid + b'\x00')
            length = MIN_INITIAL - len(head) - 2
            packet = head + varint(length, 2) + rng.randbytes(length)
            sock = self.udp()
            sock.sendto(packet, self.addr)
            junk.append(sock)
        got = self.collect(junk, 1.0)
        answered = [describe(d[0]) for d in got.values() if d]
        self.assertFalse(answered, 'undecryptable Initials were answered: %r' % answered)
        # The server keeps retransmitting its first flight to the silent clients meanwhile.
        self.assertHealthy('with 50 handshakes left hanging')
        resent = self.collect(list(pending), 1.5)
        print('\n  server retransmitted to %d of 50 silent clients within 1.5 s'
              % sum(1 for d in resent.values() if d), file=sys.stderr)
        for sock in list(pending) + junk:
            sock.close()
            self.sockets.remove(sock)
        self.assertHealthy('after the silent clients went away')


if __name__ == '__main__':
    main()
