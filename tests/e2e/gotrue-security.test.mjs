// The GoTrue facade against the attacks of issue 12, driven by Supabase's own
// client (@supabase/auth-js): enumeration through signInWithOtp
// create_user:false (finding 3), tokens bound to their app (finding 5),
// re-verification before any new token (finding 8), and changes of number
// that wait on their user, not on the number (finding 9).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { AuthClient, isAuthApiError } from '@supabase/auth-js';

import { cleanup, codeFromSms, freshPhone, IOTPD, makeDataDir, start } from './helpers.mjs';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters';
const SECRET_A = 'app-a-secret-jwt-token-with-at-least-32-chars';
const SECRET_B = 'app-b-secret-jwt-token-with-at-least-32-chars';
const OTHER_KEY = 'other-app-key-0123456789';
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

after(cleanup);

function auth(server, apikey = server.apiKey) {
  return new AuthClient({
    url: `${server.base}/auth/v1`, headers: { apikey },
    persistSession: false, autoRefreshToken: false, detectSessionInUrl: false,
  });
}

async function codeOf(server, phone, count) {
  const inbox = await server.waitInbox(phone, count);
  assert.ok(inbox[0], `an SMS reached ${phone}`);
  return codeFromSms(inbox[0].text);
}

async function signIn(server, phone = freshPhone(), apikey = server.apiKey) {
  const client = auth(server, apikey);
  const before = (await server.inbox(phone)).length;
  const sent = await client.signInWithOtp({ phone });
  assert.equal(sent.error, null, String(sent.error));
  const token = await codeOf(server, phone, before + 1);
  const { data, error } = await client.verifyOtp({ phone, token, type: 'sms' });
  assert.equal(error, null, String(error));
  return { client, session: data.session, user: data.user, phone };
}

function assertApiError(error, status, code) {
  assert.ok(error, 'an error');
  assert.ok(isAuthApiError(error), `an AuthApiError: ${error?.name} ${error?.message}`);
  assert.equal(error.status, status, error.message);
  assert.equal(error.code, code, error.message);
}

function configFile(text) {
  const file = path.join(makeDataDir('iotp-conf-'), 'iotp.conf');
  writeFileSync(file, text);
  return file;
}

const probe = (server, phone) => auth(server).signInWithOtp({ phone, options: { shouldCreateUser: false } });

describe('enumeration: shouldCreateUser:false costs what a send costs (finding 3)', () => {
  let srv;
  before(async () => {
    const file = configFile('[limits]\nsend.ip = 12/1h\nsend.number = 3/1h\nsend.prefix3 = 0\nsend.prefix5 = 0\n' +
      'create.number = 0\ncreate.ip = 0\ncreate.prefix3 = 0\ncreate.prefix5 = 0\n');
    srv = await start({ IOTP_GOTRUE_JWT_SECRET: SECRET, IOTP_SMS_DELAYS: '0,0,0,0,0', IOTP_POW_IP_SESSIONS: '0' },
      { args: ['--dev', '--config', file] });
  });

  test('an unknown number is charged to the number\'s and the address\'s send limits, like a known one', async () => {
    const known = await signIn(srv); // one send of the address and of the number
    const unknown = freshPhone();
    const k = [], u = [];
    for (let i = 0; i < 4; i++) {
      if (i < 3) k.push(await probe(srv, known.phone));
      u.push(await probe(srv, unknown));
    }
    // send.number = 3/1h: the sign-in's send and two probes fill the known
    // number; three probes fill the unknown one. The next answer is the same
    // 429 for both: the limit answers whatever the lookup would say.
    assert.equal(k[0].error, null, String(k[0].error));
    assert.equal(k[1].error, null, String(k[1].error));
    assertApiError(k[2].error, 429, 'over_sms_send_rate_limit');
    for (let i = 0; i < 3; i++) assertApiError(u[i].error, 422, 'otp_disabled');
    assertApiError(u[3].error, 429, 'over_sms_send_rate_limit');
    assert.equal((await srv.inbox(unknown)).length, 0, 'nothing reached the unknown number');

    // send.ip = 12/1h: 6 sends so far; probing fresh numbers runs out after 6
    // more, and then a known number's answer is the same refusal.
    let answered = 0, limited = null;
    for (let i = 0; i < 12 && !limited; i++) {
      const r = await probe(srv, freshPhone());
      if (r.error?.status === 429) limited = r.error;
      else { assertApiError(r.error, 422, 'otp_disabled'); answered++; }
    }
    assert.equal(answered, 6, 'the address had 6 sends left');
    assertApiError(limited, 429, 'over_request_rate_limit');
    const again = await signIn(srv).catch((e) => e);
    assert.ok(again instanceof Error, 'the address is out of sends for known numbers too');
  });
});

describe('enumeration timing (finding 3; measured, reported, not asserted)', () => {
  test('known and unknown numbers take the same path: the mean difference is printed', async () => {
    const srv = await start({
      IOTP_GOTRUE_JWT_SECRET: SECRET, IOTP_SMS_DELAYS: Array(16).fill(0).join(','), IOTP_LIMITS: 'off',
    });
    const known = [];
    for (let i = 0; i < 4; i++) known.push((await signIn(srv)).phone);
    const unknown = Array.from({ length: 4 }, () => freshPhone());
    const ms = { known: [], unknown: [] };
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 4; i++) {
        for (const [kind, phone] of round % 2 ? [['unknown', unknown[i]], ['known', known[i]]]
          : [['known', known[i]], ['unknown', unknown[i]]]) {
          const t0 = performance.now();
          const r = await probe(srv, phone);
          ms[kind].push(performance.now() - t0);
          if (kind === 'known') assert.equal(r.error, null, String(r.error));
          else assertApiError(r.error, 422, 'otp_disabled');
        }
      }
    }
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
    console.log(`enumeration timing over ${ms.known.length}+${ms.unknown.length} requests: ` +
      `known mean ${mean(ms.known).toFixed(2)} ms, median ${median(ms.known).toFixed(2)} ms; ` +
      `unknown mean ${mean(ms.unknown).toFixed(2)} ms, median ${median(ms.unknown).toFixed(2)} ms; ` +
      `difference of means ${(mean(ms.known) - mean(ms.unknown)).toFixed(2)} ms`);
    for (const p of unknown) assert.equal((await srv.inbox(p)).length, 0, 'nothing reached an unknown number');
  });
});

