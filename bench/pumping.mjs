// bench/pumping.mjs: an SMS-pumping attack against a real iotpd, mixed with
// honest traffic, to show what the fraud defence (docs/fraud.md) lets through.
//
//   node bench/pumping.mjs [--scenario ranges|country|sites] [--duration S] [--attack-rate R]
//                          [--honest-rate R] [--honest-abandon %] [--honest-lag S] [--warmup S]
//                          [--pretend] [--phone-hashes-per-s N] [--very-slow-hashes-per-s N]
//                          [--lookup on|hang] [--lookup-unassigned %]
//                          [--faketime 'YYYY-MM-DD HH:MM:SS'] [--data DIR] [--profile-min N]
//                          [--set option=value]...
//
// It starts `iotpd --dev` on loopback with the production defaults of every
// limit and of the pumping detector, and trusted_proxies = 127.0.0.1 so that
// X-Forwarded-For can play many client addresses (nothing leaves 127.0.0.1).
//
// Scenario "ranges" (the default). Attack (--attack-rate requests/s, default 200): sequential numbers in a few
// mobile ranges of destinations that pumping favours, each request from a
// random address out of 65,536 (10.x.y.z). An attacker creates a session and
// asks for an SMS; it never verifies and never solves a proof-of-work.
//
// Honest traffic (--honest-rate flows/s, default 40): random mobile numbers in
// GB, FR, DE, US and AU, each from its own address (172.16-31.x.y): create,
// (solve the proof-of-work if asked), send, read the SMS from the dev inbox,
// check the code. Any refusal in that flow counts as an honest refusal.
//
// Scenario "country" (issue 19): the attacker creates --attack-rate sessions/s
// (default 60) on random valid numbers across all of Nigeria's mobile ranges,
// each from its own address, asks for an SMS whenever the session allows one,
// and never verifies nor solves a proof-of-work. Honest people in Nigeria, the
// UK and Germany (--honest-rate flows/s in all, default 6, a third each) do
// the honest flow above and solve every proof-of-work they are given, as a
// real app would. Default duration 90 s. The report adds, per country, who
// was refused, who was challenged, at what difficulty and how long solving
// took here.
//
// Every challenge an honest person solves here is also priced for a slow
// phone: its hash count (how many nonces this solver tried) divided by a
// phone's hash rate, as bench/pow-browser.mjs measured it in Chromium with a
// plain JavaScript SHA-256 (--phone-hashes-per-s, default 270,000: the CPU
// slowed 4x; --very-slow-hashes-per-s, default 130,000: slowed 10x). The
// report gives, per difficulty, how many were asked and the solving times
// here, on a slow phone and on a very slow one.
//
// --lookup on: a reachability provider (docs/fraud.md) runs in this process
// on loopback and iotpd asks it before each send: honest people's numbers are
// in service; an attack number is not in service with probability
// --lookup-unassigned (default 50 %: the share of a country's valid mobile
// numbers that no subscriber holds, which a random-spread attack hits). It
// shows what the lookup costs honest sends (latency) and that the refused
// sends spend nothing. --lookup hang: the provider never answers, to show
// failing open (every send waits reach_timeout_ms, 500 ms, then goes).
//
// Scenario "sites": a slow attack from a few client networks — 4 /24s, each
// creating --attack-rate sessions/s in all (default 0.8: 0.2 per /24, too slow
// for the one-minute pressure) on random Nigerian numbers, each a new number,
// never verified — against honest people behind one carrier-grade NAT /24
// (--honest-rate flows/s, default 1, 30 % never type the code with
// --honest-abandon 30). It shows what pow_network_numbers catches (SMS per
// attacking /24 before its sessions owe a proof-of-work) and what it costs the
// NAT's honest people. Default duration 300 s.
//
// Where honest people's numbers come from (the "country" and "sites"
// scenarios): real traffic concentrates in the blocks of a numbering plan
// that operators have issued and filled, so honest numbers are drawn from
// --filled-blocks blocks of 100,000 numbers per country (default 100, the
// same seeded choice in every run, uniform among them: the most spread-out,
// so the costliest for honest people, of the ways real traffic could be
// concentrated), while the attacker draws from every valid block (3,700 in
// Nigeria). --filled-blocks 0: honest numbers random over every valid block
// too, as before. --new-block P: P % of honest Nigerians come from one block
// never seen before (a newly issued one), reported apart as "NG new block",
// with when its first person verified (from then on it has a history).
//
// --set option=value adds a line to iotpd's configuration (repeatable).
//
// --faketime runs iotpd under Debian's libfaketime from that wall-clock time
// (for the hourly profile), --data keeps its data directory between runs
// (train a profile in one run, attack at another hour in the next), and
// --profile-min sets fraud_profile_min_sessions (default 2000) for a
// scaled-down training run.
//
// Afterwards it counts, from the log provider's messages.jsonl (what really
// went out), the SMS each attacked range received, and prints the report that
// bench/RESULTS.md quotes. Both loops are open-loop (requests start on a
// schedule, not when the previous one finished), so a slow server cannot
// slow the attack down.
import { spawn, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const IOTPD = process.env.IOTPD ?? path.join(here, '..', 'build', 'iotpd');
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SCENARIO = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1] : 'ranges';
const SITES = SCENARIO === 'sites';
const COUNTRY = SCENARIO === 'country' || SITES; // the same per-country report
const DURATION = opt('--duration', SITES ? 300 : COUNTRY ? 90 : 30);
const ATTACK_RATE = opt('--attack-rate', SITES ? 0.8 : COUNTRY ? 60 : 200);
const HONEST_RATE = opt('--honest-rate', SITES ? 1 : COUNTRY ? 6 : 40);
const SETS = args.flatMap((a, i) => (a === '--set' ? [args[i + 1]] : []));
const PRETEND = args.includes('--pretend');
// Honest people as they really are: some never type the code (--honest-abandon
// percent), the others after --honest-lag seconds (SMS delivery and typing).
const HONEST_ABANDON = opt('--honest-abandon', 0);
const HONEST_LAG = opt('--honest-lag', 0);
// The attack starts --warmup seconds after honest traffic (default 0: together).
const WARMUP = opt('--warmup', 0);
const LOOKUP = args.includes('--lookup') ? args[args.indexOf('--lookup') + 1] : '';
const LOOKUP_UNASSIGNED = opt('--lookup-unassigned', 50);
const FAKETIME = args.includes('--faketime') ? args[args.indexOf('--faketime') + 1] : '';
const KEEP_DATA = args.includes('--data') ? args[args.indexOf('--data') + 1] : '';
const PROFILE_MIN = opt('--profile-min', 0);
const FILLED = opt('--filled-blocks', 100);
const NEW_BLOCK = opt('--new-block', 0);
const PHONE_RATE = opt('--phone-hashes-per-s', 270000);
const VERY_SLOW_RATE = opt('--very-slow-hashes-per-s', 130000);

