// systemd's readiness protocol (issue 16): under Type=notify, systemd starts
// what depends on iotp when iotpd sends READY=1 to $NOTIFY_SOCKET, and
// `systemctl reload` waits for RELOADING=1 then READY=1. No systemd runs on
// the test machine, so the test plays its part: a Unix datagram socket that
// records what iotpd sends (Python, which the build needs anyway; Node has no
// Unix datagram sockets).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { cleanup, start, waitFor } from './helpers.mjs';

after(cleanup);

const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data = s.recv(4096).decode()
    print(" ".join(data.split("\\n")).strip(), flush=True)
`;

/** A stand-in for systemd's notification socket: its .lines are what arrived. */
async function notifySocket() {
  const dir = mkdtempSync(path.join(tmpdir(), 'iotp-notify-'));
  const sock = path.join(dir, 'notify');
  const child = spawn('python3', ['-c', LISTENER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  const got = { lines: [], path: sock };
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => {
    buf += s;
    const parts = buf.split('\n');
    buf = parts.pop();
    got.lines.push(...parts);
  });
  assert.ok(await waitFor(() => got.lines.includes('bound'), { timeoutMs: 5000 }), 'the listener did not start');
  got.lines.shift();
  got.close = () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  return got;
}

test('READY=1 once it serves, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 at SIGTERM', async () => {
  const notify = await notifySocket();
  try {
    const srv = await start({ NOTIFY_SOCKET: notify.path });
    assert.ok(await waitFor(() => notify.lines.length >= 1, { timeoutMs: 5000 }), 'no notification at start');
    assert.deepEqual(notify.lines, ['READY=1']);
    // Ready meant ready: the API answers.
    const h = await srv.call('GET', '/healthz');
    assert.equal(h.status, 200);

    srv.child.kill('SIGHUP');
    assert.ok(await waitFor(() => notify.lines.length >= 3, { timeoutMs: 5000 }), notify.lines.join(' | '));
    assert.deepEqual(notify.lines.slice(1), ['RELOADING=1', 'READY=1']);

    assert.equal((await srv.stop()).code, 0);
    assert.ok(await waitFor(() => notify.lines.length >= 4, { timeoutMs: 5000 }), notify.lines.join(' | '));
    assert.equal(notify.lines[3], 'STOPPING=1');
  } finally {
    notify.close();
  }
});
