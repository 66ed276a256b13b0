// The Supabase Auth (GoTrue) facade, driven by Supabase's own client
// (@supabase/auth-js from npm) pointed at iotpd by URL: phone OTP sign-in,
// the user, refresh tokens that rotate, change of number, resend, sign-out,
// and the errors the SDK's error classes are built from.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { AuthApiError, AuthClient, isAuthApiError } from '@supabase/auth-js';

import {
  cleanup, codeFromSms, freshPhone, makeDataDir, runIotpd, sleep, start, wrongCode,
} from './helpers.mjs';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters';

let srv;
before(async () => {
  // Every request comes from 127.0.0.1: past pow_ip_sessions sessions the
  // address would owe proofs-of-work, which GoTrue's SDK cannot give.
  srv = await start({ IOTP_GOTRUE_JWT_SECRET: SECRET, IOTP_SMS_DELAYS: '0,0,30', IOTP_POW_IP_SESSIONS: '0' });
});
after(cleanup);

/** A fresh SDK client, as an app would make one (no storage between tests). */
function auth(server = srv, apikey = server.apiKey, prefix = '/auth/v1') {
  return new AuthClient({
    url: `${server.base}${prefix}`,
    headers: { apikey },
    persistSession: false,
    autoRefreshToken: false,
    detectSessionInUrl: false,
  });
}

/** The code of the newest SMS to phone, once count have arrived. */
async function codeOf(phone, count = 1, server = srv) {
  const [sms] = await server.waitInbox(phone, count);
  assert.ok(sms, `an SMS reached ${phone}`);
  return codeFromSms(sms.text);
}

/** Signs phone in: signInWithOtp, the SMS, verifyOtp. Returns {client, session, user}. */
async function signIn(phone = freshPhone()) {
  const client = auth();
  // A number signed in before has SMS already: wait for this sign-in's own.
  const before = (await srv.inbox(phone)).length;
  const sent = await client.signInWithOtp({ phone });
  assert.equal(sent.error, null, String(sent.error));
  const token = await codeOf(phone, before + 1);
  const { data, error } = await client.verifyOtp({ phone, token, type: 'sms' });
  assert.equal(error, null, String(error));
  return { client, session: data.session, user: data.user, phone };
}

function claimsOf(jwt) {
  const [h, p, s] = jwt.split('.');
  const want = createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url');
  assert.equal(s, want, 'HS256 with the configured secret');
  assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url')), { alg: 'HS256', typ: 'JWT' });
  return JSON.parse(Buffer.from(p, 'base64url'));
}

function assertApiError(error, status, code) {
  assert.ok(error, 'an error');
  assert.ok(isAuthApiError(error), `an AuthApiError: ${error?.name} ${error?.message}`);
  assert.ok(error instanceof AuthApiError);
  assert.equal(error.status, status, error.message);
  assert.equal(error.code, code, error.message);
}