// The attacked ranges: valid mobile numbers, walked sequentially from here.
const ATTACKED = [
  { base: 2348031200000, name: 'NG +234 803 12' },
  { base: 8801712300000, name: 'BD +880 1712 3' },
  { base: 998901200000, name: 'UZ +998 90 12' },
  { base: 37368012000, name: 'MD +373 680 12' },
];

// The reachability provider (--lookup): numbers honest people use are in
// service; an attack number is not with probability LOOKUP_UNASSIGNED.
const inService = new Set();
const lookups = { asked: 0, unreachable: 0 };
const held = [];
const lookupServer = LOOKUP
  ? http.createServer((req, res) => {
    lookups.asked++;
    if (LOOKUP === 'hang') return held.push(res);
    const phone = decodeURIComponent(req.url.split('/').pop());
    const ok = inService.has(phone) || randomInt(100) >= LOOKUP_UNASSIGNED;
    if (!ok) lookups.unreachable++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ reachable: ok }));
  })
  : null;
if (lookupServer) await new Promise((r) => lookupServer.listen(0, '127.0.0.1', r));

const dir = KEEP_DATA || mkdtempSync(path.join(tmpdir(), 'iotp-pumping-'));
const conf = path.join(dir, 'iotp.conf');
writeFileSync(conf, `trusted_proxies = 127.0.0.1\n${PRETEND ? 'fraud_action = pretend\n' : ''}` +
  (PROFILE_MIN ? `fraud_profile_min_sessions = ${PROFILE_MIN}\n` : '') +
  SETS.map((l) => `${l}\n`).join('') +
  (lookupServer ? `reach_provider = http\nreach_url = http://127.0.0.1:${lookupServer.address().port}/lookup/{phone}\n` : ''));
