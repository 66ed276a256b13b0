// Pumping without collateral (docs/fraud.md): unverified sessions in a
// country or from a client site raise the price there (a proof-of-work of
// growing difficulty) instead of spending a budget honest people need;
// pressure fades on its own; blocks on a number range run out on their own
// and last longer for a range that is pumped again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { IOTPD, cleanup, codeFromSms, makeDataDir, start, waitFor } from './helpers.mjs';

const run = promisify(execFile);
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

after(cleanup);

async function startWith(conf, env = {}) {
  const dir = makeDataDir();
  const file = path.join(dir, 'iotp.conf');
  writeFileSync(file, `trusted_proxies = 127.0.0.1\n${conf}`);
  return start(env, { args: ['--dev', '--config', file] });
}

async function ctl(srv, ...args) {
  const r = await run(IOTPCTL, ['--data', srv.dataDir, ...srv.storeArgs, ...args]);
  return r.stdout;
}

/** The first decimal nonce that solves a challenge (docs/fraud.md). */
function solvePow(challenge, difficulty) {
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

const from = (ip) => ({ headers: { 'x-forwarded-for': ip } });
const digits = (n) => Array.from({ length: n }, () => randomInt(10)).join('');
const nigerian = () => `+234803${digits(7)}`;
const british = () => `+447400${digits(6)}`;
const australian = () => `+61412${digits(6)}`;
const french = () => `+33612${digits(6)}`;
/** A fresh address in its own /24, as a pumping botnet or a country's honest people have. */
let nextNet = 0;
const anywhere = () => `10.${(nextNet >> 8) & 255}.${nextNet++ & 255}.7`;

/** Creates a session; returns the proof-of-work bits it owes (0: none). */
async function owed(srv, phone, ip) {
  const c = await srv.call('POST', '/v1/sessions', { phone }, from(ip));
  assert.equal(c.status, 201, c.text);
  if (c.body.allowed_to_request_code) return { bits: 0, session: c.body };
  assert.deepEqual(c.body.requested_information, ['proof_of_work']);
  return { bits: c.body.challenge.proof_of_work.difficulty, session: c.body };
}

/** The honest flow: solve what is asked, send, read the SMS, verify. */
async function honest(srv, phone, ip) {
  const { bits, session } = await owed(srv, phone, ip);
  if (bits) {
    const pow = session.challenge.proof_of_work;
    const p = await srv.call('PATCH', `/v1/sessions/${session.id}`, { proof_of_work: solvePow(pow.challenge, pow.difficulty) }, from(ip));
    assert.equal(p.status, 200, p.text);
  }
  const s = await srv.call('POST', `/v1/sessions/${session.id}/code`, {}, from(ip));
  assert.equal(s.status, 200, s.text);
  const [sms] = await srv.waitInbox(phone, 1);
  const v = await srv.call('PUT', `/v1/sessions/${session.id}/code`, { code: codeFromSms(sms.text) }, from(ip));
  assert.equal(v.status, 200, v.text);
  return bits;
}

describe('pressure raises the price, per country and per client site', () => {
  // fraud_pressure_young = 0: these tests count from the first session (the
  // cold-start allowance has its own test below).
  const env = { IOTP_FRAUD_PRESSURE_FLOOR: '5', IOTP_FRAUD_PRESSURE_YOUNG: '0', IOTP_POW_DIFFICULTY: '8', IOTP_POW_MAX_DIFFICULTY: '12' };

  test('unverified sessions across a country make its new sessions owe a growing proof-of-work, capped; other countries pay nothing', async () => {
    const srv = await startWith('', env);
    const bits = [];
    for (let i = 0; i < 100; i++) bits.push((await owed(srv, nigerian(), anywhere())).bits);
    assert.deepEqual(bits.slice(0, 5), [0, 0, 0, 0, 0], 'the first few are free (fraud_pressure_floor)');
    assert.ok(bits.slice(6).every((b) => b >= 8), `then each owes one: ${bits}`);
    for (let i = 1; i < bits.length; i++) assert.ok(bits[i] >= bits[i - 1], `the price only grows while the pressure does: ${bits}`);
    assert.equal(Math.max(...bits), 12, 'and stops at pow_max_difficulty');
    assert.equal((await owed(srv, british(), anywhere())).bits, 0, 'nobody elsewhere is challenged');
    assert.equal((await owed(srv, australian(), anywhere())).bits, 0);
  });

  test('an attacker\'s unsolved sessions spend no budget: honest people in the attacked country solve, send and verify', async () => {
    const srv = await startWith('', env);
    for (let i = 0; i < 60; i++) await owed(srv, nigerian(), anywhere()); // never solved, never sent
    for (let i = 0; i < 5; i++) {
      const paid = await honest(srv, nigerian(), anywhere());
      assert.ok(paid >= 8 && paid <= 12, `an honest Nigerian pays the price, is not refused: ${paid}`);
    }
    assert.equal(await honest(srv, british(), anywhere()), 0, 'a British one pays nothing');
  });

  test('a client site (/24, IPv6 /48) with many unverified sessions owes a proof-of-work wherever its numbers are', async () => {
    const srv = await startWith('', env);
    const countries = [nigerian, british, australian, () => `+49151${digits(8)}`];
    const bits4 = [];
    for (let i = 0; i < 8; i++) bits4.push((await owed(srv, countries[i % 4](), `192.0.2.${10 + i}`)).bits);
    assert.equal(bits4[0], 0);
    assert.ok(bits4[7] >= 8, `the /24's eighth owes one: ${bits4}`);
    assert.equal((await owed(srv, french(), '192.0.3.1')).bits, 0, 'the next /24 does not');
    // IPv6: hopping between /64s of one /48 does not escape it.
    const bits6 = [];
    for (let i = 0; i < 8; i++) bits6.push((await owed(srv, countries[i % 4](), `2001:db8:77:${i + 1}::1`)).bits);
    assert.ok(bits6[7] >= 8, `the /48's eighth owes one: ${bits6}`);
    assert.equal((await owed(srv, french(), '2001:db8:78::1')).bits, 0, 'the next /48 does not');
  });

  test('pressure fades on its own once the unverified sessions stop', async () => {
    const srv = await startWith('', { ...env, IOTP_FRAUD_PRESSURE_WINDOW: '1' });
    for (let i = 0; i < 30; i++) await owed(srv, nigerian(), anywhere());
    assert.ok((await owed(srv, nigerian(), anywhere())).bits >= 8, 'under pressure');
    const free = await waitFor(async () => ((await owed(srv, nigerian(), anywhere())).bits === 0 ? true : null), {
      timeoutMs: 20000,
      intervalMs: 500,
    });
    assert.ok(free, 'a new Nigerian session owes nothing again (the short window halves every second here)');
  });
});

describe('a fresh node does not challenge its first honest people', () => {
  // The production defaults: fraud_pressure_floor 20 (helpers.mjs lifts it), fraud_pressure_young 25.
  test('sessions too young to have been verified are forgiven, up to fraud_pressure_young; beyond that the price rises', async () => {
    const srv = await startWith('', { IOTP_FRAUD_PRESSURE_FLOOR: '20', IOTP_POW_DIFFICULTY: '8', IOTP_POW_MAX_DIFFICULTY: '12' });
    // A fresh node: no verification seen yet, so nothing shows what is usual.
    // Honest people in the UK start 40 sessions, each from its own network,
    // whose codes are on their way (nobody has typed one yet).
    const first = [];
    for (let i = 0; i < 40; i++) first.push((await owed(srv, british(), anywhere())).bits);
    assert.deepEqual(first, Array(40).fill(0), `none of the first 40 is challenged: ${first}`);
    // An attack on the same quiet country gets floor + young (45) sessions,
    // not more, before its price rises.
    const bits = [];
    for (let i = 0; i < 30; i++) bits.push((await owed(srv, british(), anywhere())).bits);
    assert.ok(bits.slice(10).every((b) => b >= 8), `past 45 unverified, each owes a proof-of-work: ${bits}`);
    assert.equal((await owed(srv, french(), anywhere())).bits, 0, 'another country pays nothing');
  });
});

describe('many distinct numbers from one client site', () => {
  test('past pow_network_numbers distinct unverified numbers, a /24 owes a proof-of-work; the same number again, or verified ones, do not count', async () => {
    const srv = await startWith('', { IOTP_POW_NETWORK_NUMBERS: '10', IOTP_POW_DIFFICULTY: '8', IOTP_POW_MAX_DIFFICULTY: '12' });
    // One person retrying their own number, eight times: one number.
    const mine = british();
    const retries = [];
    for (let i = 0; i < 8; i++) retries.push((await owed(srv, mine, `198.51.100.${1 + i}`)).bits);
    assert.deepEqual(retries, Array(8).fill(0), `retries of one number count once: ${retries}`);
    // Then distinct numbers from the same /24, never verified: the 10th new
    // one makes 11 distinct (with the retried one), past the limit.
    const bits = [];
    for (let i = 0; i < 12; i++) bits.push((await owed(srv, [nigerian, british, french][i % 3](), `198.51.100.${20 + i}`)).bits);
    assert.deepEqual(bits.slice(0, 9), Array(9).fill(0), `the first ones are free: ${bits}`);
    assert.ok(bits.slice(10).every((b) => b >= 8), `past 10 distinct unverified numbers each owes one: ${bits}`);
    assert.equal((await owed(srv, british(), '198.51.101.1')).bits, 0, 'the next /24 does not');
    // An office whose people verify: 15 distinct numbers from one /24, none challenged.
    const office = [];
    for (let i = 0; i < 15; i++) office.push(await honest(srv, british(), `203.0.113.${1 + i}`));
    assert.deepEqual(office, Array(15).fill(0), `verified numbers do not count: ${office}`);
  });
});

describe('many distinct numbers from a busy carrier-grade NAT', () => {
  test('a /24 whose numbers verify has room for the numbers its people abandon; one that verifies none does not', async () => {
    const srv = await startWith('', { IOTP_POW_NETWORK_NUMBERS: '10', IOTP_POW_DIFFICULTY: '8', IOTP_POW_MAX_DIFFICULTY: '12' });
    // A NAT's people: 20 verify, then 15 more never type their code. At the
    // default 40 % never verified (no history yet), 20 verified numbers
    // account for 20 x 0.4/0.6 x 1.25 = 16.7 abandoned ones, on top of 10.
    for (let i = 0; i < 20; i++) assert.equal(await honest(srv, british(), `100.64.7.${1 + i}`), 0);
    const abandoned = [];
    for (let i = 0; i < 15; i++) abandoned.push((await owed(srv, british(), `100.64.7.${30 + i}`)).bits);
    assert.deepEqual(abandoned, Array(15).fill(0), `a NAT whose numbers verify is not an attacker: ${abandoned}`);
    // Past the room its verifications give, it owes one like any other site.
    const more = [];
    for (let i = 0; i < 15; i++) more.push((await owed(srv, british(), `100.64.7.${50 + i}`)).bits);
    assert.ok(more.slice(-3).every((b) => b >= 8), `beyond that, a proof-of-work: ${more}`);
    // A /24 that verifies nothing gets pow_network_numbers and no more.
    const bits = [];
    for (let i = 0; i < 12; i++) bits.push((await owed(srv, british(), `198.51.100.${20 + i}`)).bits);
    assert.deepEqual(bits.slice(0, 10), Array(10).fill(0), `the first ones are free: ${bits}`);
    assert.ok(bits[11] >= 8, `the 11th distinct unverified number owes one: ${bits}`);
  });
});

describe('the spread of numbers inside a country', () => {
  // Real people come from the blocks of 100,000 numbers that operators filled,
  // where others verified before; random valid numbers land mostly in blocks
  // where nobody ever did. Scaled down: a country is judged after 5
  // verifications (fraud_baseline_min_sent), 3 sessions in never-verified
  // blocks beyond their usual share raise their price (fraud_spread_floor).
  const env = { IOTP_FRAUD_SPREAD_FLOOR: '3', IOTP_FRAUD_BASELINE_MIN_SENT: '5', IOTP_FRAUD_PRESSURE_FLOOR: '20',
    IOTP_FRAUD_PRESSURE_YOUNG: '0', IOTP_POW_DIFFICULTY: '8', IOTP_POW_MAX_DIFFICULTY: '12' };
  const inBlock = (block) => `${block}${digits(5)}`; // +23480312 + 5 digits: one block of 100,000
  let nextBlock = 0;
  const neverSeen = () => inBlock(`+234909${String(nextBlock++ % 100).padStart(2, '0')}`);

  test('a block nobody verified in pays first under pressure and more; a block with a verified history pays the base price; a new block earns its history with its first verification', async () => {
    const srv = await startWith('', env);
    // Nigerians from one filled block verify: the country has a history, and
    // 1 of its 6 verifications opened a block (a usual share of 1/6).
    for (let i = 0; i < 6; i++) assert.equal(await honest(srv, inBlock('+23480312'), anywhere()), 0);
    // Random valid numbers, never verified: each lands in a block with no history.
    const spread = [];
    for (let i = 0; i < 10; i++) spread.push((await owed(srv, neverSeen(), anywhere())).bits);
    assert.deepEqual(spread.slice(0, 3), [0, 0, 0], `the first few are free (fraud_spread_floor): ${spread}`);
    assert.ok(spread.slice(5).every((b) => b >= 8), `then sessions in never-verified blocks owe one: ${spread}`);
    // The country's pressure (20 + its usual) is not reached: a Nigerian from
    // the filled block owes nothing, nor does anyone elsewhere.
    assert.equal((await owed(srv, inBlock('+23480312'), anywhere())).bits, 0, 'a block with a verified history pays nothing');
    assert.equal((await owed(srv, british(), anywhere())).bits, 0, 'nor does another country');
    // The attack goes on until the country is under pressure: a block with a
    // verified history then pays the base price, a never-verified one the most.
    for (let i = 0; i < 60; i++) await owed(srv, neverSeen(), anywhere());
    assert.equal((await owed(srv, neverSeen(), anywhere())).bits, 12, 'never verified: pow_max_difficulty');
    assert.equal((await owed(srv, inBlock('+23480312'), anywhere())).bits, 8, 'verified history: pow_difficulty');
    // A newly issued block: its first person pays the higher price (never a
    // refusal), verifies, and the block has a history from then on.
    const fresh = '+23490155';
    assert.equal(await honest(srv, inBlock(fresh), anywhere()), 12, 'the first person of a new block solves the higher price');
    assert.equal((await owed(srv, inBlock(fresh), anywhere())).bits, 8, 'the next one pays the base price: the block earned its history');
  });

  test('off with fraud_spread_floor = 0: a never-verified block pays only the country\'s price', async () => {
    const srv = await startWith('', { ...env, IOTP_FRAUD_SPREAD_FLOOR: '0' });
    for (let i = 0; i < 6; i++) assert.equal(await honest(srv, inBlock('+23480312'), anywhere()), 0);
    const spread = [];
    for (let i = 0; i < 10; i++) spread.push((await owed(srv, neverSeen(), anywhere())).bits);
    assert.deepEqual(spread, Array(10).fill(0), `below the country's pressure nothing is asked: ${spread}`);
  });
});

describe('the hour of the day against the country\'s usual', () => {
  // iotpd runs at chosen times of day under libfaketime (Debian's faketime),
  // on one data directory, so its hourly profile is learned at one hour and
  // read at others. Monotonic clocks stay real (timeouts, waits).
  const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
  // An ASan build wants its runtime first among the libraries; libfaketime
  // comes first here, which is harmless for it (it only wraps time calls).
  const asan = `${process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : ''}verify_asan_link_order=0`;
  const at = (when) => ({ LD_PRELOAD: FAKETIME, FAKETIME: `@${when}`, FAKETIME_DONT_FAKE_MONOTONIC: '1', TZ: 'UTC', ASAN_OPTIONS: asan });
  const env = { IOTP_FRAUD_PRESSURE_FLOOR: '20', IOTP_FRAUD_PROFILE_MIN_SESSIONS: '100', IOTP_POW_DIFFICULTY: '8', IOTP_POW_MAX_DIFFICULTY: '12' };

  test('young sessions are forgiven at the country\'s usual hours, up to 4 times more at its busiest, not at an hour when it is quiet', async () => {
    const dataDir = makeDataDir();
    const file = path.join(dataDir, '..', `${path.basename(dataDir)}.conf`);
    writeFileSync(file, 'trusted_proxies = 127.0.0.1\n');
    const run = (when) => start({ ...env, ...at(when) }, { dataDir, args: ['--dev', '--config', file] });
    // The UK's sessions come in the afternoon (150 of them, a profile).
    let srv = await run('2026-12-01 14:00:00');
    for (let i = 0; i < 150; i++) await owed(srv, british(), anywhere());
    await srv.stop();

    // 03:00 the next day: no British session ever came at this hour, so
    // nothing young is forgiven: past fraud_pressure_floor (20) the price rises.
    srv = await run('2026-12-02 03:00:00');
    const night = [];
    for (let i = 0; i < 40; i++) night.push((await owed(srv, british(), anywhere())).bits);
    assert.deepEqual(night.slice(0, 18), Array(18).fill(0), `the first ones are free: ${night}`);
    assert.ok(night.slice(25).every((b) => b >= 8), `at a quiet hour the young allowance is gone: ${night}`);
    assert.equal((await owed(srv, french(), anywhere())).bits, 0, 'France has no profile: a cold start, 25 forgiven');
    await srv.stop();

    // 14:00 again: the busiest hour forgives 4 x fraud_pressure_young.
    srv = await run('2026-12-02 14:00:00');
    const day = [];
    for (let i = 0; i < 60; i++) day.push((await owed(srv, british(), anywhere())).bits);
    assert.deepEqual(day, Array(60).fill(0), `at the usual hour 60 young sessions are forgiven: ${day}`);
    await srv.stop();
  });
});

describe('measures run out on their own', () => {
  const conf = 'fraud_prefix3_min_sent = 5\nfraud_prefix5_min_sent = 1000\nfraud_country_min_sent = 1000\n';
  const range = (n, from = 0) => Array.from({ length: n }, (_, i) => `+4474009877${String(from + i).padStart(2, '0')}`);
  async function pump(srv, phones) {
    const out = [];
    for (const phone of phones) {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      assert.equal(c.status, 201, c.text);
      out.push(await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {}));
    }
    return out;
  }

  test('a blocked range opens again after fraud_block_time, and a repeat blocks it twice as long', async () => {
    const srv = await startWith(conf, { IOTP_FRAUD_BLOCK_TIME: '2' });
    const rs = await pump(srv, range(6));
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200, 200, 403]);
    assert.match(await ctl(srv, 'fraud', 'list'), /p3\|\+447400987\s+blocked .* strike 1 /);
    // Nobody lifts it: it runs out. The send that goes is judged like any
    // other, and the range, still unverified, is blocked again: longer.
    let k = 10;
    const again = await waitFor(async () => ((await pump(srv, range(1, k++)))[0].status === 200 ? true : null), {
      timeoutMs: 20000,
      intervalMs: 250,
    });
    assert.ok(again, 'sends go again once the block has run out');
    assert.equal((await pump(srv, range(1, 90)))[0].status, 403, 'pumped again: blocked again at once');
    const events = await ctl(srv, 'fraud', 'events');
    assert.match(events, /fraud\.prefix_blocked\s+p3\|\+447400987\s.*for 2s \(strike 1\)/);
    assert.match(events, /fraud\.prefix_blocked\s+p3\|\+447400987\s.*for 4s \(strike 2\)/);
    assert.match(await ctl(srv, 'fraud', 'list'), /p3\|\+447400987\s+blocked .* strike 2 /);
  });
});
