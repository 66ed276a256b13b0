// The verification session API end to end: create, send, read the SMS from the
// dev inbox, check; how numbers may be typed and how refused numbers are
// explained; the session's timeline; routing, auth and caching headers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { cleanup, codeFromSms, freshPhone, makeDataDir, SMS_RE, start, waitFor } from './helpers.mjs';

let srv;
before(async () => {
  // One client address makes every session here: past pow_ip_sessions (30)
  // they would owe a proof-of-work, which fraud.test.mjs covers.
  srv = await start({ IOTP_SMS_DELAYS: '0,2,3', IOTP_VOICE_DELAYS: '1,2', IOTP_POW_IP_SESSIONS: '1000' });
});
after(cleanup);

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function assertSessionShape(s) {
  assert.equal(typeof s, 'object', 'a session object');
  assert.ok(s !== null);
  for (const k of [
    'id', 'phone', 'region', 'number_type', 'allowed_to_request_code', 'requested_information',
    'next_sms', 'next_call', 'next_verification_attempt', 'expires_at', 'verified',
  ]) assert.ok(k in s, `session has ${k}: ${JSON.stringify(s)}`);
  assert.equal(typeof s.id, 'string');
  assert.match(s.phone, /^\+[1-9]\d{6,14}$/, 'phone is E.164');
  assert.equal(typeof s.allowed_to_request_code, 'boolean');
  assert.ok(Array.isArray(s.requested_information));
  for (const k of ['next_sms', 'next_call', 'next_verification_attempt'])
    assert.ok(s[k] === null || (Number.isInteger(s[k]) && s[k] >= 0), `${k} is null or seconds: ${s[k]}`);
  assert.match(s.expires_at, ISO_RE);
  assert.equal(typeof s.verified, 'boolean');
}

