// Attempt limits, and the race: guesses sent in parallel are counted exactly
// and no more than max_check_attempts are ever evaluated.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, start, wrongCode } from './helpers.mjs';

const MAX = 5;
let srv;
before(async () => {
  srv = await start({
    IOTP_MAX_CHECK_ATTEMPTS: String(MAX),
    // 100 parallel fetches open up to 100 connections from 127.0.0.1; the
    // race is about attempts, not about the per-address connection limit.
    IOTP_MAX_CONNECTIONS_PER_IP: '1000',
  });
});
after(cleanup);

/** A session with a code sent; returns {id, code}. */
async function sessionWithCode() {
  const phone = freshPhone();
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.attempts_left, MAX);
  const [sms] = await srv.waitInbox(phone, 1);
  assert.ok(sms, 'the SMS arrived');
  return { id: c.body.id, code: codeFromSms(sms.text) };
}

const check = (id, code) => srv.call('PUT', `/v1/sessions/${id}/code`, { code });

function tally(results) {
  const t = {};
  for (const r of results) {
    const k = `${r.status} ${r.body?.error?.code ?? 'ok'}`;
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
}

describe('attempt limits', () => {
  test('a wrong code → 400 incorrect_code with attempts_left counting down, session attached', async () => {
    const { id, code } = await sessionWithCode();
    for (let left = MAX - 1; left >= 1; left--) {
      const r = await check(id, wrongCode(code, left));
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'incorrect_code');
      assert.equal(r.body.error.attempts_left, left);
      assert.equal(typeof r.body.error.message, 'string');
      assert.equal(r.body.session.id, id);
      assert.equal(r.body.session.attempts_left, left);
      assert.equal(r.body.session.verified, false);
      assert.equal(r.body.session.next_verification_attempt, 0, 'may try again');
    }
    // The last attempt, with the right code, still works.
    const ok = await check(id, code);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.verified, true);
  });

  test('after max attempts → 429 attempts_exhausted, even for the right code', async () => {
    const { id, code } = await sessionWithCode();
    for (let i = 0; i < MAX; i++) {
      const r = await check(id, wrongCode(code, i + 1));
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.attempts_left, MAX - 1 - i);
    }
    const last = await srv.call('GET', `/v1/sessions/${id}`);
    assert.equal(last.body.attempts_left, 0);
    assert.equal(last.body.next_verification_attempt, null, 'no further check allowed');
    assert.equal(last.body.allowed_to_request_code, false, 'a new code could never be checked');

    const right = await check(id, code);
    assert.equal(right.status, 429, right.text);
    assert.equal(right.body.error.code, 'attempts_exhausted');
    assert.equal(right.body.session.id, id);
    assert.equal(right.body.session.verified, false);
    assert.equal(right.body.session.attempts_left, 0);

    const resend = await srv.call('POST', `/v1/sessions/${id}/code`, { channel: 'sms' });
    assert.equal(resend.status, 429, resend.text);
    assert.equal(resend.body.error.code, 'attempts_exhausted');
    assert.equal(resend.body.session.id, id);

    const g = await srv.call('GET', `/v1/sessions/${id}`);
    assert.equal(g.body.verified, false);
  });
});

describe('races', () => {
  test('100 wrong guesses in parallel: exactly 5 evaluated (400), 95 refused (429), attempts_left 0', async () => {
    const { id, code } = await sessionWithCode();
    const guesses = Array.from({ length: 100 }, (_, i) => wrongCode(code, i + 1));
    const results = await Promise.all(guesses.map((g) => check(id, g)));
    const t = tally(results);
    assert.deepEqual(t, { '400 incorrect_code': MAX, '429 attempts_exhausted': 100 - MAX }, JSON.stringify(t));
    const left = results
      .filter((r) => r.status === 400)
      .map((r) => r.body.error.attempts_left)
      .sort();
    assert.deepEqual(left, [0, 1, 2, 3, 4], 'each evaluated guess saw its own count');
    for (const r of results) assert.equal(r.body.session?.id, id, 'every answer carries the session');

    const g = await srv.call('GET', `/v1/sessions/${id}`);
    assert.equal(g.status, 200);
    assert.equal(g.body.attempts_left, 0);
    assert.equal(g.body.verified, false);
    const right = await check(id, code);
    assert.equal(right.status, 429, right.text);
    assert.equal(right.body.error.code, 'attempts_exhausted');
  });

  test('the right code among parallel wrong guesses: at most 5 evaluated, at most one 200', async () => {
    const { id, code } = await sessionWithCode();
    const guesses = Array.from({ length: 40 }, (_, i) => wrongCode(code, i + 1));
    guesses.splice(Math.floor(Math.random() * guesses.length), 0, code);
    const results = await Promise.all(guesses.map((g) => check(id, g)));
    const t = tally(results);
    const ok = t['200 ok'] ?? 0;
    const wrong = t['400 incorrect_code'] ?? 0;
    assert.ok(ok <= 1, `at most one success: ${JSON.stringify(t)}`);
    assert.ok(ok + wrong <= MAX, `at most ${MAX} evaluated: ${JSON.stringify(t)}`);
    const allowed = new Set(['200 ok', '400 incorrect_code', '429 attempts_exhausted', '409 already_verified']);
    for (const k of Object.keys(t)) assert.ok(allowed.has(k), `unexpected answer ${k}: ${JSON.stringify(t)}`);
    const g = await srv.call('GET', `/v1/sessions/${id}`);
    assert.equal(g.body.verified, ok === 1, 'verified exactly when one check succeeded');
    if (ok === 0) assert.equal(g.body.attempts_left, 0);
  });

  test('the right code sent 20 times in parallel verifies exactly once', async () => {
    const { id, code } = await sessionWithCode();
    const results = await Promise.all(Array.from({ length: 20 }, () => check(id, code)));
    const t = tally(results);
    assert.equal(t['200 ok'], 1, JSON.stringify(t));
    for (const k of Object.keys(t))
      assert.ok(['200 ok', '409 already_verified', '429 attempts_exhausted'].includes(k), `unexpected ${k}: ${JSON.stringify(t)}`);
    const g = await srv.call('GET', `/v1/sessions/${id}`);
    assert.equal(g.body.verified, true);
  });

  test('parallel wrong guesses on many sessions at once are each counted exactly', async () => {
    const sessions = await Promise.all(Array.from({ length: 5 }, () => sessionWithCode()));
    const results = await Promise.all(
      sessions.flatMap(({ id, code }) => Array.from({ length: 12 }, (_, i) => check(id, wrongCode(code, i + 1)))),
    );
    const byId = new Map(sessions.map((s) => [s.id, []]));
    for (const r of results) byId.get(r.body.session.id).push(r);
    for (const [id, rs] of byId) {
      const t = tally(rs);
      assert.deepEqual(t, { '400 incorrect_code': MAX, '429 attempts_exhausted': 12 - MAX }, `${id}: ${JSON.stringify(t)}`);
    }
  });
});
