// Geo permissions, spend caps, number types, the SMS-pumping detector with its
// operator controls, and the proof-of-work challenge (docs/fraud.md).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { IOTPD, cleanup, codeFromSms, freshPhone, makeDataDir, runIotpd, start, waitFor } from './helpers.mjs';

const run = promisify(execFile);
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');
const KEY = '0123456789abcdef0123';

after(cleanup);

async function startWith(conf, env = {}, mode = ['--dev']) {
  const dir = makeDataDir();
  const file = path.join(dir, 'iotp.conf');
  writeFileSync(file, conf);
  const srv = await start(mode[0] === '--dev' ? env : { IOTP_API_KEY: undefined, ...env }, { args: [...mode, '--config', file] });
  if (mode[0] !== '--dev') {
    const call = srv.call;
    srv.call = (m, p, b, o = {}) => call(m, p, b, { auth: KEY, ...o });
  }
  return srv;
}
// Production mode needs a provider named outright; log keeps the codes readable here.
const production = (conf, env) => startWith(`api_key = ${KEY}\nprovider = log\n${conf}`, env, []);

async function ctl(srv, ...args) {
  try {
    const r = await run(IOTPCTL, [...srv.storeArgs, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Solves a proof-of-work challenge as docs/fraud.md describes: the first
 *  decimal nonce for which SHA-256(challenge ":" nonce) starts with at least
 *  difficulty zero bits. */
export function solvePow(challenge, difficulty) {
  for (let n = 0; ; n++) {
    const h = createHash('sha256').update(`${challenge}:${n}`).digest();
    let bits = 0;
    for (const byte of h) {
      if (byte === 0) {
        bits += 8;
        continue;
      }
      bits += Math.clz32(byte) - 24;
      break;
    }
    if (bits >= difficulty) return String(n);
  }
}

describe('geo permissions', () => {
  test('production: a country is refused until [geo] allows it; the refusal names it', async () => {
    const srv = await production('[geo]\nallow = GB\n');
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: freshPhone() })).status, 201);
    const r = await srv.call('POST', '/v1/sessions', { phone: '+33612345678' });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.error.code, 'country_not_allowed');
    assert.equal(r.body.error.region, 'FR');
    assert.equal(r.body.error.country_name, 'France');
    assert.match(r.body.error.message, /France \(FR\)/);
  });

  test('production without [geo]: every country refused, and a warning says how to allow some', async () => {
    const srv = await production('');
    assert.match(srv.stderr, /geo: no country is allowed/);
    const r = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    assert.equal(r.body.error.code, 'country_not_allowed', r.text);
  });

  test('deny wins over allow = *, and [geo default] replaces the allow list for the app', async () => {
    const srv = await production('[geo]\nallow = *\ndeny = FR\n');
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: '+4915112345678' })).status, 201);
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: '+33612345678' })).body.error.code, 'country_not_allowed');
    const app = await production('[geo]\nallow = GB, FR\n[geo default]\nallow = DE\n');
    assert.equal((await app.call('POST', '/v1/sessions', { phone: '+4915112345678' })).status, 201);
    assert.equal((await app.call('POST', '/v1/sessions', { phone: freshPhone() })).body.error.code, 'country_not_allowed');
  });

  test('dev mode allows every country', async () => {
    const srv = await start();
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: '+33612345678' })).status, 201);
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: '+4915112345678' })).status, 201);
  });

  test('a wrong region or an unknown setting in [geo] → start-up refused with file:line', async () => {
    const dir = makeDataDir();
    const conf = path.join(dir, 'iotp.conf');
    writeFileSync(conf, `api_key = ${KEY}\n[geo]\nallow = GB, XX\n`);
    const r = await runIotpd(['--config', conf, '--listen', '127.0.0.1:0', '--data', path.join(dir, 'data')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /iotp\.conf:3: \[geo\]: allow: 'XX' is not a region code/);
    writeFileSync(conf, `api_key = ${KEY}\n[geo]\nalow = GB\n`);
    const r2 = await runIotpd(['--config', conf, '--listen', '127.0.0.1:0', '--data', path.join(dir, 'data')]);
    assert.match(r2.stderr, /iotp\.conf:3: \[geo\]: unknown setting 'alow'/);
  });

  test('spend caps per country and overall fail closed with 429 spend_cap_reached', async () => {
    const srv = await startWith('[spend]\nGB = 2/1h, 100/1d\nglobal = 3/1h\n');
    const send = async (phone) => {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      return srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    };
    assert.equal((await send(freshPhone())).status, 200);
    assert.equal((await send(freshPhone())).status, 200);
    const r = await send(freshPhone());
    assert.equal(r.status, 429, r.text);
    assert.equal(r.body.error.code, 'spend_cap_reached');
    assert.equal(r.body.error.limit, 'spend.country');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    assert.equal((await send('+33612345678')).status, 200, 'France is under the global cap');
    const g = await send('+4915112345678');
    assert.equal(g.body.error.code, 'spend_cap_reached');
    assert.equal(g.body.error.limit, 'spend.global');
  });
});

