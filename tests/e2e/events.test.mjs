// Events go out on several threads, one delivery at a time per destination,
// with a breaker per destination: against real webhook receivers on loopback
// and Debian's aiosmtpd. One app's webhook hanging or failing must not hold up
// another app's webhooks or the PIN-reset e-mails.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { cleanup, codeFromSms, freshPhone, IOTPD, makeDataDir, start, waitFor } from './helpers.mjs';
import { signatureValid, startSmtpServer, startWebhookReceiver } from './receivers.mjs';

const SECRET_A = 'whsec-app-a-0123456789abcdef';
const SECRET_B = 'whsec-app-b-0123456789abcdef';
const KEY_B = 'app-b-key-0123456789abcdef';
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

/** iotpd with app A (the default app) and app B, each with its own webhook. */
async function server(urlA, urlB, env = {}) {
  const config = path.join(makeDataDir('iotp-conf-'), 'iotp.conf');
  writeFileSync(config, `[app default]\nwebhook_url = ${urlA}\nwebhook_secret = ${SECRET_A}\n` +
    `[app b]\napi_key = ${KEY_B}\nname = B\nwebhook_url = ${urlB}\nwebhook_secret = ${SECRET_B}\n`);
  const srv = await start(env, { args: ['--dev', '--config', config] });
  return { srv, config };
}

/** A verified, unspent session for phone (as app key `auth`). */
async function verified(srv, phone, auth = true) {
  const c = await srv.call('POST', '/v1/sessions', { phone }, { auth });
  assert.equal(c.status, 201, c.text);
  // The number may have had codes before: wait for this one, not any.
  const before = (await srv.inbox(phone)).length;
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {}, { auth });
  assert.equal(s.status, 200, s.text);
  const inbox = await srv.waitInbox(phone, before + 1);
  const r = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(inbox[0].text) }, { auth });
  assert.equal(r.status, 200, r.text);
  return c.body.id;
}

/** Registers an account on a fresh number: {phone, id, credential}. */
async function register(srv, auth = true, sessionId = undefined, phone = freshPhone()) {
  const sid = sessionId ?? await verified(srv, phone, auth);
  const r = await srv.call('POST', '/v1/accounts', { session_id: sid, device: { name: 'phone' } }, { auth });
  assert.equal(r.status, 201, r.text);
  return { phone, id: r.body.account.id, credential: r.body.credential };
}

const device = (cred) => ({ auth: false, headers: { authorization: `Device ${cred}` } });

after(cleanup);