describe('phone sign-in', () => {
  test('signInWithOtp → SMS → verifyOtp gives a session with a PostgREST-ready JWT', async () => {
    const phone = freshPhone();
    const client = auth();
    const sent = await client.signInWithOtp({ phone });
    assert.equal(sent.error, null);
    assert.equal(sent.data.session, null);
    assert.equal(typeof sent.data.messageId, 'string');
    const token = await codeOf(phone);
    const { data, error } = await client.verifyOtp({ phone, token, type: 'sms' });
    assert.equal(error, null, String(error));
    const { session, user } = data;
    assert.equal(session.token_type, 'bearer');
    assert.equal(session.expires_in, 3600);
    assert.ok(session.expires_at > Date.now() / 1000);
    assert.equal(typeof session.refresh_token, 'string');
    assert.equal(user.phone, phone.slice(1), 'GoTrue stores the number without +');
    assert.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(user.aud, 'authenticated');
    assert.equal(user.role, 'authenticated');
    assert.ok(user.phone_confirmed_at, 'the number is confirmed');
    assert.equal(user.app_metadata.provider, 'phone');

    const claims = claimsOf(session.access_token);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.aud, 'authenticated');
    assert.equal(claims.role, 'authenticated');
    assert.equal(claims.phone, phone.slice(1));
    assert.equal(typeof claims.session_id, 'string');
    assert.equal(claims.exp - claims.iat, 3600);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 120);
  });

  test('the same number signs in to the same user again; a code works once', async () => {
    const first = await signIn();
    const client = auth();
    await client.signInWithOtp({ phone: first.phone });
    const token = await codeOf(first.phone, 2);
    const again = await client.verifyOtp({ phone: first.phone, token, type: 'sms' });
    assert.equal(again.error, null);
    assert.equal(again.data.user.id, first.user.id);
    assert.notEqual(again.data.session.refresh_token, first.session.refresh_token);
    const reused = await auth().verifyOtp({ phone: first.phone, token, type: 'sms' });
    assertApiError(reused.error, 403, 'otp_expired');
  });

  test('a wrong code is otp_expired (403), and the right one still works after it', async () => {
    const phone = freshPhone();
    const client = auth();
    await client.signInWithOtp({ phone });
    const token = await codeOf(phone);
    const wrong = await client.verifyOtp({ phone, token: wrongCode(token), type: 'sms' });
    assertApiError(wrong.error, 403, 'otp_expired');
    assert.equal(wrong.data.session, null);
    const right = await client.verifyOtp({ phone, token, type: 'sms' });
    assert.equal(right.error, null);
  });

  test('a code for a number that was never sent one is otp_expired', async () => {
    const r = await auth().verifyOtp({ phone: freshPhone(), token: '123456', type: 'sms' });
    assertApiError(r.error, 403, 'otp_expired');
  });

  test('shouldCreateUser: false refuses an unknown number (otp_disabled)', async () => {
    const r = await auth().signInWithOtp({ phone: freshPhone(), options: { shouldCreateUser: false } });
    assertApiError(r.error, 422, 'otp_disabled');
    const known = await signIn();
    const ok = await auth().signInWithOtp({ phone: known.phone, options: { shouldCreateUser: false } });
    assert.equal(ok.error, null, String(ok.error));
  });

  test('resend sends the same code again; a third request within the wait is over_sms_send_rate_limit', async () => {
    const phone = freshPhone();
    const client = auth();
    await client.signInWithOtp({ phone });
    const code1 = await codeOf(phone, 1);
    const resent = await client.resend({ type: 'sms', phone });
    assert.equal(resent.error, null, String(resent.error));
    assert.equal(typeof resent.data.messageId, 'string');
    const code2 = await codeOf(phone, 2);
    assert.equal(code2, code1, 'a resend within the code lifetime carries the same code');
    const third = await client.signInWithOtp({ phone });
    assertApiError(third.error, 429, 'over_sms_send_rate_limit');
    assert.match(third.error.message, /after \d+ seconds/);
    const ok = await client.verifyOtp({ phone, token: code1, type: 'sms' });
    assert.equal(ok.error, null);
  });

  test('a code whose session the app canceled (DELETE /v1/sessions/{message_id}) is otp_expired', async () => {
    const phone = freshPhone();
    const client = auth();
    const sent = await client.signInWithOtp({ phone });
    assert.equal(sent.error, null, String(sent.error));
    const token = await codeOf(phone);
    const del = await srv.call('DELETE', `/v1/sessions/${sent.data.messageId}`);
    assert.equal(del.status, 200, del.text);
    const { error } = await client.verifyOtp({ phone, token, type: 'sms' });
    assertApiError(error, 403, 'otp_expired');
    // The next signInWithOtp starts again with a new session and code.
    const again = await client.signInWithOtp({ phone });
    assert.equal(again.error, null, String(again.error));
    assert.notEqual(again.data.messageId, sent.data.messageId);
    const fresh = await codeOf(phone, 2);
    const ok = await client.verifyOtp({ phone, token: fresh, type: 'sms' });
    assert.equal(ok.error, null, String(ok.error));
  });

  test('a bad number and a channel other than sms are refused before anything is sent', async () => {
    const bad = await auth().signInWithOtp({ phone: '+4412' });
    assertApiError(bad.error, 400, 'validation_failed');
    const wa = await auth().signInWithOtp({ phone: freshPhone(), options: { channel: 'whatsapp' } });
    assertApiError(wa.error, 400, 'validation_failed');
  });
});

