// Issue 16's list of misleading messages: each one a person meets when taking
// iotp from dev mode towards production, asserted word for word where it matters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { E2E_PG, cleanup, codeFromSms, freshPhone, pgAdmin, runIotpd, start, startWithConfig, waitFor } from './helpers.mjs';

after(cleanup);

describe('the native API says what to do', () => {
  let srv;
  before(async () => {
    srv = await start();
  });

  test('unknown_field lists every field, code_length included', async () => {
    const r = await srv.call('POST', '/v1/sessions', { phone: freshPhone(), bogus: '1' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'unknown_field');
    assert.match(r.body.error.message, /takes: phone, region, locale, code_length\./);
  });

  test('channel_not_available with next_call null says to send an SMS first', async () => {
    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    assert.equal(c.status, 201);
    const r = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'voice' });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'channel_not_available');
    assert.equal(r.body.session.next_call, null);
    assert.match(r.body.error.message, /send an SMS first/);
    assert.doesNotMatch(r.body.error.message, /wait for next_call/);
  });

  test('invalid_region: a two-letter code no country has is not called "not two letters"', async () => {
    const r = await srv.call('POST', '/v1/sessions', { phone: '7400123456', region: 'QQ' });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'invalid_region');
    assert.match(r.body.error.message, /'QQ' is no country code iotp knows/);
    assert.doesNotMatch(r.body.error.message, /not a two-letter/);
    const three = await srv.call('POST', '/v1/sessions', { phone: '7400123456', region: 'GBR' });
    assert.match(three.body.error.message, /'GBR' is not a two-letter country code/);
  });

  test('415 names the type it got', async () => {
    const r = await srv.call('POST', '/v1/sessions', undefined, {
      rawBody: '{"phone":"+447400123456"}',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    assert.equal(r.status, 415);
    assert.match(r.body.error.message, /got 'text\/plain; ?charset=utf-8'/i);
    const none = await srv.call('POST', '/v1/sessions', undefined, { rawBody: Buffer.from('{}') });
    assert.equal(none.status, 415);
    assert.match(none.body.error.message, /got no Content-Type/);
  });

  test('/v2 and /auth/v1 with the facades off name the option that turns them on', async () => {
    const tw = await srv.call('POST', '/v2/Services', undefined, {
      auth: false,
      rawBody: 'FriendlyName=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(tw.status, 404);
    assert.equal(tw.body.code, 20404);
    assert.match(tw.body.message, /twilio_account_sid \(IOTP_TWILIO_ACCOUNT_SID\)/);
    const gt = await srv.call('POST', '/auth/v1/otp', { phone: '+447400123456' }, { auth: false });
    assert.equal(gt.status, 404);
    assert.match(gt.body.msg, /gotrue_jwt_secret \(IOTP_GOTRUE_JWT_SECRET\)/);
    // Elsewhere a 404 stays the plain one.
    const other = await srv.call('GET', '/v1/nothing');
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, 'not_found');
  });
});

test('the Twilio facade does not offer a region parameter Twilio does not have', async () => {
  const account = 'AC0123456789abcdef0123456789abcdef';
  const srv = await start({ IOTP_TWILIO_ACCOUNT_SID: account });
  const basic = { authorization: `Basic ${Buffer.from(`${account}:${srv.apiKey}`).toString('base64')}` };
  const form = (o) => ({
    auth: false,
    rawBody: new URLSearchParams(o).toString(),
    headers: { ...basic, 'content-type': 'application/x-www-form-urlencoded' },
  });
  const svc = await srv.call('POST', '/v2/Services', undefined, form({ FriendlyName: 'ops' }));
  assert.equal(svc.status, 201, svc.text);
  const r = await srv.call('POST', `/v2/Services/${svc.body.sid}/Verifications`, undefined,
    form({ To: '7400123456', Channel: 'sms' }));
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.code, 60200);
  assert.match(r.body.message, /E\.164/);
  assert.doesNotMatch(r.body.message, /region/);
});

