// Accounts end to end, with a real webhook receiver and a real SMTP server
// (Debian's aiosmtpd) on loopback: registration, a second device replacing
// the first, the two-step PIN (required, wrong with waits, the limit under
// parallel guesses, reset by e-mail, lapse), change of number,
// re-verification, and every event delivered, signed, and redelivered after
// the receiver fails.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { cleanup, codeFromSms, freshPhone, IOTPD, makeDataDir, runIotpd, sleep, start, waitFor } from './helpers.mjs';
import { makeSelfSignedCert, signatureValid, startSmtpServer, startWebhookReceiver } from './receivers.mjs';

const SECRET = 'whsec-e2e-0123456789abcdef';
const OTHER_KEY = 'other-app-key-0123456789';
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

function writeConfig(webhookUrl, extra = '') {
  const file = path.join(makeDataDir('iotp-conf-'), 'iotp.conf');
  writeFileSync(file, `[app default]\nwebhook_url = ${webhookUrl}\nwebhook_secret = ${SECRET}\n` +
    `[app other]\napi_key = ${OTHER_KEY}\nname = Other\n${extra}`);
  return file;
}

/** Starts iotpd with a webhook receiver (and options as IOTP_* env). */
async function server(env = {}, { failFirst = 0 } = {}) {
  const hooks = await startWebhookReceiver({ failFirst });
  const config = writeConfig(hooks.url);
  const srv = await start(env, { args: ['--dev', '--config', config] });
  return { srv, hooks, config };
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

async function register(srv, sessionId, extra = {}, name = 'phone') {
  return srv.call('POST', '/v1/accounts', { session_id: sessionId, device: { name }, ...extra });
}

const device = (cred) => ({ auth: false, headers: { authorization: `Device ${cred}` } });

after(cleanup);

describe('registration and devices', () => {
  let srv, hooks;
  before(async () => ({ srv, hooks } = await server()));
  after(() => hooks.close());

  test('first registration: 201, a credential shown once, the account, and account.registered', async () => {
    const phone = freshPhone();
    const r = await register(srv, await verified(srv, phone), {}, "Ana's phone");
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.created, true);
    assert.match(r.body.credential, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
    assert.equal(r.body.account.phone, phone);
    assert.equal(r.body.account.device.name, "Ana's phone");
    assert.equal(r.body.account.pin.enabled, false);
    const me = await srv.call('GET', '/v1/accounts/me', undefined, device(r.body.credential));
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.account.id, r.body.account.id);
    assert.equal(me.body.account.reverification.required, false);

    const ev = await hooks.waitEvent('account.registered', (b) => b.data.account_id === r.body.account.id);
    assert.ok(signatureValid(ev.signature, ev.raw, SECRET), `valid signature: ${ev.signature}`);
    assert.ok(!signatureValid(ev.signature, ev.raw, 'another-secret-0123456'), 'a wrong secret does not verify');
    assert.equal(ev.body.id, ev.id, 'Iotp-Event-Id is the body id');
    assert.equal(ev.body.data.phone, phone);
  });

  test('a second device replaces the first: the old credential stops working, the app is told', async () => {
    const phone = freshPhone();
    const first = await register(srv, await verified(srv, phone), {}, 'old phone');
    assert.equal(first.status, 201, first.text);
    const second = await register(srv, await verified(srv, phone), {}, 'new phone');
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.created, false);
    assert.equal(second.body.account.id, first.body.account.id, 'the same account moves');
    assert.notEqual(second.body.credential, first.body.credential);
    const old = await srv.call('GET', '/v1/accounts/me', undefined, device(first.body.credential));
    assert.equal(old.status, 401, old.text);
    assert.equal(old.body.error.code, 'invalid_credential');
    const now = await srv.call('GET', '/v1/accounts/me', undefined, device(second.body.credential));
    assert.equal(now.status, 200);
    assert.equal(now.body.account.device.name, 'new phone');
    const ev = await hooks.waitEvent('account.device_replaced', (b) => b.data.account_id === first.body.account.id);
    assert.equal(ev.body.data.old_device.name, 'old phone');
    assert.equal(ev.body.data.new_device.name, 'new phone');
    assert.ok(signatureValid(ev.signature, ev.raw, SECRET));
  });

  test('a spent session, an unverified one, and another app\'s are refused', async () => {
    const phone = freshPhone();
    const sid = await verified(srv, phone);
    assert.equal((await register(srv, sid)).status, 201);
    const again = await register(srv, sid);
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, 'session_spent');

    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    const unverified = await register(srv, c.body.id);
    assert.equal(unverified.status, 409);
    assert.equal(unverified.body.error.code, 'session_not_verified');

    const foreign = await verified(srv, freshPhone(), OTHER_KEY);
    const r = await register(srv, foreign);
    assert.equal(r.status, 404, r.text);
    assert.equal(r.body.error.code, 'session_not_found');
  });

  test('a device name that is empty, blank, too long or not one line of text: 400 saying what to send, the session unspent', async () => {
    const phone = freshPhone();
    const sid = await verified(srv, phone);
    const refusals = [
      ['', /must not be empty or only spaces/],
      ['   ', /must not be empty or only spaces/],
      ['\u00a0\u3000\u200b', /must not be empty or only spaces/],
      ['a'.repeat(65), /too long: at most 64 characters/],
      ['Ana\nphone', /one line of plain text/],
      ['Ana\tphone', /one line of plain text/],
      ['Ana\u0007', /one line of plain text/],
      ['Ana\u0085', /one line of plain text/],
      ['\u202eenohp', /direction overrides/],
    ];
    for (const [name, why] of refusals) {
      const r = await register(srv, sid, {}, name);
      assert.equal(r.status, 400, `${JSON.stringify(name)}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_field');
      assert.equal(r.body.error.field, 'name');
      assert.match(r.body.error.message, why);
      assert.match(r.body.error.message, /Send the name the person knows it by, like "Ana's phone"/);
    }
    // Invalid UTF-8 never reaches the field: the body is refused whole.
    const raw = Buffer.concat([Buffer.from(`{"session_id":"${sid}","device":{"name":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    const bad = await srv.call('POST', '/v1/accounts', undefined, { rawBody: raw, headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.code, 'invalid_utf8');
    // 64 characters are 64 whatever their script (here 130 bytes of UTF-8);
    // the refusals spent nothing.
    const name = 'é'.repeat(62) + '📱ж';
    const r = await register(srv, sid, {}, name);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.account.device.name, name);
  });

  test('parallel registrations with one session: exactly one wins', async () => {
    const sid = await verified(srv, freshPhone());
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => register(srv, sid, {}, `d${i}`)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409], JSON.stringify(results.map((r) => r.text)));
  });

  test('without a device credential, or with a wrong one: 401', async () => {
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, { auth: false })).status, 401);
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, device('x'.repeat(43)))).status, 401);
  });

  test('a code requested for a registered number tells the app', async () => {
    const phone = freshPhone();
    const r = await register(srv, await verified(srv, phone));
    assert.equal(r.status, 201);
    const c = await srv.call('POST', '/v1/sessions', { phone });
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status, 200);
    const ev = await hooks.waitEvent('verification.code_requested', (b) => b.data.session_id === c.body.id);
    assert.equal(ev.body.data.account_id, r.body.account.id);
    assert.equal(ev.body.data.phone, phone);
    assert.equal(ev.body.data.channel, 'sms');
  });
});