describe('number types', () => {
  test('premium-rate, shared-cost, UAN, pager and personal numbers are refused, naming the type', async () => {
    const srv = await start();
    for (const [phone, type] of [
      ['+449098765432', 'premium_rate'],
      ['+447600123456', 'pager'],
      ['+445512345678', 'uan'],
      ['+447012345678', 'personal_number'],
    ]) {
      const r = await srv.call('POST', '/v1/sessions', { phone });
      assert.equal(r.status, 422, r.text);
      assert.equal(r.body.error.code, 'unsupported_number_type');
      assert.equal(r.body.error.number_type, type);
    }
  });

  test('VoIP is refused by default and accepted when allowed_number_types names it', async () => {
    const srv = await start();
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: '+445612345678' })).body.error.number_type, 'voip');
    const voip = await start({ IOTP_ALLOWED_NUMBER_TYPES: 'mobile,voip' });
    assert.equal((await voip.call('POST', '/v1/sessions', { phone: '+445612345678' })).status, 201);
  });

  test('a fixed line gets voice only', async () => {
    const srv = await start();
    const c = await srv.call('POST', '/v1/sessions', { phone: '+442079460958' });
    assert.equal(c.status, 201);
    assert.equal(c.body.next_sms, null);
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).body.error.code, 'channel_not_available');
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'voice' })).status, 200);
  });

  test('allowed_number_types naming premium_rate → start-up refused', async () => {
    const r = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], { IOTP_ALLOWED_NUMBER_TYPES: 'mobile,premium_rate' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /allowed_number_types.*'premium_rate' numbers are never accepted/);
  });
});

describe('SMS-pumping detector', () => {
  const conf = 'fraud_prefix3_min_sent = 5\nfraud_prefix5_min_sent = 1000\nfraud_country_min_sent = 1000\n';
  /** Sends a code to each number; returns the answers. */
  async function pump(srv, numbers) {
    const out = [];
    for (const phone of numbers) {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      if (c.status !== 201) {
        out.push(c);
        continue;
      }
      out.push(await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {}));
    }
    return out;
  }
  const range = (n) => Array.from({ length: n }, (_, i) => `+4474009876${String(10 + i).padStart(2, '0')}`);

  test('unverified codes into one range → 403 prefix_blocked, an event, and iotpctl lifts it', async () => {
    const srv = await startWith(conf);
    const rs = await pump(srv, range(8));
    const statuses = rs.map((r) => r.status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 403, 403, 403], JSON.stringify(statuses));
    assert.equal(rs[5].body.error.code, 'prefix_blocked');
    assert.equal((await srv.waitInbox('+447400987614', 1)).length, 1, 'the fifth message went');
    assert.equal((await srv.inbox('+447400987615')).length, 0, 'the sixth did not');
    // A number elsewhere is not touched, and verifying works as ever.
    const ok = freshPhone();
    const c = await srv.call('POST', '/v1/sessions', { phone: ok });
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status, 200);

    const list = await ctl(srv, 'fraud', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /p3\|\+447400987\s+blocked .*sent=5 verified=0/);
    const events = await ctl(srv, 'fraud', 'events');
    assert.match(events.stdout, /fraud\.prefix_blocked\s+p3\|\+447400987/);

    const lift = await ctl(srv, 'fraud', 'unblock', 'p3|+447400987');
    assert.equal(lift.code, 0, lift.stderr);
    // iotpd re-reads the measures in force every second.
    let k = 50;
    const again = await waitFor(
      async () => {
        const r = await pump(srv, [`+4474009876${k++}`]);
        return r[0].status === 200 ? r[0] : null;
      },
      { timeoutMs: 5000, intervalMs: 250 },
    );
    assert.ok(again, 'sends go again once lifted');
    assert.match((await ctl(srv, 'fraud', 'events')).stdout, /fraud\.prefix_unblocked\s+p3\|\+447400987\s+lifted by iotpctl/);
    assert.doesNotMatch((await ctl(srv, 'fraud', 'list')).stdout, /p3\|/);
    assert.equal((await ctl(srv, 'fraud', 'unblock', 'p3|+447400987')).code, 1, 'nothing left to lift');
  });

  test('verified codes keep a busy range open', async () => {
    const srv = await startWith(conf);
    for (const phone of range(10)) {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status, 200, phone);
      const [sms] = await srv.waitInbox(phone, 1);
      assert.equal((await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(sms.text) })).status, 200);
    }
    assert.doesNotMatch((await ctl(srv, 'fraud', 'list')).stdout, /p3\|/);
  });

  test('fraud_action = pretend: the client sees a send, nothing goes out, the timeline says why', async () => {
    const srv = await startWith(`${conf}fraud_action = pretend\n`);
    const rs = await pump(srv, range(8));
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200, 200, 200, 200, 200]);
    assert.equal((await srv.inbox('+447400987616')).length, 0, 'nothing was sent');
    const s = await srv.call('GET', `/v1/sessions/${rs[6].body.id}`);
    assert.equal(s.body.timeline.length, 1);
    assert.equal(s.body.timeline[0].status, 'failed');
    assert.match(s.body.timeline[0].error, /blocked for suspected SMS pumping/);
  });

  test('a throttled range makes new sessions there owe a proof-of-work', async () => {
    const srv = await startWith('fraud_prefix3_min_sent = 3\nfraud_prefix5_min_sent = 1000\nfraud_country_min_sent = 1000\n' +
      'fraud_throttle_percent = 100\nfraud_block_percent = 0\npow_difficulty = 8\n');
    await pump(srv, range(3));
    assert.match((await ctl(srv, 'fraud', 'list')).stdout, /p3\|\+447400987\s+throttled/);
    const c = await srv.call('POST', '/v1/sessions', { phone: '+447400987699' });
    assert.equal(c.status, 201);
    assert.deepEqual(c.body.requested_information, ['proof_of_work']);
    assert.equal(c.body.allowed_to_request_code, false);
  });
});