describe('the signed-in user', () => {
  test('getUser reads the user with the access token', async () => {
    const { session, user } = await signIn();
    const client = auth();
    const got = await client.getUser(session.access_token);
    assert.equal(got.error, null, String(got.error));
    assert.equal(got.data.user.id, user.id);
    assert.equal(got.data.user.phone, user.phone);
  });

  test('refreshSession rotates: the new token works, the used one is refused and ends the login', async () => {
    const { session, user } = await signIn();
    const client = auth();
    const r1 = await client.refreshSession({ refresh_token: session.refresh_token });
    assert.equal(r1.error, null, String(r1.error));
    assert.notEqual(r1.data.session.refresh_token, session.refresh_token);
    assert.equal(r1.data.user.id, user.id);
    assert.equal(claimsOf(r1.data.session.access_token).session_id,
      claimsOf(session.access_token).session_id, 'the same login goes on');

    const reuse = await auth().refreshSession({ refresh_token: session.refresh_token });
    assertApiError(reuse.error, 400, 'refresh_token_already_used');
    // A reused token means it leaked: the login it belongs to is over.
    const next = await auth().refreshSession({ refresh_token: r1.data.session.refresh_token });
    assert.ok(next.error, 'the newest token of that login is refused too');
    const me = await auth().getUser(r1.data.session.access_token);
    assert.ok(me.error, 'and so is its access token');
    assert.equal(me.error.name, 'AuthSessionMissingError');
  });

  test('parallel refreshes with one token: exactly one wins', async () => {
    const { session } = await signIn();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => auth().refreshSession({ refresh_token: session.refresh_token })),
    );
    const won = results.filter((r) => !r.error);
    assert.equal(won.length, 1, results.map((r) => r.error?.code ?? 'ok').join(','));
    for (const r of results.filter((x) => x.error)) assertApiError(r.error, 400, 'refresh_token_already_used');
    // The others were reuses: the login is over, the winner's new token included.
    const next = await auth().refreshSession({ refresh_token: won[0].data.session.refresh_token });
    assert.ok(next.error, 'the login ended');
  });

  test('an unknown refresh token is refresh_token_not_found', async () => {
    const r = await auth().refreshSession({ refresh_token: 'no-such-token' });
    assertApiError(r.error, 400, 'refresh_token_not_found');
  });

  test('updateUser with a new phone sends it a code; verifyOtp phone_change moves the user', async () => {
    const { client, session, user, phone } = await signIn();
    await client.setSession({ access_token: session.access_token, refresh_token: session.refresh_token });
    const newPhone = freshPhone();
    const upd = await client.updateUser({ phone: newPhone });
    assert.equal(upd.error, null, String(upd.error));
    assert.equal(upd.data.user.phone, phone.slice(1), 'the number does not change before the code');
    assert.equal(upd.data.user.new_phone, newPhone.slice(1));
    const token = await codeOf(newPhone);
    assert.equal((await srv.inbox(phone)).length, 1, 'nothing more went to the old number');

    const wrong = await client.verifyOtp({ phone: newPhone, token, type: 'sms' });
    assertApiError(wrong.error, 403, 'otp_expired');
    const done = await client.verifyOtp({ phone: newPhone, token, type: 'phone_change' });
    assert.equal(done.error, null, String(done.error));
    assert.equal(done.data.user.id, user.id, 'the same user');
    assert.equal(done.data.user.phone, newPhone.slice(1));
    assert.equal(claimsOf(done.data.session.access_token).phone, newPhone.slice(1));

    // The new number signs in to this user; the old one is free and makes a new user.
    const viaNew = await signIn(newPhone);
    assert.equal(viaNew.user.id, user.id);
    const viaOld = await signIn(phone);
    assert.notEqual(viaOld.user.id, user.id);
  });

  test('resend type phone_change sends the new number its code again', async () => {
    const { client, session } = await signIn();
    await client.setSession({ access_token: session.access_token, refresh_token: session.refresh_token });
    const newPhone = freshPhone();
    assert.equal((await client.updateUser({ phone: newPhone })).error, null);
    const code = await codeOf(newPhone, 1);
    const again = await client.resend({ type: 'phone_change', phone: newPhone });
    assert.equal(again.error, null, String(again.error));
    assert.equal(await codeOf(newPhone, 2), code, 'the same code');
    const none = await client.resend({ type: 'phone_change', phone: freshPhone() });
    assertApiError(none.error, 422, 'validation_failed');
    const done = await client.verifyOtp({ phone: newPhone, token: code, type: 'phone_change' });
    assert.equal(done.error, null, String(done.error));
  });

  // Issue 12, finding 3: PUT /user said phone_exists at once, for any number
  // anyone signed in asked about. Now the code goes to the number, and only
  // its holder, at /verify, learns that another user has it.
  test('updateUser to a number another user holds: the code goes there, and verify says phone_exists', async () => {
    const a = await signIn();
    const b = await signIn();
    await a.client.setSession({ access_token: a.session.access_token, refresh_token: a.session.refresh_token });
    const before = (await srv.inbox(b.phone)).length;
    const r = await a.client.updateUser({ phone: b.phone });
    assert.equal(r.error, null, String(r.error));
    assert.equal(r.data.user.new_phone, b.phone.slice(1));
    const token = await codeOf(b.phone, before + 1);
    const v = await auth().verifyOtp({ phone: b.phone, token, type: 'phone_change' });
    assertApiError(v.error, 422, 'phone_exists');
    const still = await auth().getUser(b.session.access_token);
    assert.equal(still.error, null, 'b keeps its number and login');
    assert.equal(still.data.user.phone, b.phone.slice(1));
  });

  test('signOut ends the login: its access and refresh tokens stop working', async () => {
    const { client, session } = await signIn();
    await client.setSession({ access_token: session.access_token, refresh_token: session.refresh_token });
    const out = await client.signOut();
    assert.equal(out.error, null, String(out.error));
    const me = await auth().getUser(session.access_token);
    assert.equal(me.error?.name, 'AuthSessionMissingError');
    const r = await auth().refreshSession({ refresh_token: session.refresh_token });
    assert.ok(r.error, 'the refresh token is refused');
  });
});