describe('two-step verification PIN', () => {
  let srv, hooks, smtp;
  before(async () => {
    smtp = await startSmtpServer();
    ({ srv, hooks } = await server({ IOTP_PIN_WAITS: '0,0,2', IOTP_PIN_MAX_ATTEMPTS: 5, IOTP_SMTP_URL: smtp.url,
      IOTP_PUBLIC_URL: 'https://verify.example' }));
  });
  after(async () => {
    await hooks.close();
    await smtp.stop();
  });

  async function withPin(pin = '246810', email) {
    const phone = freshPhone();
    const r = await register(srv, await verified(srv, phone));
    assert.equal(r.status, 201, r.text);
    const body = email ? { pin, email } : { pin };
    const p = await srv.call('PUT', '/v1/accounts/me/pin', body, device(r.body.credential));
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.account.pin.enabled, true);
    return { phone, cred: r.body.credential, id: r.body.account.id };
  }

  test('a new device needs the PIN: 423 without it, 403 when wrong, growing waits, then in with the right one', async () => {
    const { phone, id } = await withPin('246810');
    const sid = await verified(srv, phone);
    const none = await register(srv, sid);
    assert.equal(none.status, 423, none.text);
    assert.equal(none.body.error.code, 'pin_required');
    assert.equal(none.body.error.attempts_left, 5);
    assert.match(none.body.error.reset_available_at, /^\d{4}-/);

    const w1 = await register(srv, sid, { pin: '111111' });
    assert.equal(w1.status, 403, w1.text);
    assert.equal(w1.body.error.code, 'incorrect_pin');
    assert.equal(w1.body.error.attempts_left, 4);
    assert.equal(w1.headers.get('retry-after'), null, 'no wait after the first');
    const w2 = await register(srv, sid, { pin: '222222' });
    assert.equal(w2.body.error.attempts_left, 3);
    const w3 = await register(srv, sid, { pin: '333333' });
    assert.equal(w3.body.error.code, 'incorrect_pin');
    assert.equal(w3.headers.get('retry-after'), '2', 'the third wrong PIN starts a 2 s wait');
    const early = await register(srv, sid, { pin: '246810' });
    assert.equal(early.status, 429, early.text);
    assert.equal(early.body.error.code, 'pin_wait');
    assert.ok(Number(early.headers.get('retry-after')) >= 1);
    await sleep(2100);
    const ok = await register(srv, sid, { pin: '246810' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.account.id, id);
    assert.equal(ok.body.account.pin.enabled, true, 'the PIN stays');
    assert.equal(ok.body.account.pin.attempts_left, 5, 'a right PIN clears the count');
  });

  test('parallel wrong guesses never get more than pin_max_attempts comparisons', async () => {
    const { phone, id } = await withPin('135790');
    const sid = await verified(srv, phone);
    // Waits of 0, 0 then 2 s: the first two are free, the third starts a wait;
    // whatever runs in parallel, at most 5 guesses are compared in all.
    let compared = 0;
    for (let round = 0; round < 4; round++) {
      const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => register(srv, sid, { pin: String(100000 + round * 100 + i) })));
      for (const r of rs) assert.ok([403, 423, 429].includes(r.status), r.text);
      compared += rs.filter((r) => r.body.error.code === 'incorrect_pin').length;
      if (rs.some((r) => r.body.error.code === 'pin_locked')) break;
      await sleep(2100);
    }
    assert.equal(compared, 5, 'exactly pin_max_attempts wrong PINs were compared');
    const locked = await register(srv, sid, { pin: '135790' });
    assert.equal(locked.status, 423, locked.text);
    assert.equal(locked.body.error.code, 'pin_locked', 'even the right PIN is refused once locked');
    assert.equal(locked.body.error.attempts_left, 0);
    const ev = await hooks.waitEvent('account.pin_locked', (b) => b.data.account_id === id);
    assert.ok(signatureValid(ev.signature, ev.raw, SECRET));
    assert.equal(hooks.accepted().filter((d) => d.type === 'account.pin_locked' && d.body.data.account_id === id).length, 1,
      'the lock is told once');
  });

  test('a forgotten PIN is reset by the e-mailed link, once', async () => {
    const { phone, id } = await withPin('975310', 'ana@example.com');
    const sid = await verified(srv, phone);
    assert.equal((await register(srv, sid)).status, 423);
    const before = smtp.messages().length;
    const req = await srv.call('POST', '/v1/accounts/pin-reset', { session_id: sid });
    assert.equal(req.status, 202, req.text);
    const mails = await smtp.waitMessage(before + 1);
    const mail = mails.find((m) => m.includes(phone));
    assert.ok(mail, `an e-mail about ${phone} in ${JSON.stringify(mails)}`);
    assert.match(mail, /^To: ana@example\.com$/m);
    assert.match(mail, /^Subject: Reset your two-step verification PIN$/m);
    const link = /https:\/\/verify\.example\/v1\/pin-reset\?token=([A-Za-z0-9_-]+)/.exec(mail);
    assert.ok(link, mail);

    const page = await srv.call('GET', `/v1/pin-reset?token=${link[1]}`, undefined, { auth: false });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(page.text, /Turn the PIN off/);
    // Opening the page changed nothing: the PIN still guards the number.
    assert.equal((await register(srv, sid)).status, 423);

    const reset = await srv.call('POST', '/v1/pin-reset', { token: link[1] }, { auth: false });
    assert.equal(reset.status, 200, reset.text);
    const twice = await srv.call('POST', '/v1/pin-reset', { token: link[1] }, { auth: false });
    assert.equal(twice.status, 410, twice.text);
    assert.equal(twice.body.error.code, 'reset_link_invalid');
    const forged = await srv.call('POST', '/v1/pin-reset', { token: 'A'.repeat(43) }, { auth: false });
    assert.equal(forged.status, 410);

    const r = await register(srv, sid);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.account.id, id);
    assert.equal(r.body.account.pin.enabled, false);
  });

  // Issue 12, finding 1: one code of the victim's number (SIM swap, SS7,
  // phishing) plus the attacker's own account used to close the victim's
  // PIN-guarded account through change of number.
  test('change of number onto a PIN-guarded number needs that PIN; without it the account stays', async () => {
    const victim = await withPin('570319');
    const thiefPhone = freshPhone();
    const thief = await register(srv, await verified(srv, thiefPhone));
    assert.equal(thief.status, 201, thief.text);
    const oldSid = await verified(srv, thiefPhone);
    const newSid = await verified(srv, victim.phone); // the one stolen code
    const move = (pin) => srv.call('POST', '/v1/accounts/me/number',
      { old_session_id: oldSid, new_session_id: newSid, ...(pin ? { pin } : {}) }, device(thief.body.credential));

    const none = await move();
    assert.equal(none.status, 423, none.text);
    assert.equal(none.body.error.code, 'pin_required');
    assert.equal(none.body.error.attempts_left, 5);
    const wrong = await move('111111');
    assert.equal(wrong.status, 403, wrong.text);
    assert.equal(wrong.body.error.code, 'incorrect_pin');
    assert.equal(wrong.body.error.attempts_left, 4);
    const bad = await move('12ab56');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.field, 'pin');
    // The guesses share the registration's budget and waits.
    await move('222222');
    const third = await move('333333');
    assert.equal(third.headers.get('retry-after'), '2', third.text);
    assert.equal((await move('570319')).body.error.code, 'pin_wait');

    const me = await srv.call('GET', '/v1/accounts/me', undefined, device(victim.cred));
    assert.equal(me.status, 200, `the victim's account still stands: ${me.text}`);
    assert.equal(me.body.account.phone, victim.phone);
    const still = await srv.call('GET', '/v1/accounts/me', undefined, device(thief.body.credential));
    assert.equal(still.body.account.phone, thiefPhone, 'the thief did not move');

    // Its holder, who knows the PIN, may move another account of theirs onto it.
    await sleep(2100);
    const ok = await move('570319');
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.account.phone, victim.phone);
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, device(victim.cred))).status, 401);
  });

  // Issue 12, finding 10: one verified session sent reset mail after reset
  // mail for as long as it lasted.
  test('one reset link at a time: asking again while it works sends no second e-mail', async () => {
    const { phone } = await withPin('808182', 'bo@example.com');
    const sid = await verified(srv, phone);
    const before = smtp.messages().length;
    const first = await srv.call('POST', '/v1/accounts/pin-reset', { session_id: sid });
    assert.equal(first.status, 202, first.text);
    await smtp.waitMessage(before + 1);
    for (let i = 0; i < 3; i++) {
      const again = await srv.call('POST', '/v1/accounts/pin-reset', { session_id: sid });
      assert.equal(again.status, 429, again.text);
      assert.equal(again.body.error.code, 'pin_reset_pending');
      assert.equal(again.body.error.expires_at, first.body.expires_at);
      assert.ok(Number(again.headers.get('retry-after')) > 3000, 'until the link expires');
    }
    const other = await srv.call('POST', '/v1/accounts/pin-reset', { session_id: await verified(srv, phone) });
    assert.equal(other.status, 429, 'a fresh session gets no second link either');
    // The first message has had every chance to be joined by others.
    await srv.call('POST', '/v1/accounts/pin-reset', { session_id: sid });
    const about = (await smtp.waitMessage(before + 1)).filter((m) => m.includes(phone));
    assert.equal(about.length, 1, 'exactly one e-mail');
  });

  test('no recovery e-mail: the answer says when the PIN lapses', async () => {
    const { phone } = await withPin('864200');
    const r = await srv.call('POST', '/v1/accounts/pin-reset', { session_id: await verified(srv, phone) });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'no_recovery_email');
    assert.match(r.body.error.reset_available_at, /^\d{4}-/);
  });

  test('the reminder: a right PIN moves the next reminder out; removing the PIN needs it', async () => {
    const { cred } = await withPin('112358');
    const me = await srv.call('GET', '/v1/accounts/me', undefined, device(cred));
    const first = Date.parse(me.body.account.pin.next_reminder_at);
    await sleep(20);
    const ok = await srv.call('POST', '/v1/accounts/me/pin/check', { pin: '112358' }, device(cred));
    assert.equal(ok.status, 200, ok.text);
    assert.ok(Date.parse(ok.body.account.pin.next_reminder_at) > first + 11 * 3600 * 1000, 'from 12 h to 24 h out');
    const wrong = await srv.call('POST', '/v1/accounts/me/pin/check', { pin: '000000' }, device(cred));
    assert.equal(wrong.status, 403);
    assert.equal((await srv.call('DELETE', '/v1/accounts/me/pin', { pin: '999999' }, device(cred))).status, 403);
    const del = await srv.call('DELETE', '/v1/accounts/me/pin', { pin: '112358' }, device(cred));
    assert.equal(del.status, 200, del.text);
    assert.equal(del.body.account.pin.enabled, false);
    const bad = await srv.call('PUT', '/v1/accounts/me/pin', { pin: '12ab56' }, device(cred));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'pin');
  });
});

