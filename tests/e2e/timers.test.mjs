// Resend timers, voice, code expiry and session expiry, with short timers:
// SMS waits 0, 2, 3 s (three SMS at most), voice waits 1, 2 s (two calls),
// codes live 10 s. Every wait below is the one the server announced.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, SMS_RE, sleep, start } from './helpers.mjs';

let srv; // codes live 10 s, sessions 30 min
let short; // sessions live 10 s
before(async () => {
  [srv, short] = await Promise.all([
    start({ IOTP_SMS_DELAYS: '0,2,3', IOTP_VOICE_DELAYS: '1,2', IOTP_CODE_TTL: '10' }),
    start({ IOTP_SMS_DELAYS: '0,2,3', IOTP_VOICE_DELAYS: '1,2', IOTP_CODE_TTL: '10', IOTP_SESSION_TTL: '10' }),
  ]);
});
after(cleanup);

const VOICE_RE =
  /^Your iotp code is: (\d(?:, \d){5})\. Again: \1\. Don't share this code with anyone\. It expires in 1 minute\.$/;

async function create(server, phone) {
  const r = await server.call('POST', '/v1/sessions', { phone });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

const send = (server, id, channel = 'sms') => server.call('POST', `/v1/sessions/${id}/code`, { channel });

/** Asserts a 429 send_too_soon that carries a Retry-After and the session,
 *  and returns the wait in seconds. */
function tooSoon(r, id) {
  assert.equal(r.status, 429, r.text);
  assert.equal(r.body.error.code, 'send_too_soon');
  const ra = r.headers.get('retry-after');
  assert.match(ra ?? '', /^\d+$/, 'Retry-After is whole seconds');
  const wait = Number(ra);
  assert.ok(wait >= 1, `Retry-After ${wait} ≥ 1`);
  assert.ok(r.body.session, 'the error carries the session');
  assert.equal(r.body.session.id, id);
  return wait;
}

/** Sends on channel, waiting as long as the server says if it is too early. */
async function sendWhenAllowed(server, id, channel) {
  for (let i = 0; i < 5; i++) {
    const r = await send(server, id, channel);
    if (r.status !== 429 || r.body?.error?.code !== 'send_too_soon') return r;
    await sleep(tooSoon(r, id) * 1000);
  }
  throw new Error('still too soon after 5 waits');
}

describe('timers', { concurrency: true }, () => {
  test('resend schedule: 429 send_too_soon with Retry-After, then the same code; bounded sends', async () => {
    const phone = freshPhone();
    const s = await create(srv, phone);
    assert.equal(s.next_sms, 0);
    assert.equal(s.next_call, null, 'no call before the first SMS');
    assert.equal(s.next_verification_attempt, null);
    assert.equal(s.allowed_to_request_code, true);

    const first = await send(srv, s.id);
    assert.equal(first.status, 200, first.text);
    assert.ok(first.body.next_sms >= 1 && first.body.next_sms <= 2, `next_sms after 1st SMS: ${first.body.next_sms}`);
    assert.ok(first.body.next_call >= 0 && first.body.next_call <= 1, `next_call after 1st SMS: ${first.body.next_call}`);
    assert.equal(first.body.next_verification_attempt, 0);

    const early = await send(srv, s.id);
    const wait = tooSoon(early, s.id);
    assert.ok(wait <= 2, `Retry-After ${wait} ≤ the 2 s delay`);
    assert.equal(early.body.session.next_sms, wait, 'next_sms agrees with Retry-After');
    assert.equal(early.body.session.next_verification_attempt, 0, 'the code already sent can still be checked');

    await sleep(wait * 1000);
    const second = await sendWhenAllowed(srv, s.id, 'sms');
    assert.equal(second.status, 200, second.text);
    assert.ok(second.body.next_sms >= 1 && second.body.next_sms <= 3, `next_sms after 2nd SMS: ${second.body.next_sms}`);
    // Asked at once, before anything else can take the 3 s away.
    const early2 = await send(srv, s.id);
    const wait2 = tooSoon(early2, s.id);
    assert.ok(wait2 <= 3, `Retry-After ${wait2} ≤ the 3 s delay`);

    const two = await srv.waitInbox(phone, 2);
    assert.equal(two.length, 2, 'two SMS in the inbox');
    for (const m of two) assert.match(m.text, SMS_RE);
    assert.equal(codeFromSms(two[0].text), codeFromSms(two[1].text), 'a resend while the code is valid sends the same code');

    await sleep(wait2 * 1000);
    const third = await sendWhenAllowed(srv, s.id, 'sms');
    assert.equal(third.status, 200, third.text);
    assert.equal(third.body.next_sms, null, 'no SMS left');
    assert.equal(third.body.allowed_to_request_code, true, 'calls are still possible');
    assert.equal(typeof third.body.next_call, 'number');

    const fourth = await send(srv, s.id);
    assert.equal(fourth.status, 429, fourth.text);
    assert.equal(fourth.body.error.code, 'sends_exhausted');
    assert.equal(fourth.body.session.id, s.id);
    assert.equal(fourth.body.session.next_sms, null);

    const three = await srv.waitInbox(phone, 3);
    assert.equal(new Set(three.map((m) => codeFromSms(m.text))).size, 1, 'all three SMS carry one code');

    // Both calls, then nothing is left at all.
    const call1 = await sendWhenAllowed(srv, s.id, 'voice');
    assert.equal(call1.status, 200, call1.text);
    const call2 = await sendWhenAllowed(srv, s.id, 'voice');
    assert.equal(call2.status, 200, call2.text);
    assert.equal(call2.body.next_call, null);
    assert.equal(call2.body.next_sms, null);
    assert.equal(call2.body.allowed_to_request_code, false, 'nothing more can be sent');
    assert.equal(call2.body.next_verification_attempt, 0, 'the code can still be checked');
    const call3 = await send(srv, s.id, 'voice');
    assert.equal(call3.status, 429, call3.text);
    assert.equal(call3.body.error.code, 'sends_exhausted');
    assert.equal(call3.body.session.allowed_to_request_code, false);

    const five = await srv.waitInbox(phone, 5);
    assert.equal(five.length, 5);
    const code = codeFromSms(three[0].text);
    const ok = await srv.call('PUT', `/v1/sessions/${s.id}/code`, { code });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.verified, true);
    assert.equal(ok.body.next_sms, null);
    assert.equal(ok.body.next_call, null);
    assert.equal(ok.body.next_verification_attempt, null);
  });

  test('voice: refused before any SMS, offered after the first SMS plus its delay, digits spoken twice', async () => {
    const phone = freshPhone();
    const s = await create(srv, phone);

    const noSms = await send(srv, s.id, 'voice');
    assert.equal(noSms.status, 409, noSms.text);
    assert.equal(noSms.body.error.code, 'channel_not_available');
    assert.equal(noSms.body.session.id, s.id);
    assert.equal(noSms.body.session.next_call, null);

    const sms = await send(srv, s.id, 'sms');
    assert.equal(sms.status, 200, sms.text);
    assert.equal(typeof sms.body.next_call, 'number', 'a call is scheduled once an SMS went');
    const [text] = await srv.waitInbox(phone, 1);
    const code = codeFromSms(text.text);

    const early = await send(srv, s.id, 'voice');
    if (early.status === 429) {
      const wait = tooSoon(early, s.id);
      assert.ok(wait <= 1, `Retry-After ${wait} ≤ the 1 s voice delay`);
      assert.equal(early.body.session.next_call, wait);
    } else {
      assert.equal(early.status, 200, early.text);
    }
    const call = early.status === 200 ? early : await sendWhenAllowed(srv, s.id, 'voice');
    assert.equal(call.status, 200, call.text);
    // Asked at once, before anything else can take the 2 s away.
    const early2 = await send(srv, s.id, 'voice');
    const wait2 = tooSoon(early2, s.id);
    assert.ok(wait2 <= 2, `Retry-After ${wait2} ≤ the 2 s delay`);

    const list = await srv.waitInbox(phone, 2);
    assert.equal(list[0].channel, 'voice', 'newest first: the call');
    assert.equal(list[1].channel, 'sms');
    const m = VOICE_RE.exec(list[0].text);
    assert.ok(m, `voice text: ${JSON.stringify(list[0].text)}`);
    assert.equal(m[1].replace(/, /g, ''), code, 'the call speaks the same code');
  });

  test('fixed line: voice at once, SMS never', async () => {
    const phone = '+442079460018';
    const s = await create(srv, '+44 20 7946 0018');
    assert.equal(s.phone, phone);
    assert.equal(s.number_type, 'fixed_line');
    assert.equal(s.next_sms, null, 'a fixed line cannot get an SMS');
    assert.equal(s.next_call, 0, 'a fixed line may be called at once');
    assert.equal(s.allowed_to_request_code, true);

    const sms = await send(srv, s.id, 'sms');
    assert.equal(sms.status, 409, sms.text);
    assert.equal(sms.body.error.code, 'channel_not_available');
    assert.equal(sms.body.session.id, s.id);

    const call = await send(srv, s.id, 'voice');
    assert.equal(call.status, 200, call.text);
    const [m] = await srv.waitInbox(phone, 1);
    assert.equal(m.channel, 'voice');
    assert.match(m.text, VOICE_RE);
  });

  test('code expiry: 410 code_expired, and the next send makes a new code', async () => {
    const phone = freshPhone();
    const s = await create(srv, phone);
    const sent = await send(srv, s.id);
    assert.equal(sent.status, 200, sent.text);
    const [sms] = await srv.waitInbox(phone, 1);
    assert.match(sms.text, SMS_RE);
    assert.match(sms.text, /It expires in 1 minute\.$/, '10 s rounds up to one minute, singular');
    const oldCode = codeFromSms(sms.text);

    const expiresAt = Date.parse(sent.body.code_expires_at);
    assert.ok(Number.isFinite(expiresAt), `code_expires_at: ${sent.body.code_expires_at}`);
    await sleep(Math.max(0, expiresAt - Date.now()) + 100);

    const g = await srv.call('GET', `/v1/sessions/${s.id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.next_verification_attempt, null, 'nothing to check once the code expired');
    assert.equal(g.body.next_sms, 0, 'a new SMS may go');

    const late = await srv.call('PUT', `/v1/sessions/${s.id}/code`, { code: oldCode });
    assert.equal(late.status, 410, late.text);
    assert.equal(late.body.error.code, 'code_expired');
    assert.equal(late.body.session.id, s.id);
    assert.equal(late.body.session.verified, false);

    const again = await send(srv, s.id);
    assert.equal(again.status, 200, again.text);
    const list = await srv.waitInbox(phone, 2);
    const newCode = codeFromSms(list[0].text);
    assert.notEqual(newCode, oldCode, 'a send after expiry makes a new code');

    const stale = await srv.call('PUT', `/v1/sessions/${s.id}/code`, { code: oldCode });
    assert.equal(stale.status, 400, stale.text);
    assert.equal(stale.body.error.code, 'incorrect_code');
    const ok = await srv.call('PUT', `/v1/sessions/${s.id}/code`, { code: newCode });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.verified, true);
  });

  test('session expiry: 410 session_expired carrying the session', async () => {
    const phone = freshPhone();
    const s = await create(short, phone);
    const withCode = await create(short, freshPhone());
    const sent = await send(short, withCode.id);
    assert.equal(sent.status, 200, sent.text);

    const until = Math.max(Date.parse(s.expires_at), Date.parse(sent.body.expires_at));
    await sleep(Math.max(0, until - Date.now()) + 100);

    const r = await send(short, s.id);
    assert.equal(r.status, 410, r.text);
    assert.equal(r.body.error.code, 'session_expired');
    assert.equal(r.body.session.id, s.id);
    assert.equal(r.body.session.allowed_to_request_code, false);
    assert.equal(r.body.session.next_sms, null);
    assert.equal(r.body.session.next_call, null);
    assert.equal(r.body.session.next_verification_attempt, null);

    const c = await short.call('PUT', `/v1/sessions/${withCode.id}/code`, { code: '123456' });
    assert.equal(c.status, 410, c.text);
    assert.equal(c.body.error.code, 'session_expired');
    assert.equal(c.body.session.id, withCode.id);
    assert.equal(c.body.session.verified, false);
  });
});