const fake = FAKETIME
  ? { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', FAKETIME: `@${FAKETIME}`, FAKETIME_DONT_FAKE_MONOTONIC: '1', TZ: 'UTC' }
  : {};
const child = spawn(IOTPD, ['--dev', '--config', conf, '--listen', '127.0.0.1:0', '--data', path.join(dir, 'data')], {
  env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IOTP_'))), IOTP_API_KEY: 'dev', IOTP_MAX_CONNECTIONS_PER_IP: '10000', ...fake },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.on('exit', () => reject(new Error(`iotpd exited: ${stderr}`)));
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function call(method, p, body, ip) {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: 'Bearer dev', 'x-forwarded-for': ip };
    if (data) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(data);
    }
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, body: json, ms });
      });
    });
    req.on('error', (e) => resolve({ status: 0, body: { error: { code: e.code } }, ms: 0 }));
    if (data) req.write(data);
    req.end();
  });
}

// Proof-of-work is solved on worker threads, as a browser would off its main
// thread: solving on this event loop would stall every request in flight and
// spoil the latency figures.
const POW_WORKER = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ({ id, challenge, difficulty }) => {
  const t0 = performance.now();
  for (let n = 0; ; n++) {
    const h = createHash('sha256').update(challenge + ':' + n).digest();
    let bits = 0;
    for (const b of h) { if (b === 0) { bits += 8; continue; } bits += Math.clz32(b) - 24; break; }
    if (bits >= difficulty) { parentPort.postMessage({ id, nonce: String(n), ms: performance.now() - t0, hashes: n + 1 }); return; }
  }
});`;
const workers = [0, 1].map(() => new Worker(POW_WORKER, { eval: true }));
const powWaiting = new Map();
let powNext = 0;
const powSolved = []; // {difficulty, ms, hashes}
for (const w of workers) w.on('message', ({ id, nonce, ms, hashes }) => { powWaiting.get(id)({ nonce, ms, hashes }); powWaiting.delete(id); });
async function solvePowOffThread(challenge, difficulty) {
  const id = powNext++;
  const r = await new Promise((resolve) => {
    powWaiting.set(id, resolve);
    workers[id % workers.length].postMessage({ id, challenge, difficulty });
  });
  powSolved.push({ difficulty, ms: r.ms, hashes: r.hashes });
  return r.nonce;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tally = (t, k) => (t[k] = (t[k] ?? 0) + 1);

// ---------------------------------------------------------------- the attack
const attack = { requests: 0, outcomes: {}, next: ATTACKED.map(() => 0) };
async function attackOnce(i) {
  const r = ATTACKED[i % ATTACKED.length];
  const k = i % ATTACKED.length;
  const phone = `+${r.base + attack.next[k]++}`;
  const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  attack.requests++;
  const c = await call('POST', '/v1/sessions', { phone }, ip);
  if (c.status !== 201) return tally(attack.outcomes, `create ${c.status} ${c.body?.error?.code}`);
  if (!c.body.allowed_to_request_code) return tally(attack.outcomes, 'create 201 with a proof-of-work (not solved)');
  attack.requests++;
  const s = await call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' }, ip);
  tally(attack.outcomes, `send ${s.status} ${s.body?.error?.code ?? 'ok'}`);
}

// Nigeria's mobile ranges (libphonenumber's metadata): a random valid number
// in any of them, as an attacker who reads the same metadata would pick.
const NG_MOBILE = ['701', '703', '704', '705', '706', '708', '709', '802', '803', '804', '805', '806', '807',
  '808', '809', '810', '811', '812', '813', '814', '815', '816', '817', '818', '901', '902', '903', '904',
  '905', '906', '907', '908', '909', '912', '913', '915', '916'];
const rnd = (n) => Array.from({ length: n }, () => randomInt(10)).join('');
const nigerian = () => `+234${NG_MOBILE[randomInt(NG_MOBILE.length)]}${rnd(7)}`;
// Each country's filled blocks (the number without its last 5 digits), the
// same in every run (a fixed seed), so a training run and the attack after
// it see the same traffic.
// mulberry32: a small seeded generator (the low bits of a plain LCG cycle
// too soon to pick hundreds of distinct blocks).
let seed = 19;
const seeded = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const NEW_BLOCK_KEY = '+23491699'; // never among the filled ones (below)
const hundred = (heads) => heads.flatMap((h) => Array.from({ length: 100 }, (_, i) => `${h}${String(i).padStart(2, '0')}`));
// FILLED of a country's valid blocks, chosen by a seeded shuffle: never
// more than there are.
function filled(all) {
  const b = all.filter((x) => x !== NEW_BLOCK_KEY);
  for (let i = b.length - 1; i > 0; i--) {
    const j = Math.floor(seeded() * (i + 1));
    [b[i], b[j]] = [b[j], b[i]];
  }
  return b.slice(0, FILLED);
}
const FILLED_BLOCKS = FILLED > 0
  ? {
    NG: filled(hundred(NG_MOBILE.map((r) => `+234${r}`))),
    GB: filled(hundred([0, 1, 2, 3, 4].map((d) => `+4474${d}`))),
    DE: filled(hundred([...Array(10).keys()].map((d) => `+49151${d}`))),
  }
  : null;
const fromFilled = (c) => `${FILLED_BLOCKS[c][randomInt(FILLED_BLOCKS[c].length)]}${rnd(5)}`;
const newBlock = { firstVerifiedAt: null, t0: Date.now() };
const attackNumbers = new Set();
const perSite = {};
async function attackCountryOnce(i) {
  const phone = nigerian();
  attackNumbers.add(phone);
  const ip = SITES ? `10.9.${i % 4}.${randomInt(1, 255)}` : `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  if (SITES) attack.site = (attack.site ??= {}), (perSite[phone] = `10.9.${i % 4}`);
  attack.requests++;
  const c = await call('POST', '/v1/sessions', { phone }, ip);
  if (c.status !== 201) return tally(attack.outcomes, `create ${c.status} ${c.body?.error?.code}`);
  if (!c.body.allowed_to_request_code) {
    tally(attack.bits, c.body.challenge?.proof_of_work?.difficulty ?? '?');
    return tally(attack.outcomes, 'create 201 with a proof-of-work (not solved)');
  }
  attack.requests++;
  const s = await call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' }, ip);
  tally(attack.outcomes, `send ${s.status} ${s.body?.error?.code ?? 'ok'}`);
}
attack.bits = {};