describe('lapse, change of number, re-verification, redelivery', () => {
  let srv, hooks, config;
  // Short enough for a test, long enough that a loaded machine finishes what
  // each test does before them (a verification, a change of number).
  before(async () => ({ srv, hooks, config } = await server({ IOTP_PIN_LAPSE: 5, IOTP_REVERIFY_AFTER: 12 }, { failFirst: 2 })));
  after(() => hooks.close());

  test('events are redelivered after the receiver fails, with the same id, and accepted once', async () => {
    const r = await register(srv, await verified(srv, freshPhone()));
    assert.equal(r.status, 201);
    const ev = await hooks.waitEvent('account.registered', (b) => b.data.account_id === r.body.account.id, 15000);
    const tries = hooks.deliveries.filter((d) => d.id === ev.id);
    assert.ok(tries.length >= 1);
    assert.equal(tries.filter((d) => d.status < 300).length, 1, 'accepted once');
    assert.ok(hooks.deliveries.filter((d) => d.status === 503).length === 2, 'the two failures happened');
    for (const d of hooks.deliveries) assert.ok(signatureValid(d.signature, d.raw, SECRET));
  });

  test('an unused PIN lapses: the owner registers with the code alone', async () => {
    const phone = freshPhone();
    const r = await register(srv, await verified(srv, phone));
    const p = await srv.call('PUT', '/v1/accounts/me/pin', { pin: '314159' }, device(r.body.credential));
    assert.equal(p.status, 200);
    const sid = await verified(srv, phone);
    assert.equal((await register(srv, sid)).status, 423, 'still guarded');
    await sleep(5100);
    const again = await register(srv, sid);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.account.pin.enabled, false);
    const ev = await hooks.waitEvent('account.device_replaced', (b) => b.data.account_id === r.body.account.id, 15000);
    assert.equal(ev.body.data.pin_lapsed, true);
  });

  test('change of number with both codes: same account, the taken number\'s account closed, the app told', async () => {
    const oldPhone = freshPhone(), newPhone = freshPhone();
    const a = await register(srv, await verified(srv, oldPhone));
    const b = await register(srv, await verified(srv, newPhone));
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const oldSid = await verified(srv, oldPhone), newSid = await verified(srv, newPhone);
    const wrong = await srv.call('POST', '/v1/accounts/me/number', { old_session_id: newSid, new_session_id: oldSid }, device(a.body.credential));
    assert.equal(wrong.status, 409, wrong.text);
    assert.equal(wrong.body.error.code, 'session_wrong_number');
    const r = await srv.call('POST', '/v1/accounts/me/number', { old_session_id: oldSid, new_session_id: newSid }, device(a.body.credential));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.account.id, a.body.account.id);
    assert.equal(r.body.account.phone, newPhone);
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, device(b.body.credential))).status, 401, 'the other account is closed');
    const again = await srv.call('POST', '/v1/accounts/me/number', { old_session_id: oldSid, new_session_id: newSid }, device(a.body.credential));
    assert.equal(again.body.error.code, 'session_spent');
    const ev = await hooks.waitEvent('account.number_changed', (x) => x.data.account_id === a.body.account.id, 15000);
    assert.equal(ev.body.data.old_phone, oldPhone);
    assert.equal(ev.body.data.new_phone, newPhone);
    assert.equal(ev.body.data.closed_account_id, b.body.account.id);
    await hooks.waitEvent('account.closed', (x) => x.data.account_id === b.body.account.id, 15000);
  });

  test('after reverify_after, the device must verify its number again', async () => {
    const phone = freshPhone();
    const r = await register(srv, await verified(srv, phone));
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, device(r.body.credential))).status, 200);
    await sleep(12100);
    const me = await srv.call('GET', '/v1/accounts/me', undefined, device(r.body.credential));
    assert.equal(me.status, 403, me.text);
    assert.equal(me.body.error.code, 'reverification_required');
    const other = await verified(srv, freshPhone());
    const bad = await srv.call('POST', '/v1/accounts/me/reverify', { session_id: other }, device(r.body.credential));
    assert.equal(bad.body.error.code, 'session_wrong_number');
    const ok = await srv.call('POST', '/v1/accounts/me/reverify', { session_id: await verified(srv, phone) }, device(r.body.credential));
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, device(r.body.credential))).status, 200);
  });

  test('an operator marks an account for re-verification with iotpctl', async () => {
    const phone = freshPhone();
    const r = await register(srv, await verified(srv, phone));
    const { stdout } = await promisify(execFile)(IOTPCTL, ['--dev', '--config', config, ...srv.storeArgs,
      'account', 'reverify', phone, '--reason', 'support ticket 42']);
    assert.match(stdout, /marked/);
    const me = await srv.call('GET', '/v1/accounts/me', undefined, device(r.body.credential));
    assert.equal(me.status, 403, me.text);
    assert.equal(me.body.error.code, 'reverification_required');
    const ev = await hooks.waitEvent('account.reverification_required', (b) => b.data.account_id === r.body.account.id, 15000);
    assert.equal(ev.body.data.reason, 'support ticket 42');
  });
});

