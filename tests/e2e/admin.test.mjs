// The admin API (/v1/admin, docs/admin.md) against the real binary: only the
// admin key opens it (never an app's key), the figures count what happened,
// a number's timeline tells the whole story without a code, fraud measures
// are listed and lifted, and iotpctl --url does the same from afar.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { IOTPD, cleanup, codeFromSms, freshPhone, makeDataDir, runIotpd, sleep, start, waitFor, wrongCode } from './helpers.mjs';

const run = promisify(execFile);
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');
const ADMIN = 'admin-e2e-0123456789abcdef';
const APP_KEY = 'app-e2e-0123456789abcdef';

after(cleanup);

async function ctl(...args) {
  try {
    const r = await run(IOTPCTL, args, { env: { PATH: process.env.PATH } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A dev server with an admin key; conf adds lines to a config file. */
async function withAdmin(conf = '') {
  const dir = makeDataDir();
  const file = path.join(dir, 'iotp.conf');
  writeFileSync(file, conf);
  return start({ IOTP_ADMIN_KEY: ADMIN, IOTP_API_KEY: APP_KEY }, { args: ['--dev', '--config', file] });
}

/** Verifies phone through the API: one wrong code, then the right one. */
async function verify(srv, phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  assert.equal(s.status, 200, s.text);
  const [sms] = await srv.waitInbox(phone);
  const code = codeFromSms(sms.text);
  const bad = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: wrongCode(code) });
  assert.equal(bad.body.error.code, 'incorrect_code');
  const ok = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code });
  assert.equal(ok.status, 200, ok.text);
  return { id: c.body.id, code, sms: sms.text };
}

describe('who may call it', () => {
  test('no admin_key → the admin API, /admin and (outside dev) / are 404', async () => {
    const dir = makeDataDir();
    const file = path.join(dir, 'iotp.conf');
    writeFileSync(file, `api_key = ${APP_KEY}\nprovider = log\n`);
    const srv = await start({ IOTP_API_KEY: undefined }, { args: ['--config', file] });
    for (const p of ['/v1/admin/stats', '/admin', '/', '/web/v1/regions']) {
      const r = await srv.call('GET', p, undefined, { auth: ADMIN });
      assert.equal(r.status, 404, `${p}: ${r.text}`);
    }
    assert.match((await srv.call('GET', '/v1/admin/stats', undefined, { auth: APP_KEY })).body.error.message, /admin_key/);
    await srv.stop();
  });

  test('the admin key opens it; no key, a wrong key and the app key are refused', async () => {
    const srv = await withAdmin();
    assert.equal((await srv.call('GET', '/v1/admin/stats', undefined, { auth: false })).status, 401);
    assert.equal((await srv.call('GET', '/v1/admin/stats', undefined, { auth: `${ADMIN}x` })).status, 401);
    const app = await srv.call('GET', '/v1/admin/stats', undefined, { auth: APP_KEY });
    assert.equal(app.status, 401, 'an app key never opens the admin API');
    assert.equal(app.body.error.code, 'unauthorized');
    for (const [m, p, b] of [['GET', '/v1/admin/blocks'], ['GET', '/v1/admin/numbers/+447400123456'], ['POST', '/v1/admin/blocks/lift', { key: 'x' }]])
      assert.equal((await srv.call(m, p, b, { auth: APP_KEY })).status, 401, `${m} ${p} with the app key`);
    assert.equal((await srv.call('GET', '/v1/admin/stats', undefined, { auth: ADMIN })).status, 200);
    // And the admin key is no app key.
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: freshPhone() }, { auth: ADMIN })).status, 401);
    await srv.stop();
  });

  test('start-up refuses an admin_key equal to api_key, or shorter than 16 outside dev', async () => {
    const same = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], { IOTP_API_KEY: APP_KEY, IOTP_ADMIN_KEY: APP_KEY });
    assert.equal(same.code, 2);
    assert.match(same.stderr, /admin_key \(IOTP_ADMIN_KEY\): must differ from api_key/);
    const dir = makeDataDir();
    const file = path.join(dir, 'iotp.conf');
    writeFileSync(file, `api_key = ${APP_KEY}\nadmin_key = short\n`);
    const short = await runIotpd(['--config', file, '--listen', '127.0.0.1:0', '--data', dir]);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /admin_key \(IOTP_ADMIN_KEY\): set a key of at least 16 characters/);
  });
});