/** A verified native session for phone (POST /v1/sessions, code, check). */
async function nativeVerified(phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const before = (await srv.inbox(phone)).length;
  assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).status, 200);
  const code = await codeOf(phone, before + 1);
  const v = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code });
  assert.equal(v.status, 200, v.text);
  return c.body.id;
}

describe('users are iotp accounts', () => {
  test('a GoTrue sign-in makes the account the native API registers on', async () => {
    const { user, phone } = await signIn();
    const accountId = user.app_metadata.iotp_account_id;
    assert.equal(typeof accountId, 'string');
    const reg = await srv.call('POST', '/v1/accounts', {
      session_id: await nativeVerified(phone), device: { name: 'phone' },
    });
    assert.equal(reg.status, 200, reg.text);
    assert.equal(reg.body.created, false, 'the account existed');
    assert.equal(reg.body.account.id, accountId);
  });

  test('a native account signs in through GoTrue, and a native change of number shows there', async () => {
    const phone = freshPhone();
    const reg = await srv.call('POST', '/v1/accounts', {
      session_id: await nativeVerified(phone), device: { name: 'phone' },
    });
    assert.equal(reg.status, 201, reg.text);
    const { session, user } = await signIn(phone);
    assert.equal(user.app_metadata.iotp_account_id, reg.body.account.id);

    const newPhone = freshPhone();
    const moved = await srv.call('POST', '/v1/accounts/me/number', {
      old_session_id: await nativeVerified(phone), new_session_id: await nativeVerified(newPhone),
    }, { auth: false, headers: { authorization: `Device ${reg.body.credential}` } });
    assert.equal(moved.status, 200, moved.text);
    const me = await auth().getUser(session.access_token);
    assert.equal(me.error, null, String(me.error));
    assert.equal(me.data.user.phone, newPhone.slice(1));
    assert.equal(me.data.user.id, user.id, 'the same user');
  });

  test('a number guarded by a two-step PIN does not sign in by SMS code alone', async () => {
    const phone = freshPhone();
    const reg = await srv.call('POST', '/v1/accounts', {
      session_id: await nativeVerified(phone), device: { name: 'phone' }, pin: '482916',
    });
    assert.equal(reg.status, 201, reg.text);
    const client = auth();
    const before = (await srv.inbox(phone)).length;
    await client.signInWithOtp({ phone });
    const token = await codeOf(phone, before + 1);
    const r = await client.verifyOtp({ phone, token, type: 'sms' });
    assertApiError(r.error, 403, 'insufficient_aal');
    assert.equal(r.data.session, null);
  });
});