// Issue 12, finding 10: reset e-mails went out with opportunistic TLS only.
describe('smtp_tls', () => {
  test('require: a server without STARTTLS gets no e-mail, and the log says why', async () => {
    const smtp = await startSmtpServer(); // aiosmtpd offers no STARTTLS
    const { srv, hooks } = await server({ IOTP_SMTP_URL: smtp.url, IOTP_SMTP_TLS: 'require',
      IOTP_PUBLIC_URL: 'https://verify.example' });
    try {
      const phone = freshPhone();
      const r = await register(srv, await verified(srv, phone));
      await srv.call('PUT', '/v1/accounts/me/pin', { pin: '919293', email: 'cy@example.com' }, device(r.body.credential));
      const req = await srv.call('POST', '/v1/accounts/pin-reset', { session_id: await verified(srv, phone) });
      assert.equal(req.status, 202, req.text);
      const said = await waitFor(() => /mail\.pin_reset\): the SMTP server did not take the e-mail: .*SSL/i
        .test(srv.stdout + srv.stderr), { timeoutMs: 8000 });
      assert.ok(said, `the log names the failed TLS:\n${srv.stderr}`);
      assert.equal(smtp.messages().length, 0, 'nothing crossed in clear');
    } finally {
      await hooks.close();
      await smtp.stop();
    }
  });

  // The other half of require: a server that offers STARTTLS with a certificate
  // the operator named gets the e-mail, and one whose certificate nobody vouches
  // for does not (TLS to an impostor would hand it the link).
  test('require: a STARTTLS server with a certificate from smtp_ca_file gets the e-mail; an unknown certificate does not', async () => {
    const tls = makeSelfSignedCert();
    const smtp = await startSmtpServer({ tls });
    const trusted = await server({ IOTP_SMTP_URL: smtp.url, IOTP_SMTP_TLS: 'require',
      IOTP_SMTP_CA_FILE: tls.cert, IOTP_PUBLIC_URL: 'https://verify.example' });
    try {
      const phone = freshPhone();
      const r = await register(trusted.srv, await verified(trusted.srv, phone));
      await trusted.srv.call('PUT', '/v1/accounts/me/pin', { pin: '919293', email: 'di@example.com' }, device(r.body.credential));
      const req = await trusted.srv.call('POST', '/v1/accounts/pin-reset', { session_id: await verified(trusted.srv, phone) });
      assert.equal(req.status, 202, req.text);
      const mails = await smtp.waitMessage(1, 10000);
      assert.equal(mails.length, 1, `the e-mail arrived over STARTTLS:\n${trusted.srv.stderr}`);
      assert.match(mails[0], /^To: <?di@example\.com>?/m);
      assert.match(mails[0], /https:\/\/verify\.example\//);
    } finally {
      await trusted.hooks.close();
    }
    const untrusted = await server({ IOTP_SMTP_URL: smtp.url, IOTP_SMTP_TLS: 'require',
      IOTP_PUBLIC_URL: 'https://verify.example' });
    try {
      const phone = freshPhone();
      const r = await register(untrusted.srv, await verified(untrusted.srv, phone));
      await untrusted.srv.call('PUT', '/v1/accounts/me/pin', { pin: '919293', email: 'ed@example.com' }, device(r.body.credential));
      const req = await untrusted.srv.call('POST', '/v1/accounts/pin-reset', { session_id: await verified(untrusted.srv, phone) });
      assert.equal(req.status, 202, req.text);
      const said = await waitFor(() => /mail\.pin_reset\): the SMTP server did not take the e-mail: .*(SSL|certificate)/i
        .test(untrusted.srv.stdout + untrusted.srv.stderr), { timeoutMs: 8000 });
      assert.ok(said, `the log names the unverified certificate:\n${untrusted.srv.stderr}`);
      assert.equal(smtp.messages().length, 1, 'no second e-mail went to a server with an unknown certificate');
    } finally {
      await untrusted.hooks.close();
      await smtp.stop();
    }
  });

  test('smtp_ca_file that cannot be read refuses to start, naming the path', async () => {
    const r = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], { IOTP_SMTP_CA_FILE: '/nonexistent/ca.pem' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /smtp_ca_file \(IOTP_SMTP_CA_FILE\): cannot read '\/nonexistent\/ca\.pem'/);
  });

  test('a value other than require, opportunistic or off refuses to start', async () => {
    const r = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], { IOTP_SMTP_TLS: 'maybe' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /smtp_tls \(IOTP_SMTP_TLS\): 'maybe' is not require, opportunistic or off/);
  });
});