async function createSession(phone, region) {
  const r = await srv.call('POST', '/v1/sessions', region ? { phone, region } : { phone });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

/** Creates a session, sends an SMS and returns {session, code, sms}. */
async function sessionWithCode(phone = freshPhone()) {
  const s = await createSession(phone);
  const r = await srv.call('POST', `/v1/sessions/${s.id}/code`, { channel: 'sms' });
  assert.equal(r.status, 200, r.text);
  const [sms] = await srv.waitInbox(phone, 1);
  assert.ok(sms, `an SMS reached ${phone}`);
  return { session: r.body, code: codeFromSms(sms.text), sms };
}

describe('full flow', () => {
  test('create → send → SMS in the dev inbox → check → verified; a code works once', async () => {
    const phone = '+447911123456';
    const c = await srv.call('POST', '/v1/sessions', { phone: '+44 7911 123456' });
    assert.equal(c.status, 201, c.text);
    assert.match(c.headers.get('content-type'), /^application\/json/);
    const s = c.body;
    assertSessionShape(s);
    assert.match(s.id, /^[A-Za-z0-9_-]{22,}$/, 'id is long and URL-safe (≥128 bits)');
    assert.equal(s.phone, phone);
    assert.match(s.region, /^[A-Z]{2}$/);
    assert.equal(s.number_type, 'mobile');
    assert.equal(s.allowed_to_request_code, true);
    assert.deepEqual(s.requested_information, []);
    assert.equal(s.next_sms, 0, 'first SMS may go at once');
    assert.equal(s.next_call, null, 'no call before the first SMS for a mobile');
    assert.equal(s.next_verification_attempt, null, 'nothing to check before a code is sent');
    assert.ok(Date.parse(s.expires_at) > Date.now() - 5000, 'expires in the future');
    assert.equal(s.verified, false);

    const other = await createSession(phone);
    assert.notEqual(other.id, s.id, 'every session gets its own id');

    const send = await srv.call('POST', `/v1/sessions/${s.id}/code`, { channel: 'sms' });
    assert.equal(send.status, 200, send.text);
    assertSessionShape(send.body);
    assert.equal(send.body.id, s.id);
    assert.equal(send.body.next_verification_attempt, 0, 'a code can be checked now');
    assert.equal(send.body.verified, false);

    const list = await srv.waitInbox(phone, 1);
    assert.equal(list.length, 1, 'one message in the inbox');
    const [sms] = list;
    assert.equal(sms.to, phone);
    assert.equal(sms.channel, 'sms');
    assert.match(sms.text, SMS_RE);
    assert.match(sms.text, /It expires in 10 minutes\.$/, 'default code lifetime is 10 minutes');
    assert.match(sms.sent_at, ISO_RE);
    assert.deepEqual(Object.keys(sms).sort(), ['channel', 'sent_at', 'text', 'to'], 'no field carries the code separately');

    const dashed = /code: (\d{3}-\d{3})\./.exec(sms.text)[1];
    const ok = await srv.call('PUT', `/v1/sessions/${s.id}/code`, { code: dashed });
    assert.equal(ok.status, 200, ok.text);
    assertSessionShape(ok.body);
    assert.equal(ok.body.verified, true);

    const again = await srv.call('PUT', `/v1/sessions/${s.id}/code`, { code: dashed });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, 'already_verified');
    assert.equal(typeof again.body.error.message, 'string');
    assertSessionShape(again.body.session);
    assert.equal(again.body.session.id, s.id);
    assert.equal(again.body.session.verified, true);

    const more = await srv.call('POST', `/v1/sessions/${s.id}/code`, { channel: 'sms' });
    assert.equal(more.status, 409, more.text);
    assert.equal(more.body.error.code, 'already_verified');
    assert.equal(more.body.session.id, s.id);
  });

  test('the code is accepted as bare digits', async () => {
    const { session, code } = await sessionWithCode();
    assert.match(code, /^\d{6}$/);
    const r = await srv.call('PUT', `/v1/sessions/${session.id}/code`, { code });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.verified, true);
  });

  test('the code is accepted with a space where the SMS shows the dash', async () => {
    const { session, code } = await sessionWithCode();
    const r = await srv.call('PUT', `/v1/sessions/${session.id}/code`, { code: `${code.slice(0, 3)} ${code.slice(3)}` });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.verified, true);
  });

  test('answers never carry the code itself', async () => {
    const { session, code } = await sessionWithCode();
    const dashed = `${code.slice(0, 3)}-${code.slice(3)}`;
    const g = await srv.call('GET', `/v1/sessions/${session.id}`);
    assert.equal(g.status, 200);
    for (const v of [`"${code}"`, `"${dashed}"`]) {
      assert.ok(!g.text.includes(v), `GET session does not contain ${v}`);
    }
  });

  test('the SMS names the app (IOTP_APP_NAME)', async () => {
    const other = await start({ IOTP_APP_NAME: 'Acme Bank' });
    try {
      const phone = freshPhone();
      const c = await other.call('POST', '/v1/sessions', { phone });
      assert.equal(c.status, 201, c.text);
      const r = await other.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
      assert.equal(r.status, 200, r.text);
      const [sms] = await other.waitInbox(phone, 1);
      assert.ok(sms, 'an SMS arrived');
      assert.match(
        sms.text,
        /^Your Acme Bank code: \d{3}-\d{3}\. Don't share this code with anyone\. It expires in 10 minutes\.$/,
      );
    } finally {
      assert.equal((await other.stop()).code, 0);
    }
  });
});