// Issue 12, finding 1, through GoTrue: a change of number can carry no PIN,
// so it must never take the number of a live account — decided in the move's
// own write, not by a look before it.
describe('change of number onto a taken number', () => {
  test('a PIN-guarded native account keeps its number against a GoTrue phone_change with its code', async () => {
    const victimPhone = freshPhone();
    const reg = await srv.call('POST', '/v1/accounts', {
      session_id: await nativeVerified(victimPhone), device: { name: 'phone' }, pin: '739105',
    });
    assert.equal(reg.status, 201, reg.text);
    const thief = await signIn();
    await thief.client.setSession({ access_token: thief.session.access_token, refresh_token: thief.session.refresh_token });
    const before = (await srv.inbox(victimPhone)).length;
    const up = await thief.client.updateUser({ phone: victimPhone });
    assert.equal(up.error, null, String(up.error));
    const token = await codeOf(victimPhone, before + 1); // the stolen code
    const v = await auth().verifyOtp({ phone: victimPhone, token, type: 'phone_change' });
    assertApiError(v.error, 422, 'phone_exists');
    const me = await srv.call('GET', '/v1/accounts/me', undefined,
      { auth: false, headers: { authorization: `Device ${reg.body.credential}` } });
    assert.equal(me.status, 200, `the victim's account stands: ${me.text}`);
    const t = await auth().getUser(thief.session.access_token);
    assert.equal(t.data.user.phone, thief.phone.slice(1), 'the thief did not move');
  });

  test('a registration racing a phone_change onto its number is never closed by it', async () => {
    // Each round: a pending change onto a fresh number, and that number's own
    // registration, sent at once. Whichever lands first, the registered
    // device's account must stay open.
    const rounds = 8;
    const thieves = await Promise.all(Array.from({ length: rounds }, () => signIn()));
    const setups = await Promise.all(thieves.map(async (t) => {
      const phone = freshPhone();
      const session = await nativeVerified(phone);
      const client = auth();
      await client.setSession({ access_token: t.session.access_token, refresh_token: t.session.refresh_token });
      const before = (await srv.inbox(phone)).length;
      const up = await client.updateUser({ phone });
      assert.equal(up.error, null, String(up.error));
      return { phone, session, token: await codeOf(phone, before + 1) };
    }));
    const results = await Promise.all(setups.map(async ({ phone, session, token }) => {
      const [reg, v] = await Promise.all([
        srv.call('POST', '/v1/accounts', { session_id: session, device: { name: 'phone' } }),
        auth().verifyOtp({ phone, token, type: 'phone_change' }),
      ]);
      return { reg, v };
    }));
    let moved = 0, refused = 0;
    for (const { reg, v } of results) {
      assert.ok([200, 201].includes(reg.status), reg.text);
      const me = await srv.call('GET', '/v1/accounts/me', undefined,
        { auth: false, headers: { authorization: `Device ${reg.body.credential}` } });
      assert.equal(me.status, 200, `the registered account stays open: ${me.text}`);
      if (v.error) {
        assertApiError(v.error, 422, 'phone_exists');
        refused++;
      } else {
        moved++;
      }
    }
    console.log(`race rounds: ${moved} moves landed first, ${refused} refused as phone_exists`);
  });
});

