// iotpd killed with messages in flight: after the restart every message has
// reached the provider exactly once. One was in the middle of its hand-over
// (the provider had it, iotpd had not recorded the answer): it is not sent
// again, and its timeline says so. The others — claimed but not yet handed
// over, or still queued — go out after the restart.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, freshPhone, makeDataDir, start, waitFor } from './helpers.mjs';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReceiver } from './receiver.mjs';

after(cleanup);

test('a restart with messages in flight hands each over exactly once', async () => {
  let hold = true;
  // The gateway holds the third request it gets: iotpd is then inside that
  // message's hand-over.
  const gw = await startReceiver(() => (hold && gw.requests.length === 3 ? { hold: true } : { status: 200, body: {} }));
  const dir = makeDataDir();
  const conf = path.join(makeDataDir('iotp-conf-'), 'iotp.conf');
  writeFileSync(
    conf,
    // One delivery thread: the messages sent after the held one queue up
    // behind it (claimed or not yet), the case a restart has to sort out.
    `delivery_threads = 1\n\n[provider gw]\ntype = http\nurl = ${gw.url}/send\nbody = to={to}&text={text}&ref={message_id}\ntimeout_ms = 60000\n\n[route default]\nsms = gw\n\n[geo]\nallow = *\n`,
  );
  const a = await start({}, { dataDir: dir, args: ['--config', conf] });
  try {
  const sessions = [];
  const send = async (srv) => {
    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    assert.equal(c.status, 201, c.text);
    const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    assert.equal(s.status, 200, s.text);
    sessions.push(c.body.id);
    return c.body.id;
  };
  const messageId = async (srv, sid) => {
    let m;
    await waitFor(async () => (m = (await srv.call('GET', `/v1/sessions/${sid}`)).body.timeline[0]));
    return m.id;
  };

  // Two go through.
  for (let i = 0; i < 2; i++) await send(a);
  await waitFor(() => gw.requests.length === 2);
  // The third is held by the gateway: iotpd is inside the hand-over.
  const third = await send(a);
  await waitFor(() => gw.requests.length === 3, { timeoutMs: 5000 });
  // Two more queue up behind it.
  await send(a);
  await send(a);
  await a.stop('SIGKILL');

  hold = false;
  const b = await start({}, { dataDir: dir, args: ['--config', conf] });
  const ids = [];
  for (const sid of sessions) ids.push(await messageId(b, sid));
  await waitFor(async () => {
    const t = await Promise.all(sessions.map(async (sid) => (await b.call('GET', `/v1/sessions/${sid}`)).body.timeline[0]));
    return t.every((m) => m.status === 'submitted');
  }, { timeoutMs: 8000 });
  const count = (id) => gw.requests.filter((r) => new URLSearchParams(r.body).get('ref') === id).length;
  for (const id of ids) assert.equal(count(id), 1, `message ${id} reached the gateway exactly once`);
  assert.equal(gw.requests.length, 5);

  const held = (await b.call('GET', `/v1/sessions/${third}`)).body.timeline[0];
  assert.equal(held.status, 'submitted');
  assert.match(held.error, /iotpd stopped while handing this message to gw; it was not sent again/);
  assert.equal(held.hand_overs.at(-1).outcome, 'unknown');
  assert.match(b.stderr, /1 message\(s\) were being handed to a provider when the last process stopped/);
  await b.stop();
  } finally {
    await gw.close();
  }
});