describe('typing styles', () => {
  const cases = [
    [{ phone: '+44 7911 123456' }, '+447911123456'],
    [{ phone: '07911 123456', region: 'GB' }, '+447911123456'],
    [{ phone: '(415) 555-2671', region: 'US' }, '+14155552671'],
    [{ phone: '0044 7911 123456' }, '+447911123456'],
    [{ phone: '+44 (0)7400 123-456' }, '+447400123456'],
    [{ phone: '+1 415.555.2671' }, '+14155552671'],
  ];
  for (const [body, e164] of cases) {
    test(`${JSON.stringify(body)} → ${e164}`, async () => {
      const r = await srv.call('POST', '/v1/sessions', body);
      assert.equal(r.status, 201, r.text);
      assertSessionShape(r.body);
      assert.equal(r.body.phone, e164);
    });
  }

  test('US number typed nationally has region US', async () => {
    const r = await srv.call('POST', '/v1/sessions', { phone: '(415) 555-2671', region: 'US' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.region, 'US');
  });

  test('GB mobile has region GB and type mobile', async () => {
    const r = await srv.call('POST', '/v1/sessions', { phone: '07400 123456', region: 'GB' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.phone, '+447400123456');
    assert.equal(r.body.region, 'GB');
    assert.equal(r.body.number_type, 'mobile');
  });
});

describe('numbers that cannot be verified get 422 with an actionable message', () => {
  async function refused(body, code) {
    const r = await srv.call('POST', '/v1/sessions', body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.code, code, r.text);
    assert.equal(typeof r.body.error.message, 'string');
    assert.ok(r.body.error.message.length > 20, 'a real sentence');
    assert.equal(r.body.session, undefined, 'no session was created');
    return r.body.error;
  }

  /** The message names the country and its calling code and shows an
   *  example — and the example is itself a number iotp accepts. */
  async function namesCountry(err, country, callingCode) {
    assert.ok(err.message.includes(country), `message names ${country}: ${err.message}`);
    assert.ok(err.message.includes(`+${callingCode}`), `message names +${callingCode}: ${err.message}`);
    assert.equal(err.country_name, country);
    assert.equal(err.calling_code, callingCode);
    assert.equal(typeof err.example, 'string');
    assert.ok(err.message.includes(err.example), `message shows the example: ${err.message}`);
    const ex = await srv.call('POST', '/v1/sessions', { phone: err.example });
    assert.equal(ex.status, 201, `the example ${err.example} is accepted: ${ex.text}`);
  }

  test('invalid_number (a US number no carrier uses)', async () => {
    const err = await refused({ phone: '+1 999 123 4567' }, 'invalid_number');
    await namesCountry(err, 'United States', 1);
  });

  test('invalid_number (not a number at all)', async () => {
    await refused({ phone: 'hello' }, 'invalid_number');
  });

  test('missing_country_code (national number, no region)', async () => {
    const err = await refused({ phone: '07911 123456' }, 'missing_country_code');
    assert.match(err.message, /\+/, 'tells how to add the country code');
    assert.match(err.message, /region/, 'or to send a region');
  });

  test('too_short', async () => {
    const err = await refused({ phone: '+44 791' }, 'too_short');
    await namesCountry(err, 'United Kingdom', 44);
  });

  test('too_long', async () => {
    const err = await refused({ phone: '+44 7911 1234567890' }, 'too_long');
    await namesCountry(err, 'United Kingdom', 44);
  });

  test('invalid_country_code', async () => {
    const err = await refused({ phone: '+999 1234567' }, 'invalid_country_code');
    assert.match(err.message, /\+44|\+1/, 'shows a real country code');
  });

  test('unsupported_number_type: GB premium rate', async () => {
    const err = await refused({ phone: '+44 909 8765432' }, 'unsupported_number_type');
    assert.equal(err.number_type, 'premium_rate');
    await namesCountry(err, 'United Kingdom', 44);
  });

  test('unsupported_number_type: US toll free', async () => {
    const err = await refused({ phone: '+1 800 234 5678' }, 'unsupported_number_type');
    assert.equal(err.number_type, 'toll_free');
    await namesCountry(err, 'United States', 1);
  });

  test('invalid_region', async () => {
    for (const region of ['XX', 'GBR', '1', 'G']) {
      const err = await refused({ phone: '07911 123456', region }, 'invalid_region');
      assert.ok(err.message.includes(region), `message repeats the region typed: ${err.message}`);
    }
  });
});

describe('GET /v1/sessions/{id}', () => {
  test('shows the session and its delivery timeline', async () => {
    const { session } = await sessionWithCode();
    let g;
    await waitFor(async () => {
      g = await srv.call('GET', `/v1/sessions/${session.id}`);
      return g.status === 200 && g.body.timeline?.[0]?.status === 'submitted';
    });
    assert.equal(g.status, 200, g.text);
    assertSessionShape(g.body);
    assert.equal(g.body.id, session.id);
    assert.equal(g.body.phone, session.phone);
    assert.ok(Array.isArray(g.body.timeline), 'has a timeline');
    assert.equal(g.body.timeline.length, 1);
    const [m] = g.body.timeline;
    assert.equal(m.channel, 'sms');
    assert.equal(m.provider, 'log');
    assert.equal(m.status, 'submitted');
    assert.match(m.created_at, ISO_RE);
    assert.match(m.sent_at, ISO_RE);
    assert.ok(Date.parse(m.sent_at) >= Date.parse(m.created_at));
    assert.equal(m.hand_overs.length, 1, 'one hand-over, to the log provider');
    assert.equal(m.hand_overs[0].provider, 'log');
    assert.equal(m.hand_overs[0].outcome, 'submitted');
    assert.equal(typeof m.submit_ms, 'number');
  });

  test('a fresh session has an empty timeline', async () => {
    const s = await createSession(freshPhone());
    const g = await srv.call('GET', `/v1/sessions/${s.id}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body.timeline, []);
  });

  test('unknown id → 404 session_not_found (GET, send and check)', async () => {
    const id = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    for (const [method, p, body] of [
      ['GET', `/v1/sessions/${id}`],
      ['POST', `/v1/sessions/${id}/code`, { channel: 'sms' }],
      ['PUT', `/v1/sessions/${id}/code`, { code: '123456' }],
      ['GET', `/v1/sessions/${'x'.repeat(120)}`],
    ]) {
      const r = await srv.call(method, p, body);
      assert.equal(r.status, 404, `${method} ${p}: ${r.text}`);
      assert.equal(r.body.error.code, 'session_not_found');
      assert.equal(typeof r.body.error.message, 'string');
    }
  });
});

describe('a session belongs to its app', () => {
  test('another app\'s key gets 404 session_not_found on every route, and changes nothing', async () => {
    const otherKey = 'other-app-key-0123456789abcdef';
    const file = path.join(makeDataDir('iotp-conf-'), 'iotp.conf');
    writeFileSync(file, ['[app other]', `api_key = ${otherKey}`, 'name = Other', ''].join('\n'));
    const two = await start({ IOTP_POW_IP_SESSIONS: '1000' }, { args: ['--dev', '--config', file] });
    const phone = freshPhone();
    const c = await two.call('POST', '/v1/sessions', { phone });
    assert.equal(c.status, 201, c.text);
    const id = c.body.id;
    assert.equal((await two.call('POST', `/v1/sessions/${id}/code`, { channel: 'sms' })).status, 200);
    const [sms] = await two.waitInbox(phone, 1);
    const code = codeFromSms(sms.text);
    for (const [method, p, body] of [
      ['GET', `/v1/sessions/${id}`],
      ['POST', `/v1/sessions/${id}/code`, { channel: 'voice' }],
      ['PUT', `/v1/sessions/${id}/code`, { code }],
      ['PUT', `/v1/sessions/${id}/code`, { code: '000000' }],
      ['PATCH', `/v1/sessions/${id}`, { proof_of_work: '1' }],
      ['DELETE', `/v1/sessions/${id}`],
    ]) {
      const r = await two.call(method, p, body, { auth: otherKey });
      assert.equal(r.status, 404, `${method} ${p}: ${r.text}`);
      assert.equal(r.body.error.code, 'session_not_found', r.text);
      assert.equal(r.body.session, undefined, 'nothing of the session shows');
    }
    // Nothing happened to it: no call, no attempt, not canceled.
    const g = await two.call('GET', `/v1/sessions/${id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.attempts_left, 5);
    assert.equal(g.body.canceled_at, null);
    assert.equal(g.body.status, 'pending');
    assert.equal(g.body.timeline.length, 1, 'only its own SMS');
    const ok = await two.call('PUT', `/v1/sessions/${id}/code`, { code });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.status, 'approved');
  });
});

describe('code_length: a session\'s own code length', () => {
  test('min_code_length to 10 digits; the SMS carries that many, and only that code verifies', async () => {
    for (const codeLength of [6, 9]) {
      const phone = freshPhone();
      const c = await srv.call('POST', '/v1/sessions', { phone, code_length: codeLength });
      assert.equal(c.status, 201, c.text);
      assert.equal(c.body.code_length, codeLength);
      const r = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
      assert.equal(r.status, 200, r.text);
      const [sms] = await srv.waitInbox(phone, 1);
      const code = codeFromSms(sms.text);
      assert.equal(code.length, codeLength, sms.text);
      const longer = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: `${code}1` });
      assert.equal(longer.body.error.code, 'incorrect_code');
      const ok = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code });
      assert.equal(ok.status, 200, ok.text);
    }
    const plain = await createSession(freshPhone());
    assert.equal(plain.code_length, 6, "without it: the server's code_length");
  });

  test('shorter than min_code_length (6 unless configured): 400 naming the field and the floor', async () => {
    for (const codeLength of [4, 5]) {
      const r = await srv.call('POST', '/v1/sessions', { phone: freshPhone(), code_length: codeLength });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'invalid_field');
      assert.equal(r.body.error.field, 'code_length');
      assert.equal(r.body.error.min, 6);
      assert.equal(r.body.error.max, 10);
      assert.match(r.body.error.message, /from 6 to 10.*min_code_length/);
    }
  });

  test('a deployment that allows 4 digits (min_code_length = 4) sends them', async () => {
    const four = await start({ IOTP_MIN_CODE_LENGTH: '4' });
    const phone = freshPhone();
    const c = await four.call('POST', '/v1/sessions', { phone, code_length: 4 });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.code_length, 4);
    assert.equal((await four.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).status, 200);
    const [sms] = await four.waitInbox(phone, 1);
    const code = codeFromSms(sms.text);
    assert.equal(code.length, 4, sms.text);
    assert.equal((await four.call('PUT', `/v1/sessions/${c.body.id}/code`, { code })).status, 200);
    const three = await four.call('POST', '/v1/sessions', { phone: freshPhone(), code_length: 3 });
    assert.equal(three.status, 400, three.text);
  });

  test('outside 4..10, or not a number: 400 naming the field', async () => {
    for (const [codeLength, code] of [[3, 'invalid_field'], [11, 'invalid_field'], ['6', 'invalid_field_type'], [6.5, 'invalid_field_type']]) {
      const r = await srv.call('POST', '/v1/sessions', { phone: freshPhone(), code_length: codeLength });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, code);
      assert.equal(r.body.error.field, 'code_length');
    }
  });
});