describe('proof-of-work challenge', () => {
  const conf = 'pow_countries = GB\npow_difficulty = 12\n';

  test('a session that owes one: no code until solved; a wrong, foreign or reused solution is refused', async () => {
    const srv = await startWith(conf);
    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    assert.equal(c.status, 201);
    assert.equal(c.body.allowed_to_request_code, false);
    assert.deepEqual(c.body.requested_information, ['proof_of_work']);
    const pow = c.body.challenge.proof_of_work;
    assert.equal(pow.algorithm, 'sha256-leading-zero-bits');
    assert.match(pow.challenge, /^[0-9a-f]{32}$/);
    assert.equal(pow.difficulty, 12);

    const early = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'challenge_required');

    // A solution of another session's challenge does not fit this one.
    const other = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    const foreign = solvePow(other.body.challenge.proof_of_work.challenge, 12);
    const own = solvePow(pow.challenge, 12);
    if (foreign !== own) {
      const f = await srv.call('PATCH', `/v1/sessions/${c.body.id}`, { proof_of_work: foreign });
      assert.equal(f.status, 400, f.text);
      assert.equal(f.body.error.code, 'challenge_failed');
    }
    // A nonce that falls short: its hash does not start with 12 zero bits.
    let k = 0;
    const short = (n) => {
      const h = createHash('sha256').update(`${pow.challenge}:${n}`).digest();
      return !(h[0] === 0 && h[1] < 16);
    };
    while (!short(`x${k}`)) k++;
    const w = await srv.call('PATCH', `/v1/sessions/${c.body.id}`, { proof_of_work: `x${k}` });
    assert.equal(w.body.error.code, 'challenge_failed', w.text);
    assert.equal((await srv.call('PATCH', `/v1/sessions/${c.body.id}`, { proof_of_work: 'not a nonce!' })).body.error.code, 'challenge_failed');

    const ok = await srv.call('PATCH', `/v1/sessions/${c.body.id}`, { proof_of_work: own });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.allowed_to_request_code, true);
    assert.deepEqual(ok.body.requested_information, []);
    assert.equal(ok.body.challenge, undefined);

    const reused = await srv.call('PATCH', `/v1/sessions/${c.body.id}`, { proof_of_work: own });
    assert.equal(reused.status, 409);
    assert.equal(reused.body.error.code, 'challenge_not_requested');
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status, 200, 'now a code goes');
  });

  test('a solution submitted 10 times in parallel is accepted once', async () => {
    const srv = await startWith(conf);
    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    const nonce = solvePow(c.body.challenge.proof_of_work.challenge, 12);
    const rs = await Promise.all(Array.from({ length: 10 }, () => srv.call('PATCH', `/v1/sessions/${c.body.id}`, { proof_of_work: nonce })));
    assert.equal(rs.filter((r) => r.status === 200).length, 1, rs.map((r) => r.status).join());
    assert.equal(rs.filter((r) => r.body?.error?.code === 'challenge_not_requested').length, 9);
  });

  test('captcha is not offered yet; a body with neither field is refused', async () => {
    const srv = await startWith(conf);
    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    assert.equal((await srv.call('PATCH', `/v1/sessions/${c.body.id}`, { captcha: 'token' })).body.error.code, 'challenge_not_supported');
    assert.equal((await srv.call('PATCH', `/v1/sessions/${c.body.id}`, {})).body.error.code, 'missing_field');
  });

  test('an address that starts many sessions owes a proof-of-work for the next', async () => {
    const srv = await startWith('pow_ip_sessions = 2\npow_difficulty = 8\n');
    const rs = [];
    for (let i = 0; i < 4; i++) rs.push(await srv.call('POST', '/v1/sessions', { phone: freshPhone() }));
    assert.deepEqual(rs.map((r) => r.body.requested_information.length), [0, 0, 1, 1]);
    assert.equal(rs[3].body.challenge.proof_of_work.difficulty, 8);
    // No proof-of-work asked of a session that does not owe one.
    const none = await srv.call('PATCH', `/v1/sessions/${rs[0].body.id}`, { proof_of_work: '1' });
    assert.equal(none.body.error.code, 'challenge_not_requested');
  });
});
