"""Headless Chromium opens the Eliza chat page `triplex eliza` serves at "/" and talks to
ElizaService from it: Introduce (Connect server stream, read as it arrives) and Say (Connect
GET), once over HTTP/2 and once over HTTP/3 (QUIC forced for the origin).

usage: eliza_browser_test.py --triplex PATH [--chromium PATH] [--timeout SECS]

The server gets a throwaway self-signed certificate, which Chromium accepts by its public key
hash (--ignore-certificate-errors-spki-list). Chromium is driven over the DevTools protocol on a
pipe (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4), standard library
only. Prints PASS/FAIL per run; exits 1 if any run failed or Chromium is missing.
"""

import argparse
import base64
import fcntl
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import server_process

SAY = 'I feel happy'
CHROMIUM_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-extensions', '--remote-debugging-pipe',
]
# What the page shows once it is done: read in one evaluation.
PAGE_SUMMARY = '''JSON.stringify({
  state: document.body.dataset.state,
  intro: [...document.querySelectorAll('.eliza.intro')].map((e) => e.textContent),
  replies: [...document.querySelectorAll('.eliza.reply')].map((e) => e.textContent),
  errors: [...document.querySelectorAll('.error')].map((e) => e.textContent),
  sayProtocol: document.getElementById('http-version').textContent,
  pageProtocol: performance.getEntriesByType('navigation')[0].nextHopProtocol,
})'''


class Failure(Exception):
    pass


def make_certificate(workdir):
    """A self-signed certificate for 127.0.0.1; returns (cert, key, base64 SPKI sha256)."""
    cert = os.path.join(workdir, 'cert.pem')
    key = os.path.join(workdir, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
                    '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
                   check=True, capture_output=True, timeout=30)
    public_pem = subprocess.run(['openssl', 'x509', '-pubkey', '-noout', '-in', cert], check=True,
                                capture_output=True, timeout=30).stdout
    spki = subprocess.run(['openssl', 'pkey', '-pubin', '-outform', 'der'], input=public_pem,
                          check=True, capture_output=True, timeout=30).stdout
    return cert, key, base64.b64encode(hashlib.sha256(spki).digest()).decode()


