// Kannel for real: bearerbox + smsbox with the fake SMSC. A code requested
// through iotpd reaches the SMSC with the right text and sender, Kannel's
// delivery reports mark it delivered, and forged or late reports change
// nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanup, codeAsShown, codeFromSms, freshPhone, IOTPD, SMS_RE, startWithConfig, waitFor } from './helpers.mjs';
import { iotpConfigFor, reportToken, startKannel } from './kannel.mjs';

const SECRET = 'kannel-callback-secret-0123456789';
let kannel;
let srv;

// iotpd's configuration in front of this file's Kannel.
function kannelConfig(head, sender) {
  return iotpConfigFor(kannel, { head, secret: SECRET, sender });
}

before(async () => {
  kannel = await startKannel();
  srv = await startWithConfig(kannelConfig('', 'alpha = iotp\nnumber = +447700900123'));
});

after(async () => {
  await srv?.stop();
  await kannel?.stop();
  await cleanup();
});

async function sendCode(phone, channel = 'sms') {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel });
  return { id: c.body.id, send: s };
}

async function timeline(id, on = srv) {
  const g = await on.call('GET', `/v1/sessions/${id}`);
  assert.equal(g.status, 200, g.text);
  return g.body.timeline;
}

describe('Kannel with the fake SMSC', () => {
  test('the code reaches the SMSC with the right text and sender, and is reported delivered', async () => {
    const phone = freshPhone();
    const { id, send } = await sendCode(phone);
    assert.equal(send.status, 200, send.text);
    const m = await kannel.waitMessage((r) => r.to === phone);
    assert.ok(m, `the SMSC got nothing for ${phone}; it got ${JSON.stringify(kannel.received)}`);
    assert.match(m.text, SMS_RE);
    assert.equal(m.from, 'iotp', 'GB allows alphanumeric senders');
    let t;
    await waitFor(async () => (t = await timeline(id))[0]?.status === 'delivered', { timeoutMs: 5000 });
    assert.equal(t[0].status, 'delivered', JSON.stringify(t));
    assert.equal(t[0].provider, 'kannel-a');
    assert.equal(t[0].hand_overs.length, 1);
    assert.equal(t[0].hand_overs[0].outcome, 'submitted');
    assert.ok(t[0].final_at, 'delivery time recorded');
    assert.equal(typeof t[0].deliver_ms, 'number');
    // The code that arrived verifies the session.
    const ok = await srv.call('PUT', `/v1/sessions/${id}/code`, { code: codeFromSms(m.text) });
    assert.equal(ok.status, 200, ok.text);
  });

  test('a country that refuses alphanumeric senders gets the number', async () => {
    const phone = '+12015550' + String(100 + (process.pid % 800)).padStart(3, '0');
    const { send } = await sendCode(phone);
    assert.equal(send.status, 200, send.text);
    const m = await kannel.waitMessage((r) => r.to === phone);
    assert.ok(m, 'the SMSC got the message');
    assert.equal(m.from, '+447700900123');
  });

  test('forged, unknown and late reports are refused or change nothing', async () => {
    const phone = freshPhone();
    const { id } = await sendCode(phone);
    let t;
    await waitFor(async () => (t = await timeline(id))[0]?.status === 'delivered', { timeoutMs: 5000 });
    const mid = t[0].id;
    const dlr = (q) => srv.call('GET', `/v1/dlr/kannel-a?${q}`, undefined, { auth: false });

    const forged = await dlr(`m=${mid}&t=${'0'.repeat(32)}&type=2&reply=x`);
    assert.equal(forged.status, 403, forged.text);
    assert.equal(forged.body.error.code, 'report_forged');
    const noToken = await dlr(`m=${mid}&type=2`);
    assert.equal(noToken.status, 403);
    // Another message's token does not open this one.
    const other = await dlr(`m=${mid}&t=${reportToken(SECRET, 'another-id')}&type=2`);
    assert.equal(other.status, 403);
    const unknownProvider = await srv.call('GET', `/v1/dlr/nobody?m=${mid}&t=x&type=1`, undefined, { auth: false });
    assert.equal(unknownProvider.status, 404);
    assert.equal(unknownProvider.body.error.code, 'report_unknown');
    // Authentic but late: "failed" after "delivered" is acknowledged and ignored.
    const late = await dlr(`m=${mid}&t=${reportToken(SECRET, mid)}&type=2&reply=late`);
    assert.equal(late.status, 200, late.text);
    assert.equal(late.body.status, 'ignored');
    const dup = await dlr(`m=${mid}&t=${reportToken(SECRET, mid)}&type=1`);
    assert.equal(dup.status, 200);
    t = await timeline(id);
    assert.equal(t[0].status, 'delivered');
    assert.equal(t[0].error, null);
    assert.match(srv.stderr, /refused a forged delivery report for provider kannel-a/);
  });

  test('iotpctl number shows the hand-over and the delivery for support', async () => {
    const phone = freshPhone();
    const { id } = await sendCode(phone);
    await waitFor(async () => (await timeline(id))[0]?.status === 'delivered', { timeoutMs: 5000 });
    const ctl = path.join(path.dirname(IOTPD), 'iotpctl');
    const env = { ...process.env, IOTP_API_KEY: srv.apiKey };
    const r = spawnSync(ctl, ['--config', srv.configFile, ...srv.storeArgs, 'number', phone], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /sms\s+via kannel-a\s+delivered/);
    assert.match(r.stdout, /hand-over .* to kannel-a\s+submitted/);
    const st = spawnSync(ctl, ['--config', srv.configFile, ...srv.storeArgs, 'stats'], { encoding: 'utf8', env });
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, /delivery\s+kannel-a\s+GB\s+\d+\s+\d+\s+\d+/);
  });
});

