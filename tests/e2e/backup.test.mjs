// iotpctl backup and restore (issue 16): a backup taken while clients keep
// verifying numbers, restored on a fresh data directory with the old secret,
// serves the sessions made before it (codes still verify); a restore never
// pulls the data from under a running iotpd; PostgreSQL gets pg_dump advice.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

import { IOTPD, cleanup, codeFromSms, freshPhone, makeDataDir, start } from './helpers.mjs';

const run = promisify(execFile);
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

after(cleanup);

async function ctl(...args) {
  try {
    const r = await run(IOTPCTL, ['--dev', ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('backup under load, restore on a fresh directory, the data is there', async () => {
  // The store is the SQLite file under the data directory, in the PostgreSQL
  // pass too: this is SQLite's backup (PostgreSQL's advice is tested below).
  const env = { IOTP_LIMITS: 'off', IOTP_POW_IP_SESSIONS: '0' };
  const sqlite = (dir) => ({ ...env, IOTP_STORE: `sqlite:${dir}/iotp.db` });
  const first = makeDataDir();
  const srv = await start(sqlite(first), { dataDir: first });
  // Sessions with a code sent, made before the backup: each must come back.
  const before = [];
  for (let i = 0; i < 5; i++) {
    const phone = freshPhone();
    const c = await srv.call('POST', '/v1/sessions', { phone });
    assert.equal(c.status, 201);
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).status, 200);
    const [sms] = await srv.waitInbox(phone);
    before.push({ id: c.body.id, code: codeFromSms(sms.text) });
  }
  // Eight clients keep writing while the backup runs.
  let running = true;
  const statuses = [];
  const client = async () => {
    while (running) {
      const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() }, { keepAlive: true });
      statuses.push(c.status);
      if (c.status === 201)
        statuses.push((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' }, { keepAlive: true })).status);
    }
  };
  const clients = Array.from({ length: 8 }, client);
  const file = path.join(makeDataDir('iotp-backup-'), 'iotp-backup.db');
  const b = await ctl('--data', srv.dataDir, 'backup', file);
  running = false;
  await Promise.all(clients);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /^backed up .*iotp\.db to .*iotp-backup\.db: (\d+) sessions, 0 accounts$/m);
  assert.match(b.stdout, /keep the server secret with it/);
  assert.ok(Number(/: (\d+) sessions/.exec(b.stdout)[1]) >= before.length);
  assert.ok(statuses.length > 0);
  assert.deepEqual(statuses.filter((s) => s !== 200 && s !== 201), [], 'the backup made requests fail');
  assert.equal(existsSync(`${file}-wal`), false, 'the backup is not one self-contained file');
  // A second backup never overwrites the first.
  const again = await ctl('--data', srv.dataDir, 'backup', file);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists; a backup never overwrites/);
  await srv.stop();

  // A new machine: an empty directory, the old secret, the backup.
  const fresh = makeDataDir();
  copyFileSync(path.join(srv.dataDir, 'secret'), path.join(fresh, 'secret'));
  const r = await ctl('--data', fresh, 'restore', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^restored .* into .*iotp\.db: \d+ sessions, 0 accounts$/m);
  const back = await start(sqlite(fresh), { dataDir: fresh });
  for (const s of before) {
    const g = await back.call('GET', `/v1/sessions/${s.id}`);
    assert.equal(g.status, 200, `session ${s.id} is not in the restored store`);
    const v = await back.call('PUT', `/v1/sessions/${s.id}/code`, { code: s.code });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.verified, true);
  }
  // ... and never under a running server.
  const busy = await ctl('--data', fresh, 'restore', file);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /iotp\.db is in use .*: stop iotpd first/);
  assert.equal((await back.call('GET', `/v1/sessions/${before[0].id}`)).status, 200);
  await back.stop();
});

test('a missing store, a bad backup file, and PostgreSQL are said plainly', async () => {
  const dir = makeDataDir();
  const missing = await ctl('--data', path.join(dir, 'nowhere'), 'backup', path.join(dir, 'b.db'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no iotp database at .*nowhere\/iotp\.db/);
  assert.equal(existsSync(path.join(dir, 'b.db')), false);
  assert.equal(existsSync(path.join(dir, 'nowhere')), false);

  const junk = path.join(dir, 'junk.db');
  copyFileSync(IOTPCTL, junk);
  const bad = await ctl('--data', path.join(dir, 'target'), 'restore', junk);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /junk\.db is not an iotp backup that checks out/);
  assert.equal(existsSync(path.join(dir, 'target', 'iotp.db')), false);

  const pg = await ctl('--store', 'postgres://iotp@db.internal/iotp', 'backup', path.join(dir, 'p.db'));
  assert.equal(pg.code, 2);
  assert.match(pg.stderr, /the store is PostgreSQL: back it up with PostgreSQL's own tools/);
  assert.match(pg.stderr, /pg_dump --format=custom/);
  const pgr = await ctl('--store', 'postgres://iotp@db.internal/iotp', 'restore', junk);
  assert.match(pgr.stderr, /pg_restore/);
});