class Browser:
    """One headless Chromium with its own profile, driven over the DevTools pipe."""

    def __init__(self, chromium, profile, flags, log_path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The protocol wants fds 3 (commands in) and 4 (replies out): bash moves them there from
        # fds >= 10, which cannot be 3 or 4 themselves.
        child_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)
        place_fds = 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (child_r, child_w, child_r, child_w)
        self._log = open(log_path, 'wb')
        self.proc = subprocess.Popen(
            ['/bin/bash', '-c', place_fds, chromium, '--user-data-dir=' + profile, *flags],
            pass_fds=(child_r, child_w), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=self._log, start_new_session=True)
        os.close(child_r)
        os.close(child_w)
        self._buffer = b''
        self._next_id = 0
        self.events = []

    def call(self, method, params=None, session=None, timeout=15.0):
        self._next_id += 1
        message = {'id': self._next_id, 'method': method, 'params': params or {}}
        if session:
            message['sessionId'] = session
        os.write(self._to_browser, json.dumps(message).encode() + b'\0')
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline, method)
            if reply.get('id') == self._next_id:
                if 'error' in reply:
                    raise Failure('%s: %s' % (method, reply['error']))
                return reply.get('result', {})
            self.events.append(reply)

    def _read(self, deadline, waiting_for):
        while b'\0' not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure('Chromium did not answer %s in time' % waiting_for)
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 65536)
                if not chunk:
                    raise Failure('Chromium closed the DevTools pipe (exited: %s)'
                                  % self.proc.poll())
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b'\0', 1)
        return json.loads(message)

    def page_problems(self):
        """Console errors and uncaught exceptions the page reported, as text."""
        lines = []
        for event in self.events:
            params = event.get('params', {})
            if event.get('method') == 'Runtime.exceptionThrown':
                details = params.get('exceptionDetails', {})
                lines.append('exception: ' + details.get('exception', {}).get(
                    'description', details.get('text', '?')))
            elif (event.get('method') == 'Runtime.consoleAPICalled'
                  and params.get('type') == 'error'):
                lines.append('console: ' + ' '.join(str(a.get('value', a.get('description')))
                                                    for a in params.get('args', [])))
        return lines

    def _group_alive(self):
        """Whether a process of Chromium's group still runs. Helpers that outlive the browser
        are reaped by init, late: zombies do not count."""
        for pid in filter(str.isdigit, os.listdir('/proc')):
            try:
                with open('/proc/%s/stat' % pid) as f:
                    state, _, group = f.read().rsplit(')', 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(group) == self.proc.pid and state != 'Z':
                return True
        return False

    def close(self):
        try:
            if self.proc.poll() is None:
                self.call('Browser.close', timeout=5.0)
        except (Failure, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        # The process group is Chromium's own (start_new_session): wait for its helpers too, so
        # none is left writing into the profile, and kill what outstays the grace period.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._group_alive():
            time.sleep(0.05)
        if self._group_alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()


def open_page(browser, url, timeout):
    """Loads url in a new tab and waits until the page says it is done; returns its summary."""
    target = browser.call('Target.createTarget', {'url': 'about:blank'})['targetId']
    session = browser.call('Target.attachToTarget', {'targetId': target, 'flatten': True})
    session = session['sessionId']
    browser.call('Runtime.enable', session=session)
    navigation = browser.call('Page.navigate', {'url': url}, session=session, timeout=timeout)
    if navigation.get('errorText'):
        raise Failure('could not load %s: %s' % (url, navigation['errorText']))
    deadline = time.monotonic() + timeout
    state = ''
    while time.monotonic() < deadline:
        result = browser.call('Runtime.evaluate', {
            'expression': 'document.body ? document.body.dataset.state : ""',
            'returnByValue': True}, session=session)
        state = result.get('result', {}).get('value', '')
        if state in ('replied', 'error'):
            break
        time.sleep(0.1)
    result = browser.call('Runtime.evaluate', {'expression': PAGE_SUMMARY, 'returnByValue': True},
                          session=session)
    if 'exceptionDetails' in result:
        details = result['exceptionDetails']
        raise Failure('not the chat page (state %r): %s' % (
            state, details.get('exception', {}).get('description', details.get('text'))))
    return json.loads(result['result']['value'])


def judge(summary, want_protocol):
    """Why the page falls short, or '' when it shows a full conversation."""
    if summary['errors']:
        return 'page shows errors: %s' % summary['errors']
    if summary['state'] != 'replied':
        return 'page state is %r, not "replied"' % summary['state']
    if len(summary['intro']) < 2 or "I'm Eliza" not in summary['intro'][0]:
        return 'want several Introduce lines, the first "Hi ... I\'m Eliza."; got %s' % summary[
            'intro']
    if len(summary['replies']) != 1 or not summary['replies'][0] or summary['replies'][0] == SAY:
        return 'want one ELIZA reply to Say; got %s' % summary['replies']
    if summary['sayProtocol'] != want_protocol or summary['pageProtocol'] != want_protocol:
        return 'want %s; page came over %r, Say over %r' % (
            want_protocol, summary['pageProtocol'], summary['sayProtocol'])
    return ''


def run(chromium, workdir, port, spki, name, extra_flags, timeout):
    origin = '127.0.0.1:%d' % port
    log_path = os.path.join(workdir, name + '.chromium.log')
    flags = CHROMIUM_FLAGS + ['--ignore-certificate-errors-spki-list=' + spki] + extra_flags
    browser = Browser(chromium, os.path.join(workdir, name + '.profile'), flags, log_path)
    try:
        summary = open_page(browser, 'https://%s/?say=%s' % (origin, SAY.replace(' ', '%20')),
                            timeout)
        why = judge(summary, name)
    except (Failure, OSError) as e:
        summary, why = None, str(e)
    finally:
        problems = browser.page_problems()
        browser.close()
    if not why:
        print('PASS %s: %d Introduce lines; %r -> %r' % (name, len(summary['intro']), SAY,
                                                         summary['replies'][0]))
        return True
    print('FAIL %s: %s' % (name, why))
    for line in problems + ([json.dumps(summary)] if summary else []):
        print('  | ' + line)
    with open(log_path, 'rb') as f:
        # Headless Chromium complains about the missing D-Bus at length: not news.
        lines = [line for line in f.read().decode('utf-8', 'replace').splitlines()
                 if 'dbus' not in line]
    for line in lines[-20:]:
        print('  chromium | ' + line)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--triplex', required=True)
    parser.add_argument('--chromium', default=shutil.which('chromium'))
    parser.add_argument('--timeout', type=float, default=30.0, help='seconds per page load')
    args = parser.parse_args()
    # A harness's SIGTERM still closes the browser and the server and removes the temp dir.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.chromium:
        print('FAIL: chromium not found; install the Debian package chromium (scripts/setup does)')
        return 1

    workdir = tempfile.mkdtemp(prefix='eliza_browser.')
    server = None
    stderr_path = os.path.join(workdir, 'server.stderr')
    try:
        cert, key, spki = make_certificate(workdir)
        with open(stderr_path, 'wb') as stderr:
            server = server_process.ServerProcess(
                [args.triplex, 'eliza', '--listen', '127.0.0.1:0', '--cert', cert, '--key', key],
                rb'listening on 127\.0\.0\.1:(\d+) ', 30.0, stderr=stderr)
        origin = '127.0.0.1:%d' % server.port
        ok = run(args.chromium, workdir, server.port, spki, 'h2', ['--disable-quic'], args.timeout)
        ok &= run(args.chromium, workdir, server.port, spki, 'h3',
                  ['--enable-quic', '--origin-to-force-quic-on=' + origin], args.timeout)
        if not server.alive():
            print('FAIL: the server exited during the test')
            ok = False
        server.terminate()
        code = server.wait(10)
        if code != 0:
            print('FAIL: server exit status %s after SIGTERM' % code)
            ok = False
        if not ok:
            with open(stderr_path, 'rb') as f:
                print('server stderr:\n' + f.read().decode('utf-8', 'replace')[-3000:])
        return 0 if ok else 1
    finally:
        if server is not None:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
