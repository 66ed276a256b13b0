// A port already in use fails start-up at once, before the data directory,
// the server secret or the database are created (issue 16): an operator who
// started a second iotpd by mistake finds nothing new lying around.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';

import { cleanup, makeDataDir, runIotpd, start } from './helpers.mjs';

after(cleanup);

/** A listening socket on a free loopback port: {port, close()}. */
async function occupy() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

test('listen in use: exit 1 naming the option and the address, nothing created', async () => {
  const busy = await occupy();
  const data = path.join(makeDataDir(), 'data');
  const r = await runIotpd(['--dev', '--listen', `127.0.0.1:${busy.port}`, '--data', data]);
  await busy.close();
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`option listen \\(IOTP_LISTEN\\): 127\\.0\\.0\\.1:${busy.port} is in use by another program`),
  );
  assert.match(r.stderr, /stop it or choose another port/);
  assert.equal(existsSync(data), false, 'the data directory was created');
  assert.doesNotMatch(r.stderr, /secret|schema|store:/);
});

test('callback_listen in use: the same, for its own option', async () => {
  const busy = await occupy();
  const data = path.join(makeDataDir(), 'data');
  const r = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', data], {
    IOTP_CALLBACK_LISTEN: `127.0.0.1:${busy.port}`,
  });
  await busy.close();
  assert.equal(r.code, 1);
  assert.match(r.stderr, /option callback_listen \(IOTP_CALLBACK_LISTEN\): 127\.0\.0\.1:\d+ is in use/);
  assert.equal(existsSync(data), false, 'the data directory was created');
});

test('a second iotpd on a running one\'s port leaves the first serving', async () => {
  const first = await start();
  const data = path.join(makeDataDir(), 'data');
  const r = await runIotpd(['--dev', '--listen', `127.0.0.1:${first.port}`, '--data', data]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is an iotpd already running\?/);
  assert.equal(existsSync(data), false);
  assert.equal((await first.call('GET', '/healthz')).status, 200);
  await first.stop();
});
