// callback_listen: delivery reports on a listener of their own. With real
// Kannel (fake SMSC) on the same address as the API client, and the API's
// per-address allowance (max_connections_per_ip = 4) all held by the test,
// Kannel's reports still arrive through the callback listener and mark the
// code delivered. The API listener no longer serves /v1/dlr/*, and the
// callback listener serves nothing else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { cleanup, freshPhone, httpRequest, makeDataDir, rawConnect, runIotpd, startWithConfig, waitFor } from './helpers.mjs';
import { iotpConfigFor, reportToken, startKannel } from './kannel.mjs';

const SECRET = 'kannel-callback-secret-0123456789';
const PER_IP = 4;
let kannel;
let srv;
let reportsBase;

before(async () => {
  kannel = await startKannel();
  srv = await startWithConfig(
    iotpConfigFor(kannel, {
      head: `max_connections_per_ip = ${PER_IP}\nhttp_timeout = 60\ncallback_listen = 127.0.0.1:0\n`,
      secret: SECRET,
    }),
  );
  const m = /delivery reports on (http:\/\/127\.0\.0\.1:\d+)/.exec(srv.stdout);
  assert.ok(m, `iotpd says where reports go:\n${srv.stdout}`);
  reportsBase = m[1];
  assert.notEqual(reportsBase, srv.base);
});

after(async () => {
  await srv?.stop();
  await kannel?.stop();
  await cleanup();
});

/** A request on a held raw connection; JSON in and out. */
async function on(conn, method, urlPath, body) {
  const headers = { Authorization: `Bearer ${srv.apiKey}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await conn.request(httpRequest(method, urlPath, { headers, body: body === undefined ? '' : JSON.stringify(body) }));
  assert.ok(r, `${method} ${urlPath}: the held connection was closed`);
  return r;
}

describe('callback_listen: delivery reports apart from the API', () => {
  test("Kannel's reports arrive while the API's per-address allowance is all taken", async () => {
    const held = [];
    try {
      // Take every connection 127.0.0.1 may hold on the API listener, each
      // proven counted by a request on it.
      for (let i = 0; i < PER_IP; i++) {
        const c = await rawConnect(srv.port);
        held.push(c);
        assert.equal((await on(c, 'GET', '/healthz')).status, 200);
      }
      const api = held[0];
      const phone = freshPhone();
      const s = await on(api, 'POST', '/v1/sessions', { phone });
      assert.equal(s.status, 201, s.text);
      const send = await on(api, 'POST', `/v1/sessions/${s.body.id}/code`, { channel: 'sms' });
      assert.equal(send.status, 200, send.text);
      const sms = await kannel.waitMessage((r) => r.to === phone);
      assert.ok(sms, 'the fake SMSC got the code');

      // Kannel's "delivered" report comes from 127.0.0.1 as well: only the
      // callback listener can take it.
      let t;
      await waitFor(async () => (t = (await on(api, 'GET', `/v1/sessions/${s.body.id}`)).body.timeline)[0]?.status === 'delivered', {
        timeoutMs: 8000,
      });
      assert.equal(t[0].status, 'delivered', JSON.stringify(t));
      assert.ok(t[0].final_at);

      // The allowance was held all along: one more connection is refused.
      const extra = await rawConnect(srv.port);
      held.push(extra);
      const refused = await extra.request(httpRequest('GET', '/healthz'));
      assert.equal(refused?.status, 429, refused?.text);
      assert.equal(refused.body.error.code, 'too_many_connections');

      // The API listener no longer serves reports, even authentic ones.
      const mid = t[0].id;
      const dlr = await on(api, 'GET', `/v1/dlr/kannel-a?m=${mid}&t=${reportToken(SECRET, mid)}&type=1`);
      assert.equal(dlr.status, 404, dlr.text);
      assert.equal(dlr.body.error.code, 'not_found');
    } finally {
      await Promise.all(held.map((c) => c.close()));
    }
  });

  test('the callback listener serves delivery reports and nothing else', async () => {
    const get = (p, init = {}) => fetch(reportsBase + p, { ...init, headers: { connection: 'close', ...init.headers } });
    let r = await get('/healthz');
    assert.equal(r.status, 404);
    r = await get('/v1/sessions', {
      method: 'POST',
      headers: { authorization: `Bearer ${srv.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phone: freshPhone() }),
    });
    assert.equal(r.status, 404);
    assert.equal((await r.json()).error.code, 'not_found');
    r = await get('/v1/dev/inbox');
    assert.equal(r.status, 404);
    // Reports are still authenticated there: a forged one is refused.
    r = await get(`/v1/dlr/kannel-a?m=x&t=${'0'.repeat(32)}&type=1`);
    assert.equal(r.status, 403);
    assert.equal((await r.json()).error.code, 'report_forged');
  });

  test('an address that cannot be taken stops start-up naming callback_listen', async () => {
    const taken = new URL(reportsBase).host;
    const r = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], {
      IOTP_CALLBACK_LISTEN: taken,
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /option callback_listen \(IOTP_CALLBACK_LISTEN\): 127\.0\.0\.1:\d+ is in use by another program/);
    const bad = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], {
      IOTP_CALLBACK_LISTEN: 'reports.internal:8081',
    });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /option callback_listen \(IOTP_CALLBACK_LISTEN\): 'reports\.internal:8081' needs a numeric address/);
  });

  test('both listeners stop cleanly', async () => {
    const r = await srv.stop();
    assert.equal(r.code, 0, srv.stderr);
    srv = null;
  });
});