describe('DELETE /v1/sessions/{id}: the app abandons a verification', () => {
  test('the code stops working; sends, checks and a second cancel say session_canceled', async () => {
    const phone = freshPhone();
    const { session, code } = await sessionWithCode(phone);
    assert.equal(session.canceled_at, null);
    const r = await srv.call('DELETE', `/v1/sessions/${session.id}`);
    assert.equal(r.status, 200, r.text);
    assertSessionShape(r.body);
    assert.match(r.body.canceled_at, ISO_RE);
    assert.equal(r.body.verified, false);
    assert.equal(r.body.allowed_to_request_code, false);
    assert.equal(r.body.next_sms, null);
    assert.equal(r.body.next_verification_attempt, null);
    assert.equal(r.body.code_expires_at, null);

    const check = await srv.call('PUT', `/v1/sessions/${session.id}/code`, { code });
    assert.equal(check.status, 410, check.text);
    assert.equal(check.body.error.code, 'session_canceled');
    assert.equal(check.body.session.attempts_left, session.attempts_left, 'no attempt was counted');
    const send = await srv.call('POST', `/v1/sessions/${session.id}/code`, { channel: 'sms' });
    assert.equal(send.status, 410, send.text);
    assert.equal(send.body.error.code, 'session_canceled');
    assert.equal((await srv.inbox(phone)).length, 1, 'nothing more was sent');
    const again = await srv.call('DELETE', `/v1/sessions/${session.id}`);
    assert.equal(again.status, 410, again.text);
    assert.equal(again.body.error.code, 'session_canceled');
    assert.equal(again.body.session.canceled_at, r.body.canceled_at, 'the first cancel stands');
    const got = await srv.call('GET', `/v1/sessions/${session.id}`);
    assert.equal(got.body.canceled_at, r.body.canceled_at);
  });

  test('a verified session is not canceled (409 already_verified); an unknown one is 404', async () => {
    const { session, code } = await sessionWithCode();
    const ok = await srv.call('PUT', `/v1/sessions/${session.id}/code`, { code });
    assert.equal(ok.status, 200, ok.text);
    const r = await srv.call('DELETE', `/v1/sessions/${session.id}`);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'already_verified');
    assert.equal(r.body.session.verified, true);
    assert.equal(r.body.session.canceled_at, null);
    const none = await srv.call('DELETE', '/v1/sessions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(none.status, 404, none.text);
    assert.equal(none.body.error.code, 'session_not_found');
    const noKey = await srv.call('DELETE', `/v1/sessions/${session.id}`, undefined, { auth: false });
    assert.equal(noKey.status, 401);
  });

  test('a cancel racing checks with the right code: exactly one of them wins', async () => {
    for (let i = 0; i < 6; i++) {
      const { session, code } = await sessionWithCode();
      const [check, cancel] = await Promise.all([
        srv.call('PUT', `/v1/sessions/${session.id}/code`, { code }),
        srv.call('DELETE', `/v1/sessions/${session.id}`),
      ]);
      const after = (await srv.call('GET', `/v1/sessions/${session.id}`)).body;
      if (check.status === 200) {
        assert.equal(cancel.status, 409, cancel.text);
        assert.equal(after.verified, true);
        assert.equal(after.canceled_at, null);
      } else {
        assert.equal(check.body.error.code, 'session_canceled', check.text);
        assert.equal(cancel.status, 200, cancel.text);
        assert.equal(after.verified, false);
        assert.match(after.canceled_at, ISO_RE);
      }
    }
  });
});

