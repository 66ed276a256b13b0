// iotpctl, the operator's command line, read beside a running iotpd: the
// support view of "I never got my code".
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { IOTPD, cleanup, codeFromSms, freshPhone, start } from './helpers.mjs';

const run = promisify(execFile);
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

let srv;
before(async () => {
  srv = await start();
});
after(cleanup);

async function ctl(...args) {
  try {
    // The server runs with --dev: read its configuration the same way.
    const r = await run(IOTPCTL, ['--dev', ...srv.storeArgs, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--help lists the commands', async () => {
  const r = await run(IOTPCTL, ['--help']);
  for (const word of ['number', 'session', 'stats', '--data']) assert.match(r.stdout, new RegExp(word));
});

test('number shows each session and its messages, in any typing of the number', async () => {
  const phone = freshPhone();
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201);
  assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).status, 200);
  const [sms] = await srv.waitInbox(phone, 1);
  assert.ok(sms);
  assert.equal((await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(sms.text) })).status, 200);

  const spaced = phone.replace(/^\+44(\d{4})(\d+)$/, '+44 $1 $2');
  const r = await ctl('number', spaced);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`session ${c.body.id}`));
  assert.match(r.stdout, /sms=1 voice=0 checks=1 verified=\d{4}-/);
  assert.match(r.stdout, /sms\s+via log\s+submitted\s+attempts=1/);
  // Each check with its time (the store's notes of the number).
  assert.match(r.stdout, new RegExp(`checks and limits hit, newest first:\\n  \\d{4}-\\S+ +check\\.right +session ${c.body.id}`));
  // The support view never shows the code.
  assert.doesNotMatch(r.stdout, new RegExp(codeFromSms(sms.text)));
});

test('session and stats; unknown ids and bad numbers fail with a reason', async () => {
  const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
  const r = await ctl('session', c.body.id);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sms=0 voice=0 checks=0 verified=-/);
  const st = await ctl('stats');
  assert.equal(st.code, 0);
  assert.match(st.stdout, /^sessions \d+$/m);
  const missing = await ctl('session', 'no-such-session');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no session no-such-session/);
  const bad = await ctl('number', '07400 123456');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /country code/);
  const unknown = await ctl('frobnicate');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
});

// Issue 16: run from the wrong folder or with a wrong --data, iotpctl used to
// create and migrate a new database there and print zeros with exit code 0.
test('iotpctl refuses a missing database, names the path, and creates nothing', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'iotpctl-none-'));
  const wrong = path.join(empty, 'not-here');
  for (const args of [['stats'], ['number', '+447700900123'], ['fraud', 'list'], ['fraud', 'unblock', 'x']]) {
    let r;
    try {
      r = await run(IOTPCTL, ['--dev', '--data', wrong, ...args]);
      r.code = 0;
    } catch (e) {
      r = e;
    }
    assert.notEqual(r.code, 0, `${args.join(' ')} must fail`);
    assert.match(r.stderr, new RegExp(`no iotp database at ${wrong}/iotp\\.db`), r.stderr);
    assert.match(r.stderr, /--data/);
  }
  // Nothing was created: neither the directory nor a database file.
  assert.deepEqual(fs.readdirSync(empty), []);
  // The same through --store.
  try {
    await run(IOTPCTL, ['--dev', '--store', `sqlite:${empty}/x.db`, 'stats']);
    assert.fail('must fail');
  } catch (e) {
    assert.match(e.stderr, new RegExp(`no iotp database at ${empty}/x\\.db`));
  }
  assert.deepEqual(fs.readdirSync(empty), []);
  fs.rmSync(empty, { recursive: true });
});

test('iotpctl reads a live database read-only and says newest session first', async () => {
  const help = await run(IOTPCTL, ['--help']);
  assert.match(help.stdout, /newest session first/);
  assert.doesNotMatch(help.stdout, /recent sessions and every message sent for them,\s+oldest/);
  const st = await ctl('stats');
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /^sessions \d+/m);
});
