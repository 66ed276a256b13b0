// Moving a SQLite deployment to PostgreSQL (docs/deploy.md): `iotpctl copy`
// fills an empty PostgreSQL store with every table, all or nothing; iotpd then
// starts on PostgreSQL with the same secret and carries on where it stopped —
// the account's device still signs in, a code sent before the move still
// verifies, the timeline is whole. It refuses a target that holds data unless
// told to replace it. Against a real PostgreSQL server: IOTP_E2E_PG's or
// IOTP_TEST_PG's (scripts/test.sh), else one started here (scripts/pg.sh), so
// the file runs the same in every pass.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { IOTPD, cleanup, codeFromSms, freshPhone, makeDataDir, start } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PG_SH = path.resolve(here, '..', '..', 'scripts', 'pg.sh');
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');
const SECRET = randomBytes(32).toString('hex');
const KEY = `copy-${randomBytes(12).toString('hex')}`;

let pgDir; // set when this file started its own server
let server;
let target;
let schema;

/** Runs psql on the server (as its superuser). */
const psql = (sql) =>
  execFileSync('psql', ['-Atq', '-v', 'ON_ERROR_STOP=1', '-c', sql, server], { encoding: 'utf8' }).trim();

/** iotpctl with args: {code, stdout, stderr}. */
async function ctl(...args) {
  try {
    const { stdout, stderr } = await promisify(execFile)(IOTPCTL, args);
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

before(() => {
  server = process.env.IOTP_E2E_PG || process.env.IOTP_TEST_PG || '';
  if (!server) {
    pgDir = makeDataDir('iotp-pg-');
    server = execFileSync(PG_SH, ['start', pgDir], { encoding: 'utf8' }).trim();
  }
  schema = `copy_${randomBytes(6).toString('hex')}`;
  psql(`CREATE SCHEMA ${schema}`);
  target = `${server}${server.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`;
});

after(async () => {
  await cleanup();
  try {
    psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } catch {
    /* the server may be gone */
  }
  if (pgDir) execFileSync(PG_SH, ['stop', pgDir]);
});

/** Counts per table from copy's output ("sessions  2"). */
function counts(stdout) {
  const out = {};
  for (const m of stdout.matchAll(/^(\w+)\s+(\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

test('a SQLite deployment copied into PostgreSQL carries on there', async () => {
  const dataDir = makeDataDir();
  const lite = `sqlite:${dataDir}/iotp.db`;
  const env = { IOTP_SECRET: SECRET, IOTP_API_KEY: KEY, IOTP_POW_IP_SESSIONS: '0', IOTP_SMS_DELAYS: '0,0,0' };

  // On SQLite: an account registered on a verified number, and a second
  // session whose code was sent but not yet checked.
  let srv = await start({ ...env, IOTP_STORE: lite }, { dataDir });
  const phone = freshPhone();
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status, 200);
  const code = codeFromSms((await srv.waitInbox(phone, 1))[0].text);
  assert.equal((await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code })).status, 200);
  const reg = await srv.call('POST', '/v1/accounts', { session_id: c.body.id, device: { name: 'phone' } });
  assert.equal(reg.status, 201, reg.text);
  const cred = reg.body.credential;
  const other = freshPhone();
  const p = await srv.call('POST', '/v1/sessions', { phone: other });
  assert.equal(p.status, 201, p.text);
  assert.equal((await srv.call('POST', `/v1/sessions/${p.body.id}/code`, {})).status, 200);
  const pending = codeFromSms((await srv.waitInbox(other, 1))[0].text);
  const timeline = (await srv.call('GET', `/v1/sessions/${c.body.id}`)).body.timeline;
  assert.equal((await srv.stop()).code, 0);

  // The copy: every table, with its rows counted.
  const first = await ctl('--store', lite, 'copy', '--to', target);
  assert.equal(first.code, 0, first.stderr);
  const n = counts(first.stdout);
  assert.equal(n.sessions, 2, first.stdout);
  assert.equal(n.messages, 2);
  assert.equal(n.accounts, 1);
  assert.ok(n.message_attempts >= 2, first.stdout);
  assert.ok(n.buckets > 0, 'the rate-limit buckets move too');
  const total = Object.values(n).reduce((a, b) => a + b, 0);
  assert.match(first.stdout, new RegExp(`^copied ${total} rows into postgresql://`, 'm'));
  assert.equal(Number(psql(`SELECT count(*) FROM ${schema}.sessions`)), 2);

  // Again: the target holds data now, so nothing is copied unless told.
  const again = await ctl('--store', lite, 'copy', '--to', target);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds data \(tables .*sessions.*\): nothing was copied\. .*--replace/);
  assert.equal(Number(psql(`SELECT count(*) FROM ${schema}.sessions`)), 2);
  const replaced = await ctl('--store', lite, 'copy', '--to', target, '--replace');
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.deepEqual(counts(replaced.stdout), n);

  // iotpd on PostgreSQL, the same secret: it carries on.
  srv = await start({ ...env, IOTP_STORE: target }, { dataDir });
  assert.match(srv.stderr, /\(postgres\)/);
  const me = await srv.call('GET', '/v1/accounts/me', undefined, {
    auth: false,
    headers: { authorization: `Device ${cred}` },
  });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.account.phone, phone);
  const v = await srv.call('PUT', `/v1/sessions/${p.body.id}/code`, { code: pending });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.body.verified, true);
  assert.deepEqual((await srv.call('GET', `/v1/sessions/${c.body.id}`)).body.timeline, timeline);
  // New rows after the copy: a new message is numbered after the copied ones.
  const fresh = await srv.call('POST', '/v1/sessions', { phone: other });
  assert.equal(fresh.status, 201, fresh.text);
  assert.equal((await srv.call('POST', `/v1/sessions/${fresh.body.id}/code`, {})).status, 200);
  await srv.waitInbox(other, 1);
  assert.equal((await srv.stop()).code, 0);

  // iotpctl reads the moved deployment read-only from PostgreSQL.
  const shown = await ctl('--store', target, 'number', other);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout.match(/^session /gm).length, 2, shown.stdout);
});

test('copy names what is wrong: no SQLite source, no target, a missing file', async () => {
  const fromPg = await ctl('--store', target, 'copy', '--to', target);
  assert.equal(fromPg.code, 1);
  assert.match(fromPg.stderr, /is no SQLite store: copy moves a SQLite deployment/);
  const noTo = await ctl('--store', 'sqlite:/nonexistent/iotp.db', 'copy');
  assert.equal(noTo.code, 2);
  assert.match(noTo.stderr, /copy needs --to postgres:\/\//);
  const missing = await ctl('--store', `sqlite:${makeDataDir()}/iotp.db`, 'copy', '--to', target);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /iotp\.db/);
});