describe('credentials and shapes', () => {
  test('a wrong apikey is 401 in GoTrue\'s shape; a forged or foreign JWT is refused', async () => {
    const r = await auth(srv, 'not-a-key').signInWithOtp({ phone: freshPhone() });
    assertApiError(r.error, 401, 'no_authorization');
    const raw = await srv.call('POST', '/auth/v1/otp', { phone: freshPhone() }, { auth: false });
    assert.equal(raw.status, 401);
    assert.deepEqual(Object.keys(raw.body).sort(), ['code', 'error_code', 'msg']);
    assert.equal(raw.body.code, 401);

    const { session } = await signIn();
    const [h, p] = session.access_token.split('.');
    const forged = `${h}.${p}.${createHmac('sha256', 'another-secret-of-at-least-32-chars!').update(`${h}.${p}`).digest('base64url')}`;
    const me = await auth().getUser(forged);
    assertApiError(me.error, 403, 'bad_jwt');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(session.access_token), role: 'service_role' })).toString('base64url')}.${session.access_token.split('.')[2]}`;
    assertApiError((await auth().getUser(tampered)).error, 403, 'bad_jwt');
  });
});

describe('configuration', () => {
  test('off unless gotrue_jwt_secret is set; a short secret or a bad prefix refuses to start', async () => {
    const plain = await start();
    const r = await plain.call('POST', '/auth/v1/otp', { phone: freshPhone() }, { auth: false, headers: { apikey: plain.apiKey } });
    assert.equal(r.status, 404);
    const args = ['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()];
    const short = await runIotpd(args, { IOTP_GOTRUE_JWT_SECRET: 'too-short' });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /gotrue_jwt_secret \(IOTP_GOTRUE_JWT_SECRET\): at least 32 characters/);
    const prefix = await runIotpd(args, { IOTP_GOTRUE_JWT_SECRET: SECRET, IOTP_GOTRUE_PREFIX: 'auth/' });
    assert.equal(prefix.code, 2);
    assert.match(prefix.stderr, /gotrue_prefix/);
  });

  test('GET /settings says phone sign-up is on', async () => {
    const r = await srv.call('GET', '/auth/v1/settings', undefined, { auth: false, headers: { apikey: srv.apiKey } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.external.phone, true);
    assert.equal(r.body.disable_signup, false);
  });
});

describe('policy/ refusals', () => {
  test('a country the geo permissions do not allow is sms_send_failed', async () => {
    const dir = makeDataDir();
    const file = path.join(dir, 'iotp.conf');
    writeFileSync(file, '[geo]\nallow = GB\n');
    const geo = await start({ IOTP_GOTRUE_JWT_SECRET: SECRET }, { args: ['--dev', '--config', file] });
    const r = await auth(geo).signInWithOtp({ phone: '+33612345678' });
    assertApiError(r.error, 422, 'sms_send_failed');
    assert.match(r.error.message, /France|FR/);
    assert.equal((await auth(geo).signInWithOtp({ phone: freshPhone() })).error, null);
  });
});

describe('expiry, under another prefix', () => {
  let short;
  before(async () => {
    short = await start({
      IOTP_GOTRUE_JWT_SECRET: SECRET, IOTP_GOTRUE_PREFIX: '/custom/auth', IOTP_CODE_TTL: '10', IOTP_SESSION_TTL: '60',
    });
  });

  test('an expired code is otp_expired', async () => {
    const phone = freshPhone();
    const client = auth(short, short.apiKey, '/custom/auth');
    await client.signInWithOtp({ phone });
    const token = await codeOf(phone, 1, short);
    await sleep(10500);
    const r = await client.verifyOtp({ phone, token, type: 'sms' });
    assertApiError(r.error, 403, 'otp_expired');
  });
});