test('a misspelled IOTP_* variable is warned about, with the option it was meant to be', async () => {
  const srv = await start({ IOTP_LIMTS: 'off', IOTP_NOTHING_LIKE_THIS_AT_ALL: '1' });
  const log = srv.stdout + srv.stderr;
  assert.match(log, /environment variable IOTP_LIMTS names no option and is ignored: did you mean IOTP_LIMITS\?/);
  assert.match(log, /IOTP_NOTHING_LIKE_THIS_AT_ALL names no option and is ignored \(docs\/iotp\.conf\.example/);
  assert.doesNotMatch(log, /IOTP_API_KEY names no option/);
});

test('--dump-config prints on/off options as on/off', async () => {
  const on = await runIotpd(['--dev', '--dump-config']);
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stdout, /^limits = on$/m);
  assert.doesNotMatch(on.stdout, /^limits = true$/m);
  const off = await runIotpd(['--dev', '--dump-config'], { IOTP_LIMITS: 'off' });
  assert.match(off.stdout, /^limits = off$/m);
});

test('dev mode: the proof-of-work says how to turn it off', async () => {
  const srv = await start({ IOTP_POW_IP_SESSIONS: '1' });
  let r;
  for (let i = 0; i < 3; i++) {
    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    assert.equal(c.status, 201);
    r = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  }
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.error.code, 'challenge_required');
  assert.match(r.body.error.message, /IOTP_POW_IP_SESSIONS=0/);
});

test('dev mode warns once, not per registration, that the default app has no webhook', async () => {
  const srv = await start({ IOTP_LOG_LEVEL: 'debug' });
  for (let i = 0; i < 2; i++) {
    const phone = freshPhone();
    const c = await srv.call('POST', '/v1/sessions', { phone });
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).status, 200);
    const [sms] = await srv.waitInbox(phone, 1);
    assert.equal((await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(sms.text) })).status, 200);
    const reg = await srv.call('POST', '/v1/accounts', { session_id: c.body.id, device: { name: 'p' } });
    assert.equal(reg.status, 201, reg.text);
  }
  const log = () => srv.stdout + srv.stderr;
  // The second event is dropped at debug level once the first was told.
  await waitFor(() => /account\.registered\): app \S+ has no webhook_url; dropped/.test(log()), { timeoutMs: 5000 });
  const told = log().match(/has no webhook_url: its events/g) ?? [];
  assert.equal(told.length, 1, log());
  assert.match(log(), /set webhook_url in its \[app\] section/);
});

test('/readyz checks the store and says why not ready; "listening on" carries a time', async () => {
  const fs = await import('node:fs');
  const srv = await start();
  assert.match(srv.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z listening on http:\/\//m);
  const ok = await srv.call('GET', '/readyz', undefined, { auth: false });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.body, { status: 'ready', store: E2E_PG ? 'postgres' : 'sqlite' });
  // The store gone from under the running server: the file removed, or on
  // PostgreSQL the server's schema dropped (its tables with it).
  if (E2E_PG) pgAdmin(`DROP SCHEMA ${/search_path%3D(\w+)/.exec(srv.store)[1]} CASCADE`);
  else fs.rmSync(`${srv.dataDir}/iotp.db`);
  const gone = await srv.call('GET', '/readyz', undefined, { auth: false });
  assert.equal(gone.status, 503);
  assert.equal(gone.body.status, 'not_ready');
  assert.match(gone.body.why, E2E_PG ? /the postgres store does not answer a read/ : /the database file .*iotp\.db is gone/);
  // /healthz still says the process lives.
  assert.equal((await srv.call('GET', '/healthz', undefined, { auth: false })).status, 200);
});

test('start-up says what it will do, and warns loudly of a loopback callback with a real gateway', async () => {
  const dev = await start();
  assert.match(dev.stdout + dev.stderr, /start-up: providers log; 0 route section\(s\); 0 app section\(s\) besides the default; twilio facade off; gotrue facade off/);
  assert.doesNotMatch(dev.stdout + dev.stderr, /DELIVERY REPORTS WILL NEVER ARRIVE/);
  const srv = await startWithConfig(`api_key = ops-e2e-key-0123456789abcdef
[provider agg]
type = http
url = http://127.0.0.1:9/send?to={to}
body = {to}

[route default]
sms = agg
`);
  const log = srv.stdout + srv.stderr;
  assert.match(log, /start-up: providers agg \(http\)/);
  assert.match(log, /DELIVERY REPORTS WILL NEVER ARRIVE: an external provider is configured but reports are addressed to http:\/\/127\.0\.0\.1:\d+, a loopback address; set callback_base_url/);
});
