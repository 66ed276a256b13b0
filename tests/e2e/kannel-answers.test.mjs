// Kannel's sendsms answers, as a real Kannel gives them, and what the support
// timeline says for each: "3: Queued for later delivery" while no SMSC is
// connected (Kannel keeps it; it goes out once the SMSC is back), 403 for a
// wrong password, 400 for a number Kannel's own black-list denies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, freshPhone, SMS_RE, startWithConfig, waitFor } from './helpers.mjs';
import { kannelProvider, startKannel } from './kannel.mjs';

const SECRET = 'kannel-callback-secret-0123456789';
let kannel;
let srv;

before(async () => {
  // No SMSC connected yet; Kannel's sendsms user refuses +44 7911 numbers itself
  // (freshPhone() never makes one).
  kannel = await startKannel({ smscLater: true, sendsmsUser: ['black-list-regex = ^\\+447911'] });
  srv = await startWithConfig(`
${kannelProvider(kannel, { name: 'good', secret: SECRET })}
${kannelProvider(kannel, { name: 'badpass', secret: SECRET, password: 'not-the-password' })}
[sender default]
alpha = iotp
number = +447700900123

[route default]
sms = good

[route FR]
sms = badpass
`);
});

after(async () => {
  await srv?.stop();
  await kannel?.stop();
  await cleanup();
});

async function send(phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  assert.equal(s.status, 200, s.text);
  return c.body.id;
}

/** The session's first message once pred holds (or as it last stood). */
async function message(id, pred) {
  let m;
  await waitFor(
    async () => {
      m = (await srv.call('GET', `/v1/sessions/${id}`)).body.timeline[0];
      return m && pred(m);
    },
    { timeoutMs: 15000 },
  );
  return m;
}

describe("Kannel's sendsms answers", () => {
  test('no SMSC connected: Kannel queues it, and it is delivered once the SMSC is back', async () => {
    const phone = freshPhone();
    const id = await send(phone);
    const queued = await message(id, (m) => m.status === 'submitted');
    assert.equal(queued.status, 'submitted', JSON.stringify(queued));
    assert.equal(queued.hand_overs[0].outcome, 'submitted', 'Kannel has it: no other provider, no retry');
    assert.equal(kannel.received.length, 0, 'nothing reached an SMSC yet');
    await kannel.connectSmsc();
    const sms = await kannel.waitMessage((r) => r.to === phone, 15000);
    assert.ok(sms, 'the queued message went out when the SMSC connected');
    assert.match(sms.text, SMS_RE);
    const done = await message(id, (m) => m.status === 'delivered');
    assert.equal(done.status, 'delivered', JSON.stringify(done));
  });

  test('a wrong sendsms password: failed at once, and the reason says where to look', async () => {
    const id = await send('+33612345678');
    const m = await message(id, (x) => x.status === 'failed');
    assert.equal(m.status, 'failed', JSON.stringify(m));
    assert.equal(m.provider, 'badpass');
    assert.equal(m.hand_overs.length, 1);
    assert.equal(m.hand_overs[0].outcome, 'refused');
    assert.match(m.hand_overs[0].error, /username or password \(403\).*\[provider badpass\]/);
  });

  test("a number Kannel's black-list denies: refused with Kannel's own words", async () => {
    const id = await send('+447911123456');
    const m = await message(id, (x) => x.status === 'failed');
    assert.equal(m.status, 'failed', JSON.stringify(m));
    assert.equal(m.hand_overs[0].outcome, 'refused');
    assert.match(m.hand_overs[0].error, /\(400\): Number\(s\) has\/have been denied by white- and\/or black-lists/);
  });
});