// ------------------------------------------------------------ honest people
const honest = { flows: 0, verified: 0, refused: 0, refusals: {}, pow: 0, latencies: [] };
function honestNumber() {
  const d = (n) => Array.from({ length: n }, () => randomInt(10)).join('');
  switch (randomInt(5)) {
    case 0: return `+4474${[0, 1, 2, 3, 4][randomInt(5)]}${d(7)}`;
    case 1: return `+3361${d(7)}`;
    case 2: return `+49151${d(8)}`;
    case 3: return `+1415${2 + randomInt(8)}${[0, 2, 3, 4, 5, 6, 7, 8, 9][randomInt(9)]}${d(5)}`; // no N11 exchange
    default: return `+6141${randomInt(3)}${d(6)}`;
  }
}
const byCountry = {};
function honestCountryNumber(i) {
  switch (i % 3) {
    case 0:
      if (randomInt(100) < NEW_BLOCK) return ['NG new block', `${NEW_BLOCK_KEY}${rnd(5)}`];
      return ['NG', FILLED_BLOCKS ? fromFilled('NG') : nigerian()];
    case 1: return ['GB', FILLED_BLOCKS ? fromFilled('GB') : `+4474${[0, 1, 2, 3, 4][randomInt(5)]}${rnd(7)}`];
    default: return ['DE', FILLED_BLOCKS ? fromFilled('DE') : `+49151${rnd(8)}`];
  }
}
async function honestOnce(i) {
  const [country, phone] = COUNTRY ? honestCountryNumber(i) : ['*', honestNumber()];
  inService.add(phone);
  const mine = (byCountry[country] ??= { flows: 0, verified: 0, refused: 0, challenged: 0, bits: {}, solveMs: [], challengedAfterHistory: 0 });
  const hadHistory = newBlock.firstVerifiedAt !== null;
  mine.flows++;
  // In "sites", every honest person is behind one carrier-grade NAT /24.
  const ip = SITES ? `100.64.7.${randomInt(1, 255)}` : `172.${16 + randomInt(16)}.${randomInt(256)}.${randomInt(1, 255)}`;
  honest.flows++;
  const refuse = (what, r) => {
    honest.refused++;
    mine.refused++;
    tally(honest.refusals, `${what} ${r.status} ${r.body?.error?.code}`);
  };
  const c = await call('POST', '/v1/sessions', { phone }, ip);
  honest.latencies.push(c.ms);
  if (c.status !== 201) return refuse('create', c);
  if (!c.body.allowed_to_request_code && c.body.requested_information.includes('proof_of_work')) {
    honest.pow++;
    mine.challenged++;
    if (hadHistory) mine.challengedAfterHistory++;
    const pow = c.body.challenge.proof_of_work;
    tally(mine.bits, pow.difficulty);
    const nonce = await solvePowOffThread(pow.challenge, pow.difficulty);
    mine.solveMs.push(powSolved.at(-1).ms);
    const p = await call('PATCH', `/v1/sessions/${c.body.id}`, { proof_of_work: nonce }, ip);
    honest.latencies.push(p.ms);
    if (p.status !== 200) return refuse('pow', p);
  }
  const s = await call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' }, ip);
  honest.latencies.push(s.ms);
  if (s.status !== 200) return refuse('send', s);
  let code;
  for (let i = 0; i < 200 && !code; i++) {
    const box = await call('GET', `/v1/dev/inbox?to=${encodeURIComponent(phone)}`, undefined, ip);
    // The text is in the person's language: the code is the one "123-456" in it.
    const m = box.body?.[0] && /(\d{3}-\d{3})/.exec(box.body[0].text);
    if (m) code = m[1].replace(/-/g, '');
    else await sleep(5);
  }
  if (!code) return refuse('inbox', { status: 0, body: { error: { code: 'no SMS' } } });
  if (randomInt(100) < HONEST_ABANDON) return tally(honest, 'abandoned');
  if (HONEST_LAG) await sleep(HONEST_LAG * 1000 * (0.5 + Math.random()));
  const v = await call('PUT', `/v1/sessions/${c.body.id}/code`, { code }, ip);
  honest.latencies.push(v.ms);
  if (v.status !== 200) return refuse('check', v);
  honest.verified++;
  mine.verified++;
  if (country === 'NG new block' && newBlock.firstVerifiedAt === null) newBlock.firstVerifiedAt = Date.now();
}