// delivery_batch: one driver takes several queued codes in one write and
// sends them to smsbox at once, each on its own connection. Twelve codes
// asked at once with one driver of four: every one reaches the SMSC once,
// with its own code, and is reported delivered.
describe('Kannel with rounds of several messages (delivery_batch)', () => {
  let batched;
  before(async () => {
    batched = await startWithConfig(kannelConfig('delivery_threads = 4\ndelivery_batch = 4\n', 'alpha = iotp'));
  });
  after(async () => {
    await batched?.stop();
  });

  test('codes asked at once each reach the SMSC once and are reported delivered', async () => {
    const phones = Array.from({ length: 12 }, () => freshPhone());
    const ids = await Promise.all(
      phones.map(async (phone) => {
        const c = await batched.call('POST', '/v1/sessions', { phone });
        assert.equal(c.status, 201, c.text);
        return c.body.id;
      }),
    );
    const sends = await Promise.all(ids.map((id) => batched.call('POST', `/v1/sessions/${id}/code`, { channel: 'sms' })));
    for (const s of sends) assert.equal(s.status, 200, s.text);
    for (const phone of phones) {
      const m = await kannel.waitMessage((r) => r.to === phone);
      assert.ok(m, `the SMSC got nothing for ${phone}`);
      assert.match(m.text, SMS_RE);
    }
    for (const [i, id] of ids.entries()) {
      await waitFor(async () => {
        const g = await batched.call('GET', `/v1/sessions/${id}`);
        return g.body.timeline[0]?.status === 'delivered';
      }, { timeoutMs: 10000 });
      assert.equal(kannel.received.filter((r) => r.to === phones[i]).length, 1, `${phones[i]} got more than one SMS`);
    }
  });
});

// docs/delivery.md tells operators how to keep codes out of Kannel's logs:
// checked here against a real Kannel, both ways, so the advice cannot go stale.
describe("Kannel's logs and the codes (docs/delivery.md)", () => {
  async function codeInLogs({ logLevel, stderrLevel }) {
    const k = await startKannel({ logLevel, stderrLevel });
    const s = await startWithConfig(iotpConfigFor(k, { secret: SECRET }));
    try {
      const phone = freshPhone();
      const c = await s.call('POST', '/v1/sessions', { phone });
      assert.equal(c.status, 201, c.text);
      const send = await s.call('POST', `/v1/sessions/${c.body.id}/code`, {});
      assert.equal(send.status, 200, send.text);
      const m = await k.waitMessage((r) => r.to === phone);
      assert.ok(m, 'the SMSC got the code');
      // Written as the text has it ("123-456"), as a log line would carry it.
      const shown = codeAsShown(m.text);
      // The delivery report's line comes last: once it is in, every line about the code is.
      const delivered = await waitFor(async () => (await timeline(c.body.id, s))[0]?.status === 'delivered', {
        timeoutMs: 5000,
      });
      assert.ok(delivered, 'the delivery report came back');
      const names = readdirSync(k.logDir).sort();
      assert.deepEqual(names, ['bearerbox.log', 'smsbox.log'], 'both boxes keep a log');
      const files = names.map((f) => readFileSync(path.join(k.logDir, f), 'utf8')).join('');
      return { inFiles: files.includes(shown), inStderr: k.logs.out.includes(shown) };
    } finally {
      await s.stop();
      await k.stop();
    }
  }

  test('at log-level 1 and a default standard error Kannel writes the code in clear', async () => {
    const found = await codeInLogs({ logLevel: 1 });
    assert.deepEqual(found, { inFiles: true, inStderr: true });
  });

  test('with log-level 2 and -v 2, as the docs advise, no log of Kannel holds the code', async () => {
    const found = await codeInLogs({ logLevel: 2, stderrLevel: 2 });
    assert.deepEqual(found, { inFiles: false, inStderr: false });
  });
});
