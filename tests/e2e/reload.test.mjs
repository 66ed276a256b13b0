// SIGHUP re-reads the templates and the routes (issue 16) without dropping a
// request: clients keep verifying through several reloads, every request
// succeeds, and the messages sent after a reload use the new template and
// route. A configuration that does not load leaves the old one in force.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, startWithConfig, waitFor } from './helpers.mjs';

after(cleanup);

const conf = (version, route, extra = '') => `
[provider a]
type = log
[provider b]
type = log
[route default]
sms = ${route}
[templates]
sms.en = Your {app} code: {code}. Version ${version}.
${extra}`;

/** The provider that carried the last message to phone (the admin timeline). */
async function providerOf(srv, phone) {
  const r = await srv.call('GET', `/v1/admin/numbers/${encodeURIComponent(phone)}`, undefined, { auth: 'dev-admin' });
  assert.equal(r.status, 200, r.text);
  const msgs = r.body.sessions.flatMap((s) => s.messages);
  return msgs.map((m) => m.provider).find((p) => p);
}

/** Sends a code to a fresh number and returns {phone, text} of its SMS. */
async function sendOne(srv) {
  const phone = freshPhone();
  const c = await srv.call('POST', '/v1/sessions', { phone, locale: 'en' });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  assert.equal(s.status, 200, s.text);
  const [sms] = await srv.waitInbox(phone);
  return { phone, id: c.body.id, text: sms.text };
}

/** Counts reload lines in the log: {ok, failed}. */
function reloads(srv) {
  return {
    ok: (srv.stderr.match(/SIGHUP: templates and routes re-read/g) || []).length,
    failed: (srv.stderr.match(/SIGHUP: .*the templates and routes in force are unchanged/g) || []).length,
  };
}

test('reloads under load: no request fails, the new template and route are used after', async () => {
  const srv = await startWithConfig(conf('one', 'a'), { IOTP_LIMITS: 'off', IOTP_POW_IP_SESSIONS: '0' }, { dev: true });
  const first = await sendOne(srv);
  assert.match(first.text, /Version one\.$/);
  assert.equal(await providerOf(srv, first.phone), 'a');

  // Eight clients verify numbers in a loop while the configuration is
  // rewritten and SIGHUP sent five times.
  let running = true;
  const statuses = [];
  const client = async () => {
    while (running) {
      const phone = freshPhone();
      const c = await srv.call('POST', '/v1/sessions', { phone }, { keepAlive: true });
      statuses.push(c.status);
      if (c.status !== 201) continue;
      const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' }, { keepAlive: true });
      statuses.push(s.status);
      const g = await srv.call('GET', `/v1/sessions/${c.body.id}`, undefined, { keepAlive: true });
      statuses.push(g.status);
    }
  };
  const clients = Array.from({ length: 8 }, client);
  for (let i = 1; i <= 5; i++) {
    writeFileSync(srv.configFile, conf(i === 5 ? 'two' : `one.${i}`, i % 2 ? 'b' : 'a'));
    srv.child.kill('SIGHUP');
    assert.ok(await waitFor(() => reloads(srv).ok === i, { timeoutMs: 5000 }), srv.stderr);
    // Some requests complete between two reloads.
    const seen = statuses.length;
    await waitFor(() => statuses.length >= seen + 8, { timeoutMs: 5000 });
  }
  running = false;
  await Promise.all(clients);
  assert.ok(statuses.length >= 40, `only ${statuses.length} requests`);
  assert.deepEqual(
    statuses.filter((s) => s !== 200 && s !== 201),
    [],
    'a request failed during a reload',
  );

  const after = await sendOne(srv);
  assert.match(after.text, /^Your iotp code: [\d-]+\. Version two\.$/);
  assert.equal(await providerOf(srv, after.phone), 'b');
  // A code sent before the reloads still verifies.
  const v = await srv.call('PUT', `/v1/sessions/${first.id}/code`, { code: codeFromSms(first.text) });
  assert.equal(v.status, 200);
  assert.equal(v.body.verified, true);
  assert.equal((await srv.stop()).code, 0);
});

test('a configuration that does not load changes nothing, and says why', async () => {
  const srv = await startWithConfig(conf('one', 'a'), {}, { dev: true });
  // A placeholder no template has.
  writeFileSync(srv.configFile, conf('{nombre}', 'b'));
  srv.child.kill('SIGHUP');
  assert.ok(await waitFor(() => reloads(srv).failed === 1), srv.stderr);
  assert.match(srv.stderr, /SIGHUP: .*\{nombre\}.*; the templates and routes in force are unchanged/);
  // A provider that was not there at start.
  writeFileSync(srv.configFile, conf('two', 'c', '[provider c]\ntype = log\n'));
  srv.child.kill('SIGHUP');
  assert.ok(await waitFor(() => reloads(srv).failed === 2), srv.stderr);
  assert.match(srv.stderr, /provider c is new; providers are opened at start-up only, so restart iotpd to add it/);
  // A route naming no provider.
  writeFileSync(srv.configFile, conf('two', 'zz'));
  srv.child.kill('SIGHUP');
  assert.ok(await waitFor(() => reloads(srv).failed === 3), srv.stderr);
  assert.match(srv.stderr, /no \[provider zz\] section/);

  const m = await sendOne(srv);
  assert.match(m.text, /Version one\.$/);
  assert.equal(await providerOf(srv, m.phone), 'a');
  assert.equal(reloads(srv).ok, 0);
  assert.equal((await srv.stop()).code, 0);
});