describe('auth, routing and headers', () => {
  test('GET /healthz needs no key', async () => {
    const r = await srv.call('GET', '/healthz', undefined, { auth: false });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    // The numbering plans this node reads numbers with (issue 17), the same
    // string iotpctl phone version prints.
    assert.match(r.body.phone_metadata, /^google-libphonenumber \d+\.\d+\.\d+, sha256 [0-9a-f]{16}$/);
  });

  test('401 without a key, with a wrong key, or with another scheme', async () => {
    const attempts = [
      { auth: false },
      { auth: 'wrong-key' },
      { auth: `${srv.apiKey}x` },
      { auth: false, headers: { authorization: `Basic ${Buffer.from(`x:${srv.apiKey}`).toString('base64')}` } },
      { auth: false, headers: { authorization: srv.apiKey } },
    ];
    for (const opts of attempts) {
      for (const [method, p, body] of [
        ['POST', '/v1/sessions', { phone: '+447400123456' }],
        ['GET', '/v1/sessions/whatever'],
        ['GET', '/v1/dev/inbox?to=%2B447400123456'],
      ]) {
        const r = await srv.call(method, p, body, opts);
        assert.equal(r.status, 401, `${method} ${p} ${JSON.stringify(opts)}: ${r.text}`);
        assert.equal(r.body.error.code, 'unauthorized');
        assert.equal(typeof r.body.error.message, 'string');
      }
    }
  });

  test('405 with an Allow header for a known path and another method', async () => {
    const s = await createSession(freshPhone());
    for (const [method, p, allow] of [
      ['GET', '/v1/sessions', ['POST']],
      ['PUT', `/v1/sessions/${s.id}`, ['DELETE', 'GET', 'PATCH']],
      ['PATCH', `/v1/sessions/${s.id}/code`, ['POST', 'PUT']],
      ['POST', '/healthz', ['GET']],
    ]) {
      const r = await srv.call(method, p);
      assert.equal(r.status, 405, `${method} ${p}: ${r.text}`);
      assert.equal(r.body.error.code, 'method_not_allowed');
      const got = (r.headers.get('allow') ?? '').split(',').map((x) => x.trim()).filter(Boolean).sort();
      assert.deepEqual(got, allow, `Allow for ${p}`);
    }
  });

  test('404 not_found for an unknown path', async () => {
    for (const p of ['/nothing', '/v1/nothing', '/v1/sessions/abc/code/extra', '/healthz/']) {
      const r = await srv.call('GET', p);
      assert.equal(r.status, 404, `${p}: ${r.text}`);
      assert.equal(r.body.error.code, 'not_found');
    }
  });

  test('every answer says Cache-Control: no-store and is JSON', async () => {
    const s = await createSession(freshPhone());
    const answers = [
      await srv.call('GET', '/healthz'),
      await srv.call('POST', '/v1/sessions', { phone: freshPhone() }),
      await srv.call('GET', `/v1/sessions/${s.id}`),
      await srv.call('POST', `/v1/sessions/${s.id}/code`, { channel: 'sms' }),
      await srv.call('POST', `/v1/sessions/${s.id}/code`, { channel: 'sms' }), // 429
      await srv.call('POST', '/v1/sessions', { phone: 'nope' }), // 422
      await srv.call('GET', '/v1/sessions/nope'), // 404
      await srv.call('GET', '/v1/sessions', undefined, { auth: false }), // 405
      await srv.call('GET', '/v1/dev/inbox?to=%2B447400123456'),
    ];
    for (const r of answers) {
      assert.equal(r.headers.get('cache-control'), 'no-store', `${r.status} ${r.text}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.notEqual(r.body, undefined, 'the body is JSON');
    }
  });

  test('the dev inbox wants ?to=', async () => {
    const r = await srv.call('GET', '/v1/dev/inbox');
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'missing_field');
  });
});
