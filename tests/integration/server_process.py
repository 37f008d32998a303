"""A server under test as a child process: started with port 0, its port read from the
"listening on 127.0.0.1:PORT ..." line it prints first, stdout drained so it never blocks,
and only its own PID ever signalled. The HTTP/2 and HTTP/3 suites build on it."""

import os
import re
import select
import signal
import subprocess
import threading
import time


class ServerProcess:
    """argv: the full command line. port_pattern: a bytes regex whose group 1 is the port,
    matched against the first line. stderr: a file object, or None to inherit."""

    def __init__(self, argv, port_pattern, startup_timeout, stderr=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=stderr)
        self.pid = self.proc.pid
        try:
            self.port = self._read_port(port_pattern, startup_timeout)
        except BaseException:
            self.kill()
            raise
        # Keep draining stdout so the server never blocks on a full pipe.
        self._drainer = threading.Thread(target=self.proc.stdout.read, daemon=True)
        self._drainer.start()

    def failure_detail(self):
        """Appended to start-up errors; subclasses with a stderr file say more."""
        return ''

    def _read_port(self, port_pattern, timeout):
        deadline = time.monotonic() + timeout
        line = b''
        while not line.endswith(b'\n'):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError('server did not report its port; got %r%s'
                                   % (line, self.failure_detail()))
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if chunk:
                    line += chunk
        m = re.search(port_pattern, line)
        if not m:
            raise RuntimeError('unexpected first line: %r' % line)
        return int(m.group(1))

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        """Resident memory; raises once the process is gone (a growth check must not pass
        because the server died)."""
        with open('/proc/%d/status' % self.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        raise RuntimeError('no VmRSS for %d' % self.pid)

    def terminate(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout):
        """Exit code, or None if still running after timeout seconds."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.close_files()
        return code

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