// ------------------------------------------------------------------ the run
async function schedule(rate, fn, delay = 0) {
  if (!(rate > 0)) return;
  if (delay) await sleep(delay * 1000);
  const pending = [];
  const t0 = Date.now();
  for (let i = 0; Date.now() - t0 < (DURATION - delay) * 1000; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(fn(i));
  }
  await Promise.all(pending);
}
newBlock.t0 = Date.now();
console.log(`iotpd on port ${port}; scenario ${SCENARIO}; ${DURATION} s: attack ${ATTACK_RATE} ${COUNTRY ? 'sessions' : 'req'}/s, honest ${HONEST_RATE} flows/s${PRETEND ? ', fraud_action = pretend' : ''}`);
await Promise.all([schedule(ATTACK_RATE, COUNTRY ? attackCountryOnce : attackOnce, WARMUP), schedule(HONEST_RATE, honestOnce)]);
await sleep(500); // let the worker write the last messages

// --------------------------------------------------------------- the report
// Solving time per difficulty: here, and on phones (each solve's own hash
// count at a phone's rate, so the spread of luck is the real one).
function powTable() {
  const byBits = {};
  for (const x of powSolved) (byBits[x.difficulty] ??= []).push(x);
  if (!powSolved.length) return console.log('honest proof-of-work: none asked');
  const sec = (v) => (v / 1000).toFixed(2);
  const stats = (ms) => {
    ms.sort((a, b) => a - b);
    const p = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
    return `p50 ${sec(p(0.5))} s, p99 ${sec(p(0.99))} s, max ${sec(ms.at(-1))} s`;
  };
  console.log(`honest proof-of-work solving time by difficulty (slow phone: ${PHONE_RATE} hashes/s, very slow: ${VERY_SLOW_RATE}; bench/pow-browser.mjs):`);
  for (const [bits, xs] of Object.entries(byBits)) {
    console.log(`  ${bits} bits, ${xs.length} solved: here ${stats(xs.map((x) => x.ms))}; ` +
      `slow phone ${stats(xs.map((x) => (1000 * x.hashes) / PHONE_RATE))}; ` +
      `very slow phone ${stats(xs.map((x) => (1000 * x.hashes) / VERY_SLOW_RATE))}`);
  }
}
const sent = readFileSync(path.join(dir, 'data', 'messages.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
if (COUNTRY) {
  const toAttack = sent.filter((m) => attackNumbers.has(m.to));
  const first = sent.length ? sent[0] : null;
  console.log(`\nSMS to attack numbers (messages.jsonl): ${toAttack.length} of ${attackNumbers.size} numbers tried`);
  if (SITES) {
    const bySite = {};
    for (const m of toAttack) tally(bySite, perSite[m.to]);
    console.log(`SMS per attacking /24: ${JSON.stringify(bySite)}`);
  }
  console.log(`attack: ${attack.requests} requests; outcomes:`);
  for (const [k, v] of Object.entries(attack.outcomes).sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(6)}  ${k}`);
  console.log(`attack sessions' proof-of-work bits: ${JSON.stringify(attack.bits)}`);
  console.log('\nhonest, per country:');
  for (const [c, m] of Object.entries(byCountry)) {
    const ms = m.solveMs.sort((a, b) => a - b);
    const p = (x) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(x * ms.length))].toFixed(0) : '-');
    console.log(`  ${c}: ${m.flows} flows, ${m.verified} verified, ${m.refused} refused (${((100 * m.refused) / m.flows).toFixed(2)}%), ` +
      `${m.challenged} challenged; bits ${JSON.stringify(m.bits)}; solving here p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`);
  }
  for (const [k, v] of Object.entries(honest.refusals)) console.log(`  refused: ${String(v).padStart(6)}  ${k}`);
  if (NEW_BLOCK) {
    const nb = byCountry['NG new block'];
    console.log(`new block ${NEW_BLOCK_KEY}: first verified ${newBlock.firstVerifiedAt === null ? 'never' : `${((newBlock.firstVerifiedAt - newBlock.t0) / 1000).toFixed(1)} s into the run`}; ` +
      `${nb?.challenged ?? 0} of its ${nb?.flows ?? 0} people challenged, ${nb?.challengedAfterHistory ?? 0} of them after it had a history`);
  }
  const rate = powSolved.reduce((a, x) => a + x.hashes, 0) / (powSolved.reduce((a, x) => a + x.ms, 0) / 1000 || 1);
  console.log(`solver speed here (node, one thread): ${(rate / 1e6).toFixed(2)} M hashes/s`);
  powTable();
  if (LOOKUP) console.log(`reachability lookups: ${lookups.asked} asked, ${lookups.unreachable} answered not in service${LOOKUP === 'hang' ? ' (the provider never answered)' : ''}`);
  console.log('\niotpctl fraud list:');
  console.log(execFileSync(IOTPCTL, ['--data', path.join(dir, 'data'), 'fraud', 'list']).toString().trimEnd());
  const ng = ['NG', 'NG new block'].reduce((a, c) => ({ refused: a.refused + (byCountry[c]?.refused ?? 0), flows: a.flows + (byCountry[c]?.flows ?? 0) }), { refused: 0, flows: 0 });
  ng.flows ||= 1;
  const elsewhere = ['GB', 'DE'].reduce((a, c) => a + (byCountry[c]?.challenged ?? 0), 0);
  const lat = honest.latencies.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]?.toFixed(2);
  console.log(`honest API calls: n=${lat.length} p50=${q(0.5)} ms p99=${q(0.99)} ms`);
  console.log(`\ntargets: <= 50 SMS to attack numbers: ${toAttack.length <= 50 ? 'met' : 'MISSED'} (${toAttack.length}); ` +
    `honest Nigerians refused < 1%: ${ng.refused / ng.flows < 0.01 ? 'met' : 'MISSED'} (${((100 * ng.refused) / ng.flows).toFixed(2)}%); ` +
    `nobody challenged elsewhere: ${elsewhere === 0 ? 'met' : 'MISSED'} (${elsewhere})`);
  void first;
} else {
console.log('\nSMS that went out to attacked ranges (messages.jsonl):');
console.log('range                 numbers tried   SMS sent   SMS per 1,000-number block (prefix3)');
let worst = 0;
for (const [k, r] of ATTACKED.entries()) {
  const prefix5 = `+${r.base}`.slice(0, -5);
  const mine = sent.filter((m) => m.to.startsWith(prefix5));
  const blocks = {};
  for (const m of mine) tally(blocks, m.to.slice(0, -3));
  worst = Math.max(worst, mine.length);
  console.log(`${r.name.padEnd(22)}${String(attack.next[k]).padStart(13)}${String(mine.length).padStart(11)}   ${JSON.stringify(blocks)}`);
}
console.log(`\nattack: ${attack.requests} requests; outcomes:`);
for (const [k, v] of Object.entries(attack.outcomes).sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(6)}  ${k}`);
console.log('\niotpctl fraud list:');
console.log(execFileSync(IOTPCTL, ['--data', path.join(dir, 'data'), 'fraud', 'list']).toString().trimEnd());

const lat = honest.latencies.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]?.toFixed(2);
console.log(`\nhonest: ${honest.flows} flows, ${honest.verified} verified, ${honest.refused} refused ` +
  `(${((100 * honest.refused) / honest.flows).toFixed(2)}%), ${honest.pow} asked for a proof-of-work`);
for (const [k, v] of Object.entries(honest.refusals)) console.log(`  ${String(v).padStart(6)}  ${k}`);
powTable();
console.log(`honest API calls (create, send, check): n=${lat.length} p50=${q(0.5)} ms p99=${q(0.99)} ms max=${lat.at(-1)?.toFixed(2)} ms`);
console.log(`\ntargets: <= 20 SMS per attacked range: ${worst <= 20 ? 'met' : 'MISSED'} (worst ${worst}); ` +
  `< 1% honest refusals: ${honest.refused / honest.flows < 0.01 ? 'met' : 'MISSED'}; ` +
  `honest p99 < 20 ms: ${Number(q(0.99)) < 20 ? 'met' : 'MISSED'}`);
}

agent.destroy();
for (const w of workers) await w.terminate();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
for (const res of held) res.destroy();
lookupServer?.close();
if (!KEEP_DATA) rmSync(dir, { recursive: true, force: true });
