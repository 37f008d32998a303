"""The processes the HTTP/3 hostile-input tests run: the interop server
(its stderr scanned for sanitizer reports) and what a gtlsclient run logged."""

import json
import os
import re
import select
import signal
import subprocess
import threading
import time
import urllib.parse

SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'runtime error:', 'ERROR: LeakSanitizer')
TEST_SERVICE = '/grpc.testing.TestService/'


# --- processes --------------------------------------------------------------------------------

class ServerProcess:
    """The interop server with a self-signed certificate on 127.0.0.1, OS-chosen port.

    Its stderr goes to a file (scanned for sanitizer reports); stdout is drained by a thread.
    Only this PID is ever signalled.
    """

    def __init__(self, binary, workdir, *flags, startup_timeout=30.0):
        self.stderr_path = os.path.join(workdir, 'server.stderr')
        self._stderr = open(self.stderr_path, 'wb')
        self.proc = subprocess.Popen(
            [binary, '--listen', '127.0.0.1:0', '--self-signed', *flags],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr)
        self.pid = self.proc.pid
        try:
            self.port = self._read_port(startup_timeout)
        except BaseException:
            self.kill()
            raise
        self._drainer = threading.Thread(target=self.proc.stdout.read, daemon=True)
        self._drainer.start()

    def _read_port(self, timeout):
        deadline = time.monotonic() + timeout
        line = b''
        while not line.endswith(b'\n'):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError('server did not report its port; got %r; stderr: %s'
                                   % (line, self.stderr_tail()))
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if chunk:
                    line += chunk
        m = re.search(rb'listening on 127\.0\.0\.1:(\d+) .*HTTP/3', line)
        if not m:
            raise RuntimeError('unexpected first line (no HTTP/3?): %r' % line)
        return int(m.group(1))

    def alive(self):
        return self.proc.poll() is None

    def stderr_text(self):
        with open(self.stderr_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def stderr_tail(self, lines=60):
        return '\n'.join(self.stderr_text().splitlines()[-lines:]) or '(empty)'

    def sanitizer_report(self):
        text = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            at = text.find(marker)
            if at >= 0:
                start = text.rfind('\n', 0, max(0, at - 200)) + 1
                return text[start:start + 6000]
        return None

    def rss_kib(self):
        try:
            with open('/proc/%d/status' % self.pid) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        return int(line.split()[1])
        except OSError:
            pass
        return -1

    def terminate(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self.close_files()

    def close_files(self):
        drainer = getattr(self, '_drainer', None)
        if drainer is not None:
            drainer.join(1.0)
        if drainer is None or not drainer.is_alive():
            self.proc.stdout.close()
        self._stderr.close()


class ClientRun:
    """What one gtlsclient run printed: statuses, resets and closes per request stream."""

    STATUS = re.compile(r'^http: stream 0x([0-9a-f]+) \[:status: (\d+)\]$', re.M)
    RESET = re.compile(r'frm rx .*RESET_STREAM\(0x04\) id=0x([0-9a-f]+) .*\((0x[0-9a-f]+)\)')
    CLOSE = re.compile(r'frm rx .*CONNECTION_CLOSE\((0x1[cd])\) error_code=.*?\((0x[0-9a-f]+)\)')
    SERVER_CID = re.compile(r'pkt rx .* scid=0x([0-9a-f]+) version=0x00000001')
    NEW_CID = re.compile(r'frm rx .*NEW_CONNECTION_ID\(0x18\) seq=\d+ cid=0x([0-9a-f]+)')

    def __init__(self, exit_code, log, downloads):
        self.exit_code = exit_code
        self.log = log
        self.downloads = downloads
        self.statuses = {int(s, 16): int(code) for s, code in self.STATUS.findall(log)}
        self.resets = {int(s, 16): int(code, 16) for s, code in self.RESET.findall(log)}
        self.closes = self.CLOSE.findall(log)

    def summary(self):
        return 'exit %r, statuses %r, resets %r, connection closes %r' % (
            self.exit_code, self.statuses, self.resets, self.closes)

    @classmethod
    def server_cids(cls, log):
        return ({bytes.fromhex(c) for c in cls.SERVER_CID.findall(log)}
                | {bytes.fromhex(c) for c in cls.NEW_CID.findall(log)})


def connect_get_path(message):
    """A Connect unary GET of CacheableUnaryCall (src/rpc/protocol_connect.cc)."""
    return (TEST_SERVICE + 'CacheableUnaryCall?connect=v1&encoding=json&message='
            + urllib.parse.quote(json.dumps(message, separators=(',', ':')), safe=''))