describe('one slow webhook holds up nobody else', () => {
  const stop = [];
  after(async () => {
    for (const s of stop.reverse()) await s();
  });

  test("app A's webhook hangs: app B's webhook and a PIN-reset e-mail go out meanwhile", async () => {
    const hooksA = await startWebhookReceiver({ hold: true });
    stop.push(() => hooksA.close());
    const hooksB = await startWebhookReceiver();
    stop.push(() => hooksB.close());
    const smtp = await startSmtpServer();
    stop.push(() => smtp.stop());
    const { srv } = await server(hooksA.url, hooksB.url, {
      IOTP_WEBHOOK_TIMEOUT: 60, IOTP_SMTP_URL: smtp.url, IOTP_PUBLIC_URL: 'https://verify.example',
    });

    // Two events for A; its receiver takes the first request and never answers.
    const a1 = await register(srv);
    const a2 = await register(srv);
    assert.ok(await waitFor(() => hooksA.held() === 1, { timeoutMs: 10000 }), "A's first delivery is in hand");

    // Then an event for B, and an e-mail (for an account of B).
    const b = await register(srv, KEY_B);
    const pin = await srv.call('PUT', '/v1/accounts/me/pin', { pin: '246810', email: 'ana@example.com' }, device(b.credential));
    assert.equal(pin.status, 200, pin.text);
    const reset = await srv.call('POST', '/v1/accounts/pin-reset', { session_id: await verified(srv, b.phone, KEY_B) }, { auth: KEY_B });
    assert.equal(reset.status, 202, reset.text);

    const ev = await hooksB.waitEvent('account.registered', (d) => d.data.account_id === b.id, 20000);
    assert.ok(signatureValid(ev.signature, ev.raw, SECRET_B));
    const mails = await smtp.waitMessage(1, 20000);
    assert.ok(mails.some((m) => m.includes(b.phone)), `the PIN-reset e-mail arrived: ${mails.length} mails`);
    // Causal: B and the e-mail arrived while A's request was still unanswered,
    // and A's second event waited for its first rather than take a second thread.
    assert.equal(hooksA.held(), 1, "A's delivery is still hanging");
    assert.equal(hooksA.deliveries.length, 1, 'one delivery at a time to A');

    hooksA.release();
    for (const a of [a1, a2]) {
      const got = await hooksA.waitEvent('account.registered', (d) => d.data.account_id === a.id, 20000);
      assert.ok(signatureValid(got.signature, got.raw, SECRET_A));
    }
  });

  test("app A's webhook fails: after 5 failures its events wait, untried, and go out when it recovers", async () => {
    const hooksA = await startWebhookReceiver({ failAll: true });
    stop.push(() => hooksA.close());
    const hooksB = await startWebhookReceiver();
    stop.push(() => hooksB.close());
    // The first rest is 10 s here (30 s by default): long enough for the
    // checks below to run before the first probe, short for the test.
    const { srv, config } = await server(hooksA.url, hooksB.url, { IOTP_EVENTS_BREAKER_OPEN: 10 });

    // Eight events for A at once: verify first, then register in parallel.
    const phones = Array.from({ length: 8 }, () => freshPhone());
    const sessions = [];
    for (const p of phones) sessions.push(await verified(srv, p));
    const accounts = await Promise.all(phones.map((p, i) => register(srv, true, sessions[i], p)));

    assert.ok(await waitFor(() => hooksA.deliveries.length >= 5, { timeoutMs: 15000 }), 'five failed deliveries');
    // The operator sees why the rest wait: iotpctl account show.
    const show = async (phone) => (await promisify(execFile)(IOTPCTL, ['--dev', '--config', config, ...srv.storeArgs,
      'account', 'show', phone])).stdout;
    const HOLD = /pending\s+attempts=0\s+error: the app's webhook failed 5 times in a row \(last: the webhook answered HTTP 503\); its events wait until \d{4}-/;
    let held = 0;
    await waitFor(async () => {
      const out = await Promise.all(phones.map(show));
      held = out.filter((o) => HOLD.test(o)).length;
      return held >= 3;
    }, { timeoutMs: 8000, intervalMs: 100 });
    assert.ok(held >= 3, `at least the 3 untried events are held with the reason: ${held}`);
    // None while the breaker rests: a slow machine may have taken the checks
    // above past the 10 s, when one probe may come, and only then.
    const [fifth, ...later] = hooksA.deliveries.slice(4);
    assert.ok(later.every((d) => d.at - fifth.at >= 9500),
      `exactly 5 calls, then none while the breaker is open: ${hooksA.deliveries.map((d) => d.at - fifth.at)}`);
    assert.ok(later.length <= 1, 'then one probe at most');
    assert.ok(hooksA.deliveries.every((d) => d.status === 503));

    // Another destination is unaffected.
    const b = await register(srv, KEY_B);
    await hooksB.waitEvent('account.registered', (d) => d.data.account_id === b.id, 10000);

    // A recovers: the probe after the rest succeeds and every event goes out.
    hooksA.recover();
    for (const a of accounts)
      await hooksA.waitEvent('account.registered', (d) => d.data.account_id === a.id, 40000);
    assert.equal(hooksA.accepted().length, 8, 'each event delivered once');
    const after = await show(phones[0]);
    assert.match(after, /account\.registered\s+delivered/);
  });
});
