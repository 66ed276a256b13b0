// Three iotpd nodes over one PostgreSQL database, as behind a load balancer:
// every guarantee of one node holds across them. The file starts its own
// PostgreSQL server (scripts/pg.sh; it restarts it in one test), so it runs
// the same with or without IOTP_E2E_PG.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { AuthClient } from '@supabase/auth-js';
import twilio from 'twilio';

import { cleanup, codeFromSms, freshPhone, makeDataDir, sleep, start, waitFor, wrongCode } from './helpers.mjs';
import { startReceiver } from './receiver.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PG_SH = path.resolve(here, '..', '..', 'scripts', 'pg.sh');
const KEY = `mn-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(32).toString('hex');
const JWT_SECRET = 'multi-node-jwt-secret-of-at-least-32-characters';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';

let pgDir;
let pgUrl;
let gw;
let conf;
let nodes = [];

/** Starts node i on its own data directory (the same on a restart). */
const dataDirs = [];
async function startNode(i) {
  dataDirs[i] ??= makeDataDir();
  return start(
    {
      IOTP_STORE: pgUrl,
      IOTP_SECRET: SECRET,
      IOTP_API_KEY: KEY,
      IOTP_STORE_LEASE: '2',
      IOTP_TWILIO_ACCOUNT_SID: ACCOUNT,
      IOTP_GOTRUE_JWT_SECRET: JWT_SECRET,
      IOTP_POW_IP_SESSIONS: '0',
      IOTP_SMS_DELAYS: '0,0,0',
      IOTP_MAX_CHECK_ATTEMPTS: '5',
    },
    { dataDir: dataDirs[i], args: ['--config', conf] },
  );
}

before(async () => {
  pgDir = makeDataDir('iotp-pg-');
  pgUrl = execFileSync(PG_SH, ['start', pgDir], { encoding: 'utf8' }).trim();
  gw = await startReceiver(() => ({ status: 200, body: {} }));
  conf = path.join(makeDataDir('iotp-conf-'), 'iotp.conf');
  writeFileSync(
    conf,
    `[provider gw]\ntype = http\nurl = ${gw.url}/send\nbody = to={to}&text={text}&ref={message_id}\n\n` +
      `[route default]\nsms = gw\n\n[geo]\nallow = *\n\n` +
      // One number may start 3 sessions an hour (the limit the nodes share);
      // wrong codes are bounded by the session's attempts alone.
      `[limits]\ncreate.number = 3/1h\ncheck_failed.number = 0\n`,
  );
  // All three at once: the schema is migrated once, under the advisory lock.
  nodes = await Promise.all([0, 1, 2].map(startNode));
});

after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
  try {
    execFileSync(PG_SH, ['stop', pgDir]);
  } catch {
    /* already stopped */
  }
  await gw?.close();
  await cleanup();
});

/** What the gateway was given for phone (every node hands over to it). */
const sentTo = (phone) => gw.requests.filter((r) => new URLSearchParams(r.body).get('to') === phone);

async function codeOf(phone, count = 1) {
  await waitFor(() => sentTo(phone).length >= count, { timeoutMs: 8000 });
  const all = sentTo(phone);
  assert.ok(all.length >= count, `an SMS reached ${phone}`);
  return codeFromSms(new URLSearchParams(all[all.length - 1].body).get('text'));
}

async function sendCode(node, phone) {
  const c = await node.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await node.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  assert.equal(s.status, 200, s.text);
  return c.body.id;
}

test('the nodes migrated one schema together and share it', async () => {
  const out = execFileSync('psql', ['-At', '-c', 'SELECT count(*), min(version) FROM iotp_schema', pgUrl], {
    encoding: 'utf8',
  });
  const [rows, version] = out.trim().split('|').map(Number);
  assert.equal(rows, 1);
  assert.ok(version >= 1);
  for (const n of nodes) assert.match(n.stderr, /store: postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(postgres\)/);
});

test('a code asked for on one node is checked on another, and the session is spent once', async () => {
  const phone = freshPhone();
  const id = await sendCode(nodes[0], phone);
  const code = await codeOf(phone);
  const r = await nodes[1].call('PUT', `/v1/sessions/${id}/code`, { code });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.verified, true);
  const again = await nodes[2].call('PUT', `/v1/sessions/${id}/code`, { code });
  assert.equal(again.status, 409, again.text);
  assert.equal(again.body.error.code, 'already_verified');
});

test('100 parallel wrong guesses spread over the nodes count exactly max_check_attempts', async () => {
  const phone = freshPhone();
  const id = await sendCode(nodes[2], phone);
  const code = await codeOf(phone);
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      nodes[i % 3].call('PUT', `/v1/sessions/${id}/code`, { code: wrongCode(code, i + 1) }),
    ),
  );
  const by = (s) => results.filter((r) => r.status === s).length;
  assert.equal(by(400), 5, JSON.stringify(results.map((r) => r.status)));
  assert.equal(by(429), 95);
  for (const r of results.filter((x) => x.status === 429)) assert.equal(r.body.error.code, 'attempts_exhausted');
  // Even the right code is refused now, on every node.
  const right = await nodes[0].call('PUT', `/v1/sessions/${id}/code`, { code });
  assert.equal(right.status, 429);
});

test('a limit used up through one node refuses on the others', async () => {
  const phone = freshPhone();
  for (let i = 0; i < 3; i++) assert.equal((await nodes[0].call('POST', '/v1/sessions', { phone })).status, 201);
  for (const n of [nodes[1], nodes[2]]) {
    const r = await n.call('POST', '/v1/sessions', { phone });
    assert.equal(r.status, 429, r.text);
    assert.equal(r.body.error.code, 'rate_limited_number');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  }
});

test('every message queued on any node reaches the gateway exactly once', async () => {
  const before = gw.requests.length;
  const phones = Array.from({ length: 30 }, () => freshPhone());
  await Promise.all(phones.map((p, i) => sendCode(nodes[i % 3], p)));
  await waitFor(() => phones.every((p) => sentTo(p).length >= 1), { timeoutMs: 10000 });
  await sleep(1500); // time for a duplicate, were there one
  for (const p of phones) assert.equal(sentTo(p).length, 1, `${p} got its code once`);
  const refs = gw.requests.slice(before).map((r) => new URLSearchParams(r.body).get('ref'));
  assert.equal(new Set(refs).size, refs.length);
});

test('Twilio Verify requests spread over the nodes: service on one, send on another, check on the third', async () => {
  const clients = nodes.map((n) => {
    class Loopback extends twilio.RequestClient {
      request(opts) {
        return super.request({ ...opts, uri: opts.uri.replace(/^https:\/\/verify\.twilio\.com/, n.base) });
      }
    }
    return twilio(ACCOUNT, KEY, { httpClient: new Loopback() });
  });
  const service = await clients[0].verify.v2.services.create({ friendlyName: 'multi-node' });
  const phone = freshPhone();
  const v = await clients[1].verify.v2.services(service.sid).verifications.create({ to: phone, channel: 'sms' });
  assert.equal(v.status, 'pending');
  const code = await codeOf(phone);
  const check = await clients[2].verify.v2.services(service.sid).verificationChecks.create({ to: phone, code });
  assert.equal(check.status, 'approved');
  const fetched = await clients[0].verify.v2.services(service.sid).verifications(v.sid).fetch();
  assert.equal(fetched.status, 'approved');
});

test('GoTrue sign-in spread over the nodes: OTP on one, verify on another, refresh on the third', async () => {
  const auth = (n) =>
    new AuthClient({ url: `${n.base}/auth/v1`, headers: { apikey: KEY }, persistSession: false, autoRefreshToken: false });
  const phone = freshPhone();
  assert.equal((await auth(nodes[0]).signInWithOtp({ phone })).error, null);
  const token = await codeOf(phone);
  const { data, error } = await auth(nodes[1]).verifyOtp({ phone, token, type: 'sms' });
  assert.equal(error, null, String(error));
  const refreshed = await auth(nodes[2]).refreshSession({ refresh_token: data.session.refresh_token });
  assert.equal(refreshed.error, null, String(refreshed.error));
  // The old refresh token was rotated away on every node.
  const reused = await auth(nodes[0]).refreshSession({ refresh_token: data.session.refresh_token });
  assert.ok(reused.error);
});

test('a node killed under load loses no verified session and no queued message', async () => {
  const phones = Array.from({ length: 24 }, () => freshPhone());
  const ids = [];
  // Sends through the node about to die and the others, while it dies.
  const sends = phones.map(async (p, i) => {
    const n = nodes[i % 3];
    const c = await n.call('POST', '/v1/sessions', { phone: p });
    if (c.status !== 201) return;
    const s = await n.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' }).catch(() => null);
    if (s?.status === 200) ids.push({ id: c.body.id, phone: p });
  }).map((p) => p.catch(() => {})); // a request to the dying node may fail: not counted
  await sleep(20);
  await nodes[2].kill();
  await Promise.all(sends);
  // Every send the API accepted reaches the gateway once, from a living node,
  // but one whose hand-over the dying node had announced and not yet made:
  // that one is never sent twice, and its timeline says so (docs/delivery.md,
  // "at most once").
  await waitFor(() => ids.every(({ phone }) => sentTo(phone).length >= 1), { timeoutMs: 15000 });
  const sent = [];
  for (const [i, x] of ids.entries()) {
    const n = sentTo(x.phone).length;
    if (n === 1) {
      sent.push(x);
      continue;
    }
    assert.equal(n, 0, `${x.phone} got its code once, not ${n} times`);
    let m;
    await waitFor(async () => (m = (await nodes[i % 2].call('GET', `/v1/sessions/${x.id}`)).body.timeline?.[0])?.status === 'submitted');
    assert.deepEqual(m.hand_overs.map((h) => h.outcome), ['unknown'], `${x.phone}: ${JSON.stringify(m)}`);
    assert.match([m.error, ...m.hand_overs.map((h) => h.error)].join(' '), /not sent again/);
  }
  assert.ok(sent.length >= ids.length - 2, `the hand-overs cut by the kill are few: ${ids.length - sent.length} of ${ids.length}`);
  // Each sent one verifies on a living node.
  for (const [i, { id, phone }] of sent.entries()) {
    const code = await codeOf(phone);
    const r = await nodes[i % 2].call('PUT', `/v1/sessions/${id}/code`, { code });
    assert.equal(r.status, 200, r.text);
  }
  nodes[2] = await startNode(2);
});

test('PostgreSQL restarting under load: clean 503s, then service again without restarting iotpd', async () => {
  execFileSync(PG_SH, ['stop', pgDir]);
  const during = [];
  for (let i = 0; i < 9; i++) during.push(await nodes[i % 3].call('POST', '/v1/sessions', { phone: freshPhone() }));
  for (const r of during) {
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.error.code, 'store_unavailable');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  }
  execFileSync(PG_SH, ['start', pgDir]);
  // Each node comes back by itself (its backoff is at most 5 s).
  for (const n of nodes) {
    let r;
    await waitFor(async () => (r = await n.call('POST', '/v1/sessions', { phone: freshPhone() })).status === 201, {
      timeoutMs: 15000,
      intervalMs: 200,
    });
    assert.equal(r.status, 201, r.text);
  }
  // And a whole flow works again across them.
  const phone = freshPhone();
  const id = await sendCode(nodes[0], phone);
  const code = await codeOf(phone);
  assert.equal((await nodes[1].call('PUT', `/v1/sessions/${id}/code`, { code })).status, 200);
});