describe('figures and timelines', () => {
  test('stats count sends, verifications, deliveries and refusals; numbers masked until asked', async () => {
    const srv = await withAdmin();
    const phone = freshPhone();
    await verify(srv, phone);
    // A refusal: premium-rate numbers never get a code.
    const premium = await srv.call('POST', '/v1/sessions', { phone: '+449098765432' });
    assert.equal(premium.body.error.code, 'unsupported_number_type');

    // The delivery thread records the hand-over's outcome on its own (on
    // PostgreSQL, on its own connection): it may commit after the check.
    let s;
    await waitFor(async () => (s = await srv.call('GET', '/v1/admin/stats?range=15m', undefined, { auth: ADMIN })).body?.deliveries?.submitted === 1);
    assert.equal(s.status, 200, s.text);
    const b = s.body;
    assert.equal(b.range, '15m');
    assert.equal(b.step_seconds, 60);
    assert.equal(b.series.length, 15);
    assert.deepEqual(b.totals, { sent: 1, verified: 1, conversion: 1 });
    assert.equal(b.series.reduce((a, x) => a + x.sent, 0), 1);
    assert.deepEqual(b.countries, [{ region: 'GB', name: 'United Kingdom', sent: 1, verified: 1, conversion: 1 }]);
    assert.equal(b.providers.length, 1);
    assert.equal(b.providers[0].conversion, 1);
    // The log provider takes the message and reports nothing after.
    assert.deepEqual(b.deliveries, { submitted: 1 });
    assert.deepEqual(b.refusals, { number_type: 1 });
    assert.equal(b.series.reduce((a, x) => a + (x.refused.number_type || 0), 0), 1);
    assert.equal(b.recent.length, 1);
    assert.equal(b.recent[0].status, 'verified');
    assert.equal(b.recent[0].checks, 2);
    assert.notEqual(b.recent[0].phone, phone, 'masked by default');
    assert.match(b.recent[0].phone, /^\+4474•+\d\d$/);
    assert.ok(!s.text.includes(phone.slice(6, 10)), 'the middle digits appear nowhere');
    const shown = await srv.call('GET', '/v1/admin/stats?range=15m&reveal=1', undefined, { auth: ADMIN });
    assert.equal(shown.body.recent[0].phone, phone);
    for (const range of ['1h', '6h', '24h', '7d'])
      assert.equal((await srv.call('GET', `/v1/admin/stats?range=${range}`, undefined, { auth: ADMIN })).status, 200, range);
    const bad = await srv.call('GET', '/v1/admin/stats?range=1y', undefined, { auth: ADMIN });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /15m, 1h, 6h, 24h or 7d/);
    await srv.stop();
  });

  test("a number's timeline: session, message, hand-over, verification — never the code or the text", async () => {
    const srv = await withAdmin();
    const phone = freshPhone();
    const v = await verify(srv, phone);
    let r;
    await waitFor(async () => (r = await srv.call('GET', `/v1/admin/numbers/${encodeURIComponent(phone)}`, undefined, { auth: ADMIN })).body?.sessions?.[0]?.messages?.[0]?.status === 'submitted');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.phone, phone);
    assert.equal(r.body.region, 'GB');
    const types = r.body.timeline.map((e) => e.type);
    for (const t of ['session.created', 'message.queued', 'message.hand_over', 'session.verified'])
      assert.ok(types.includes(t), `${t} in ${types}`);
    assert.ok(types.indexOf('session.created') < types.indexOf('session.verified'));
    const at = r.body.timeline.map((e) => Date.parse(e.at));
    assert.deepEqual(at, [...at].sort((x, y) => x - y), 'oldest first');
    assert.equal(r.body.sessions.length, 1);
    assert.equal(r.body.sessions[0].id, v.id);
    assert.equal(r.body.sessions[0].checks, 2);
    assert.equal(r.body.sessions[0].messages[0].status, 'submitted');
    assert.equal(r.body.sessions[0].messages[0].hand_overs[0].outcome, 'submitted');
    assert.ok(!r.text.includes(v.code), 'never the code');
    // As the SMS writes it ("123-456"); its first half alone would also match
    // a timestamp's year ("026-" in 2026-12-07) once in a thousand runs.
    assert.ok(!r.text.includes(`${v.code.slice(0, 3)}-${v.code.slice(3)}`), 'never the code as sent');
    assert.ok(!r.text.includes("Don't share"), 'never the text');
    // Any spelling of the number; a number never seen has an empty timeline.
    const spaced = `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
    assert.equal((await srv.call('GET', `/v1/admin/numbers/${encodeURIComponent(spaced)}`, undefined, { auth: ADMIN })).body.phone, phone);
    const none = await srv.call('GET', `/v1/admin/numbers/${encodeURIComponent(freshPhone())}`, undefined, { auth: ADMIN });
    assert.deepEqual([none.status, none.body.timeline], [200, []]);
    const bad = await srv.call('GET', '/v1/admin/numbers/123', undefined, { auth: ADMIN });
    assert.equal(bad.status, 422);
    await srv.stop();
  });
});

describe('limits hit, each check, and bounds', () => {
  const LIMITS = '[limits]\ncreate.number = 2/1h\n[geo]\nallow = GB, IE\n';
  const number = (srv, phone) => srv.call('GET', `/v1/admin/numbers/${encodeURIComponent(phone)}`, undefined, { auth: ADMIN });

  test("each check's time and outcome, the limits hit (rate limit, geo, challenge) and account events — never a code or a PIN", async () => {
    const srv = await withAdmin(`pow_countries = IE\n${LIMITS}`);
    const phone = freshPhone();
    const v = await verify(srv, phone); // a wrong code, then the right one
    // An account with a PIN: its events are in the timeline, the PIN is not.
    const acct = await srv.call('POST', '/v1/accounts', { session_id: v.id, device: { name: 'Ana' }, pin: '975310' });
    assert.equal(acct.status, 201, acct.text);
    // The number's own rate limit: the 2nd session is allowed, the 3rd and 4th refused (one note a minute).
    assert.equal((await srv.call('POST', '/v1/sessions', { phone })).status, 201);
    // Notes group by the clock's minute: the two refusals must share one.
    if (Date.now() % 60000 > 57000) await sleep(60100 - (Date.now() % 60000));
    for (let i = 0; i < 2; i++)
      assert.equal((await srv.call('POST', '/v1/sessions', { phone })).body.error.code, 'rate_limited_number');
    let r = await number(srv, phone);
    assert.equal(r.status, 200, r.text);
    const s = r.body.sessions.find((x) => x.id === v.id);
    assert.deepEqual(s.check_times.map((c) => [c.outcome, c.error]), [['wrong', 'incorrect_code'], ['right', null]]);
    const [wrongAt, rightAt] = s.check_times.map((c) => Date.parse(c.at));
    assert.ok(wrongAt <= rightAt && rightAt === Date.parse(s.verified_at), 'each check at its own time; the right one is the verification');
    assert.deepEqual(r.body.limits_hit.map((l) => [l.reason, l.detail, l.session_id]),
      [['rate_limit', 'rate_limited_number (session)', null]], 'two refusals in a minute: one note');
    const types = r.body.timeline.map((e) => e.type);
    for (const t of ['session.created', 'check.wrong', 'check.right', 'session.verified', 'account.registered', 'limit.hit'])
      assert.ok(types.includes(t), `${t} in ${types}`);
    assert.ok(types.indexOf('check.wrong') < types.indexOf('check.right'));
    assert.ok(r.body.timeline.some((e) => e.type === 'limit.hit' && e.text === 'limit hit: rate_limit — rate_limited_number (session)'));
    assert.ok(!r.text.includes(v.code) && !r.text.includes('975310'), 'never the code or the PIN');

    // A country not allowed (geo), and a challenge owed before a code (IE).
    const fr = '+33612345678';
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: fr })).body.error.code, 'country_not_allowed');
    r = await number(srv, fr);
    assert.deepEqual(r.body.limits_hit.map((l) => [l.reason, l.detail]), [['geo', 'country_not_allowed (session)']]);
    assert.equal(r.body.sessions.length, 0);
    const ie = '+353851234567';
    const c = await srv.call('POST', '/v1/sessions', { phone: ie });
    assert.equal(c.status, 201, c.text);
    assert.deepEqual(c.body.requested_information, ['proof_of_work']);
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).body.error.code, 'challenge_required');
    r = await number(srv, ie);
    assert.deepEqual(r.body.limits_hit.map((l) => [l.reason, l.detail, l.session_id]), [['challenge', 'challenge_required (sms)', c.body.id]]);
    await srv.stop();
  });

  test('a number with many sessions and notes: each list is bounded and says there is more', async () => {
    const srv = await withAdmin('limits = off\n');
    const phone = freshPhone();
    let last;
    for (let i = 0; i < 23; i++) {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      assert.equal(c.status, 201, c.text);
      last = c.body.id;
    }
    // Notes: a check refused (no code sent yet) is noted once a minute;
    // wrong codes each (bounded by the session's attempts).
    const r = await number(srv, phone);
    assert.equal(r.body.sessions.length, 20);
    assert.equal(r.body.sessions[0].id, last, 'newest first');
    assert.deepEqual(r.body.bounds, { sessions: 20, notes: 200, more_sessions: true, more_notes: false });
    const few = await number(srv, freshPhone());
    assert.deepEqual(few.body.bounds, { sessions: 20, notes: 200, more_sessions: false, more_notes: false });
    // The dashboard's recent list is bounded the same way, at any range.
    for (const range of ['15m', '7d']) {
      const s = await srv.call('GET', `/v1/admin/stats?range=${range}`, undefined, { auth: ADMIN });
      assert.equal(s.body.recent.length, 20, range);
    }
    await srv.stop();
  });
});

describe('fraud measures', () => {
  const conf = 'fraud_prefix3_min_sent = 5\nfraud_prefix5_min_sent = 1000\nfraud_country_min_sent = 1000\n';
  const range = (n) => Array.from({ length: n }, (_, i) => `+4474009876${String(10 + i).padStart(2, '0')}`);

  async function pump(srv, numbers) {
    for (const phone of numbers) {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      if (c.status === 201) await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    }
  }

  test('listed with their reason; the app key cannot lift; the admin key lifts once', async () => {
    const srv = await withAdmin(conf);
    await pump(srv, range(6));
    const list = await srv.call('GET', '/v1/admin/blocks', undefined, { auth: ADMIN });
    assert.equal(list.status, 200);
    assert.equal(list.body.blocks.length, 1, list.text);
    const blk = list.body.blocks[0];
    assert.equal(blk.key, 'p3|+447400987');
    assert.equal(blk.measure, 'blocked');
    assert.match(blk.applies_to, /\+447400987/);
    assert.ok(blk.reason.length > 0);
    assert.equal(Math.round(blk.sent), 5);
    assert.equal(blk.strike, 1, 'a first measure on the range');
    assert.ok(Date.parse(blk.until) - Date.parse(blk.since) === 3600 * 1000, `it lifts itself after fraud_block_time: ${blk.since} → ${blk.until}`);

    const byApp = await srv.call('POST', '/v1/admin/blocks/lift', { key: blk.key }, { auth: APP_KEY });
    assert.equal(byApp.status, 401);
    const lifted = await srv.call('POST', '/v1/admin/blocks/lift', { key: blk.key }, { auth: ADMIN });
    assert.deepEqual([lifted.status, lifted.body], [200, { key: blk.key, lifted: true }]);
    assert.deepEqual((await srv.call('GET', '/v1/admin/blocks', undefined, { auth: ADMIN })).body.blocks, []);
    const again = await srv.call('POST', '/v1/admin/blocks/lift', { key: blk.key }, { auth: ADMIN });
    assert.equal(again.status, 404);
    assert.match(again.body.error.message, /GET \/v1\/admin\/blocks/);
    // Sends go again once iotpd re-reads the measures (each second).
    let k = 50;
    const ok = await waitFor(async () => {
      const c = await srv.call('POST', '/v1/sessions', { phone: `+4474009876${k++}` });
      return (await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status === 200;
    }, { timeoutMs: 5000, intervalMs: 250 });
    assert.ok(ok, 'sends go again once lifted');
    await srv.stop();
  });
});

describe('iotpctl --url', () => {
  test('number, stats, fraud list and unblock against a running server; the app key is refused', async () => {
    const srv = await withAdmin('fraud_prefix3_min_sent = 5\nfraud_prefix5_min_sent = 1000\nfraud_country_min_sent = 1000\n');
    const phone = freshPhone();
    await verify(srv, phone);
    const num = await ctl('--url', srv.base, '--key', ADMIN, 'number', phone);
    assert.equal(num.code, 0, num.stderr);
    assert.match(num.stdout, new RegExp(`^\\${phone} \\(GB, United Kingdom\\)`));
    assert.match(num.stdout, /session\.created/);
    assert.match(num.stdout, /session\.verified\s+code checked right after 2 checks/);

    const stats = await ctl('--url', srv.base, '--key', ADMIN, 'stats', '15m');
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^range 15m/);
    assert.match(stats.stdout, /^sent 1$/m);
    assert.match(stats.stdout, /^country\s+GB\s+sent=1 verified=1 conversion=100%$/m);

    const json = await ctl('--url', srv.base, '--key', ADMIN, '--json', 'stats');
    assert.equal(JSON.parse(json.stdout).range, '1h');

    for (let i = 10; i < 16; i++) {
      const c = await srv.call('POST', '/v1/sessions', { phone: `+4474009876${i}` });
      if (c.status === 201) await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    }
    const list = await ctl('--url', `${srv.base}/`, '--key', ADMIN, 'fraud', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /p3\|\+447400987\s+blocked .*sent=5 verified=0/);
    const lift = await ctl('--url', srv.base, '--key', ADMIN, 'fraud', 'unblock', 'p3|+447400987');
    assert.equal(lift.code, 0, lift.stderr);
    assert.match(lift.stdout, /lifted p3\|\+447400987/);

    const app = await ctl('--url', srv.base, '--key', APP_KEY, 'stats');
    assert.equal(app.code, 1);
    assert.match(app.stderr, /401 unauthorized: .*an app's API key does not open the admin API/);
    const nokey = await ctl('--url', srv.base, 'stats');
    assert.equal(nokey.code, 2);
    assert.match(nokey.stderr, /--key KEY or IOTP_ADMIN_KEY/);
    const down = await ctl('--url', 'http://127.0.0.1:1', '--key', ADMIN, 'stats');
    assert.equal(down.code, 1);
    assert.match(down.stderr, /is iotpd running there\?/);
    await srv.stop();
  });
});
