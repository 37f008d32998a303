"""The processes the HTTP/3 hostile-input tests run: the interop server
(its stderr scanned for sanitizer reports) and what a gtlsclient run logged."""

import json
import os
import re
import urllib.parse

import server_process

SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'runtime error:', 'ERROR: LeakSanitizer')
TEST_SERVICE = '/grpc.testing.TestService/'


# --- processes --------------------------------------------------------------------------------

class ServerProcess(server_process.ServerProcess):
    """The interop server with a self-signed certificate on 127.0.0.1, OS-chosen port.

    Its stderr goes to a file (scanned for sanitizer reports).
    """

    def __init__(self, binary, workdir, *flags, startup_timeout=30.0):
        self.stderr_path = os.path.join(workdir, 'server.stderr')
        self._stderr = open(self.stderr_path, 'wb')
        super().__init__([binary, '--listen', '127.0.0.1:0', '--self-signed', *flags],
                         rb'listening on 127\.0\.0\.1:(\d+) .*HTTP/3', startup_timeout,
                         stderr=self._stderr)

    def failure_detail(self):
        return '; stderr: ' + self.stderr_tail()

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

    def close_files(self):
        super().close_files()
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