describe('tokens are bound to their app (finding 5)', () => {
  let srv;
  before(async () => {
    const file = configFile(`[app default]\ngotrue_jwt_secret = ${SECRET_A}\n` +
      `[app other]\napi_key = ${OTHER_KEY}\nname = Other\ngotrue_jwt_secret = ${SECRET_B}\n`);
    srv = await start({ IOTP_GOTRUE_JWT_SECRET: SECRET, IOTP_POW_IP_SESSIONS: '0' }, { args: ['--dev', '--config', file] });
  });

  const signedWith = (jwt, secret) => {
    const [h, p, s] = jwt.split('.');
    return createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url') === s;
  };

  test('each app\'s tokens are signed with its own secret, and another app refuses them', async () => {
    const a = await signIn(srv);
    const b = await signIn(srv, freshPhone(), OTHER_KEY);
    assert.ok(signedWith(a.session.access_token, SECRET_A), 'app default signs with its secret');
    assert.ok(signedWith(b.session.access_token, SECRET_B), 'app other signs with its secret');
    // What app A's PostgREST (jwt-secret = SECRET_A) does with B's token:
    assert.ok(!signedWith(b.session.access_token, SECRET_A));
    assert.ok(!signedWith(b.session.access_token, SECRET), 'nor the shared top-level secret');
    // iotp's own endpoints of one app refuse the other's token and refresh token.
    const cross = await auth(srv).getUser(b.session.access_token);
    assertApiError(cross.error, 403, 'bad_jwt');
    const back = await auth(srv, OTHER_KEY).getUser(a.session.access_token);
    assertApiError(back.error, 403, 'bad_jwt');
    const refresh = await auth(srv).refreshSession({ refresh_token: b.session.refresh_token });
    assertApiError(refresh.error, 400, 'session_expired');
    const own = await auth(srv, OTHER_KEY).getUser(b.session.access_token);
    assert.equal(own.error, null, String(own.error));
    assert.equal(JSON.parse(Buffer.from(b.session.access_token.split('.')[1], 'base64url')).app_metadata.iotp_app, 'other');
  });

  test('a short per-app secret refuses to start, naming the setting', async () => {
    const file = configFile('[app default]\ngotrue_jwt_secret = short\n');
    const r = await new Promise((resolve) => execFile(IOTPD, ['--dev', '--config', file, '--listen', '127.0.0.1:0',
      '--data', makeDataDir()], { env: { ...process.env, IOTP_GOTRUE_JWT_SECRET: SECRET } },
    (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stderr })));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /gotrue_jwt_secret needs 32 characters/);
  });
});

describe('re-verification and pending changes (findings 8, 9)', () => {
  let srv;
  before(async () => {
    srv = await start({ IOTP_GOTRUE_JWT_SECRET: SECRET, IOTP_POW_IP_SESSIONS: '0', IOTP_SMS_DELAYS: '0,0,30' });
  });

  test('an account marked for re-verification gets no new tokens until it signs in with a code', async () => {
    const a = await signIn(srv);
    await promisify(execFile)(IOTPCTL, ['--dev', '--data', srv.dataDir, ...srv.storeArgs, 'account', 'reverify', a.phone,
      '--reason', 'fraud rule']);
    const r = await auth(srv).refreshSession({ refresh_token: a.session.refresh_token });
    assertApiError(r.error, 403, 'reauthentication_needed');
    const me = await auth(srv).getUser(a.session.access_token);
    assertApiError(me.error, 403, 'reauthentication_needed');
    const again = await signIn(srv, a.phone);
    assert.equal(again.user.id, a.user.id);
    const ok = await auth(srv).refreshSession({ refresh_token: again.session.refresh_token });
    assert.equal(ok.error, null, String(ok.error));
  });

  test('two users asking for one number: each change waits on its own user, and its code moves that user', async () => {
    const a = await signIn(srv);
    const b = await signIn(srv);
    const target = freshPhone();
    const update = async (u) => {
      const c = auth(srv);
      await c.setSession({ access_token: u.session.access_token, refresh_token: u.session.refresh_token });
      const r = await c.updateUser({ phone: target });
      assert.equal(r.error, null, String(r.error));
    };
    await update(a);
    const codeA = await codeOf(srv, target, 1);
    await update(b); // B's request must not replace A's
    const codeB = await codeOf(srv, target, 2);
    assert.notEqual(codeA, codeB, 'each change has its own code');
    const va = await auth(srv).verifyOtp({ phone: target, token: codeA, type: 'phone_change' });
    assert.equal(va.error, null, String(va.error));
    assert.equal(va.data.user.id, a.user.id, 'A\'s code moved A');
    assert.equal(va.data.user.phone, target.slice(1));
    const vb = await auth(srv).verifyOtp({ phone: target, token: codeB, type: 'phone_change' });
    assertApiError(vb.error, 422, 'phone_exists');
    const bme = await auth(srv).getUser(b.session.access_token);
    assert.equal(bme.data.user.phone, b.phone.slice(1), 'B stays on its number');
  });
});
