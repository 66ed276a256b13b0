// Kannel over SMPP to a simulated SMSC: accepted messages with DELIVRD,
// UNDELIV and EXPIRED receipts, and a submit the SMSC rejects. Each outcome
// shows in the session's timeline with a reason a support person can read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, SMS_RE, startWithConfig, waitFor } from './helpers.mjs';
import { iotpConfigFor, startKannel } from './kannel.mjs';
import { startSmppSim } from './smpp-sim.mjs';

const tail = String(process.pid % 1000).padStart(3, '0');
const PHONES = {
  delivered: `+447400810${tail}`,
  undeliv: `+447400820${tail}`,
  expired: `+447400830${tail}`,
  rejected: `+447400840${tail}`,
};
let sim, kannel, srv;

before(async () => {
  sim = await startSmppSim((to) => {
    const n = '+' + to.replace(/^\+/, '');
    if (n === PHONES.undeliv) return { stat: 'UNDELIV', err: '001' };
    if (n === PHONES.expired) return { stat: 'EXPIRED', err: '000' };
    if (n === PHONES.rejected) return { reject: 0x0b }; // ESME_RINVDSTADR
    return { stat: 'DELIVRD' };
  });
  kannel = await startKannel({ smsc: { smpp: sim.port } });
  srv = await startWithConfig(iotpConfigFor(kannel, { name: 'smsc', secret: 'smpp-callback-secret-0123456789' }));
});

after(async () => {
  await srv?.stop();
  await kannel?.stop();
  await sim?.close();
  await cleanup();
});

async function send(phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
  assert.equal(s.status, 200, s.text);
  return c.body.id;
}

async function final(id) {
  let m;
  await waitFor(async () => {
    m = (await srv.call('GET', `/v1/sessions/${id}`)).body.timeline[0];
    return ['delivered', 'failed', 'expired'].includes(m?.status);
  }, { timeoutMs: 8000 });
  return m;
}

describe('Kannel over SMPP', () => {
  test('DELIVRD: the text reaches the SMSC and the receipt marks it delivered', async () => {
    const m = await final(await send(PHONES.delivered));
    assert.equal(m.status, 'delivered', JSON.stringify(m));
    const sub = sim.submitted.find((s) => PHONES.delivered.endsWith(s.to.replace(/^\+/, '')));
    assert.ok(sub, 'the SMSC got a submit_sm');
    assert.match(sub.text, SMS_RE);
    assert.equal(sub.from, 'iotp');
  });

  test('UNDELIV: failed, with the carrier\'s reason in words', async () => {
    const m = await final(await send(PHONES.undeliv));
    assert.equal(m.status, 'failed', JSON.stringify(m));
    assert.match(m.error, /carrier could not deliver it to the phone.*\(UNDELIV, error 001\)/);
  });

  test('EXPIRED: expired, the phone stayed unreachable', async () => {
    const m = await final(await send(PHONES.expired));
    assert.equal(m.status, 'expired', JSON.stringify(m));
    assert.match(m.error, /unreachable .* \(EXPIRED\)/);
  });

  test('a submit the SMSC rejects: failed, with the SMSC\'s answer', async () => {
    const m = await final(await send(PHONES.rejected));
    assert.equal(m.status, 'failed', JSON.stringify(m));
    assert.match(m.error, /SMS centre refused the message/);
  });
});
