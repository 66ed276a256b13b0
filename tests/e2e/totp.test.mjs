// Authenticator-app codes (TOTP, RFC 6238) end to end: the codes are computed
// here as an authenticator app would (node:crypto's HMAC-SHA-1 over the base32
// secret the server gave), so the server is checked against an independent
// implementation. Enrolment and confirmation, a code accepted once (also under
// parallel requests), wrong codes slowed like PIN guesses, a code in the PIN's
// place on a new device and on a change of number, and turning it off.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, sleep, start } from './helpers.mjs';

const STEP_MS = 30000;

function base32Decode(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s) {
    const i = abc.indexOf(ch);
    assert.ok(i >= 0, `base32 character: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP, 6 digits, HMAC-SHA-1. */
function hotp(key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[19] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1e6).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / STEP_MS);

/** An authenticator app holding one secret; it never shows a code for a step it showed before. */
class App {
  constructor(secret) {
    this.key = base32Decode(secret);
    this.last = -1;
  }

  /** A current code the server has not accepted yet (the server takes a step either side). */
  async code() {
    let s = Math.max(stepNow(), this.last + 1);
    if (s > stepNow() + 1) {
      await sleep(STEP_MS - (Date.now() % STEP_MS) + 50); // both nearby steps used: the next one
      s = Math.max(stepNow(), this.last + 1);
    }
    this.last = s;
    return hotp(this.key, s);
  }

  /** A code the server must refuse: none of the three steps it could take now. */
  wrong() {
    const s = stepNow();
    const near = new Set([s - 1, s, s + 1, s + 2].map((t) => hotp(this.key, t)));
    let w;
    do w = String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
    while (near.has(w));
    return w;
  }
}

const device = (cred) => ({ auth: false, headers: { authorization: `Device ${cred}` } });

after(cleanup);

describe('authenticator-app codes', () => {
  let srv;
  before(async () => (srv = await start({ IOTP_PIN_WAITS: '0,0,2' })));
  after(() => srv.stop());

  async function verified(phone) {
    const c = await srv.call('POST', '/v1/sessions', { phone });
    assert.equal(c.status, 201, c.text);
    const before = (await srv.inbox(phone)).length;
    const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    assert.equal(s.status, 200, s.text);
    const inbox = await srv.waitInbox(phone, before + 1);
    const r = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(inbox[0].text) });
    assert.equal(r.status, 200, r.text);
    return c.body.id;
  }

  async function register(phone, extra = {}) {
    return srv.call('POST', '/v1/accounts', { session_id: await verified(phone), device: { name: 'phone' }, ...extra });
  }

  /** A registered account with its authenticator on: { phone, cred, app }. */
  async function withTotp(extra = {}) {
    const phone = freshPhone();
    const r = await register(phone, extra);
    assert.equal(r.status, 201, r.text);
    const cred = r.body.credential;
    const e = await srv.call('POST', '/v1/accounts/me/totp', undefined, device(cred));
    assert.equal(e.status, 201, e.text);
    const app = new App(e.body.secret);
    const c = await srv.call('POST', '/v1/accounts/me/totp/confirm', { code: await app.code() }, device(cred));
    assert.equal(c.status, 200, c.text);
    return { phone, cred, app, id: r.body.account.id };
  }

  test('enrol: a base32 secret and an otpauth URI (issuer, masked number), on after a first code', async () => {
    const phone = freshPhone();
    const r = await register(phone);
    assert.equal(r.status, 201, r.text);
    const cred = r.body.credential;
    const e = await srv.call('POST', '/v1/accounts/me/totp', undefined, device(cred));
    assert.equal(e.status, 201, e.text);
    assert.match(e.body.secret, /^[A-Z2-7]{32}$/, '160 bits in base32');
    const uri = new URL(e.body.uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    const masked = phone.slice(0, 3) + '*'.repeat(phone.length - 7) + phone.slice(-4);
    assert.equal(decodeURIComponent(uri.pathname.slice(1)), `iotp:${masked}`);
    assert.ok(!e.body.uri.includes(phone.slice(3, -4)), 'the whole number is not in the URI');
    assert.equal(uri.searchParams.get('secret'), e.body.secret);
    assert.equal(uri.searchParams.get('issuer'), 'iotp');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');

    let me = await srv.call('GET', '/v1/accounts/me', undefined, device(cred));
    assert.deepEqual(me.body.account.totp, { enabled: false, pending: true });
    const app = new App(e.body.secret);
    const bad = await srv.call('POST', '/v1/accounts/me/totp/confirm', { code: app.wrong() }, device(cred));
    assert.equal(bad.status, 403, bad.text);
    assert.equal(bad.body.error.code, 'incorrect_totp');
    const code = await app.code();
    const ok = await srv.call('POST', '/v1/accounts/me/totp/confirm', { code }, device(cred));
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.account.totp, { enabled: true, pending: false });

    // Accepted once: the same code again is refused.
    const replay = await srv.call('DELETE', '/v1/accounts/me/totp', { code }, device(cred));
    assert.equal(replay.status, 403, replay.text);
    assert.equal(replay.body.error.code, 'incorrect_totp');
    const again = await srv.call('POST', '/v1/accounts/me/totp', undefined, device(cred));
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, 'totp_enabled');
    me = await srv.call('GET', '/v1/accounts/me', undefined, device(cred));
    assert.equal(me.body.account.totp.enabled, true);
  });

  test('a new device: the code in place of the PIN', async () => {
    const { phone, cred, app } = await withTotp({ pin: '135790' });
    const sid = await verified(phone);
    const needs = await srv.call('POST', '/v1/accounts', { session_id: sid, device: { name: 'new' } });
    assert.equal(needs.status, 423, needs.text);
    assert.equal(needs.body.error.code, 'pin_required');
    assert.equal(needs.body.error.totp_accepted, true);
    const bad = await srv.call('POST', '/v1/accounts', { session_id: sid, device: { name: 'new' }, totp: app.wrong() });
    assert.equal(bad.status, 403, bad.text);
    assert.equal(bad.body.error.code, 'incorrect_totp');
    const ok = await srv.call('POST', '/v1/accounts', { session_id: sid, device: { name: 'new' }, totp: await app.code() });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.created, false);
    assert.equal(ok.body.account.device.name, 'new');
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, device(cred))).status, 401, 'the old device is out');
  });

  test('a change of number onto an account guarded by its authenticator needs a code', async () => {
    const guarded = await withTotp();
    const mover = await register(freshPhone());
    assert.equal(mover.status, 201, mover.text);
    const body = async () => ({
      old_session_id: await verified(mover.body.account.phone),
      new_session_id: await verified(guarded.phone),
    });
    const refused = await srv.call('POST', '/v1/accounts/me/number', await body(), device(mover.body.credential));
    assert.equal(refused.status, 423, refused.text);
    assert.equal(refused.body.error.totp_accepted, true);
    const moved = await srv.call('POST', '/v1/accounts/me/number', { ...(await body()), totp: await guarded.app.code() },
      device(mover.body.credential));
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.account.phone, guarded.phone);
  });

  test('wrong codes are counted and slowed like PIN guesses', async () => {
    const { cred, app } = await withTotp();
    let r;
    for (let i = 0; i < 3; i++) {
      r = await srv.call('DELETE', '/v1/accounts/me/totp', { code: app.wrong() }, device(cred));
      assert.equal(r.status, 403, r.text);
    }
    // pin_waits 0,0,2: the third wrong code in a row starts a wait.
    assert.equal(r.body.error.retry_after, 2);
    const code = await app.code();
    const waiting = await srv.call('DELETE', '/v1/accounts/me/totp', { code }, device(cred));
    assert.equal(waiting.status, 429, waiting.text);
    assert.equal(waiting.body.error.code, 'totp_wait');
    assert.ok(Number(waiting.headers.get('retry-after')) >= 1);
    await sleep(Number(waiting.headers.get('retry-after')) * 1000 + 100);
    const ok = await srv.call('DELETE', '/v1/accounts/me/totp', { code }, device(cred));
    assert.equal(ok.status, 200, ok.text);
  });

  test('copies of a code already used are refused but are not wrong guesses: no wait follows them', async () => {
    const { cred, app } = await withTotp();
    const used = hotp(app.key, app.last); // the code that confirmed it
    // pin_waits 0,0,2: three wrong codes in a row would start a wait.
    for (let i = 0; i < 4; i++) {
      const r = await srv.call('DELETE', '/v1/accounts/me/totp', { code: used }, device(cred));
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error.code, 'incorrect_totp', r.text);
    }
    const ok = await srv.call('DELETE', '/v1/accounts/me/totp', { code: await app.code() }, device(cred));
    assert.equal(ok.status, 200, ok.text);
  });

  test('turned off with a current code; parallel requests with one code: one wins', async () => {
    const { cred, app, phone } = await withTotp();
    const code = await app.code();
    const all = await Promise.all(
      Array.from({ length: 12 }, () => srv.call('DELETE', '/v1/accounts/me/totp', { code }, device(cred))));
    assert.deepEqual(all.filter((r) => r.status === 200).length, 1, all.map((r) => r.text).join('\n'));
    for (const r of all.filter((x) => x.status !== 200))
      assert.ok(['incorrect_totp', 'no_totp'].includes(r.body.error.code), r.text);
    const me = await srv.call('GET', '/v1/accounts/me', undefined, device(cred));
    assert.deepEqual(me.body.account.totp, { enabled: false, pending: false });
    // Off: a new device needs nothing but the number's code again.
    const r = await register(phone);
    assert.equal(r.status, 200, r.text);
  });
});
