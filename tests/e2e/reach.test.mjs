// Reachability lookup before sending (docs/fraud.md, "Reachability lookup"):
// a number the provider says is not in service gets no code; anything the
// provider fails to answer sends anyway. The provider is a real HTTP server
// this test starts on loopback, answering per number.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { cleanup, freshPhone, makeDataDir, runIotpd, start } from './helpers.mjs';

after(cleanup);

/** The lookup provider: answers by the number's last digits. */
const asked = []; // {phone, auth}
const held = [];
const provider = http.createServer((req, res) => {
  const phone = decodeURIComponent(req.url.split('/').pop());
  asked.push({ phone, auth: req.headers.authorization });
  const end = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
  if (phone.endsWith('1')) return end(200, '{"reachable": false, "status": "not_in_service"}');
  if (phone.endsWith('2')) return held.push(res); // never answers: past the timeout
  if (phone.endsWith('3')) return end(500, '{"error": "down"}');
  if (phone.endsWith('4')) return end(200, 'not json');
  return end(200, '{"reachable": true}');
});
let base;
before(async () => {
  await new Promise((r) => provider.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${provider.address().port}`;
});
after(() => {
  for (const res of held) res.destroy();
  provider.close();
});

/** A fresh GB mobile number ending in digit d. */
const ending = (d) => freshPhone().slice(0, -1) + d;

async function send(srv, phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  return srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
}

describe('reachability lookup before sending', () => {
  let srv;
  before(async () => {
    srv = await start({
      IOTP_REACH_PROVIDER: 'http',
      IOTP_REACH_URL: `${base}/lookup/{phone}`,
      IOTP_REACH_HEADER: 'Authorization: Bearer lookup-key',
      IOTP_REACH_TIMEOUT_MS: '2000',
    });
  });

  test('a number the provider says is not in service gets no code: 422 number_unreachable, nothing sent', async () => {
    const phone = ending(1);
    const s = await send(srv, phone);
    assert.equal(s.status, 422, s.text);
    assert.equal(s.body.error.code, 'number_unreachable');
    assert.match(s.body.error.message, /not in service/);
    assert.equal((await srv.inbox(phone)).length, 0, 'no SMS queued');
    const q = asked.filter((a) => a.phone === phone);
    assert.equal(q.length, 1, 'asked once, with the number in E.164');
    assert.equal(q[0].auth, 'Bearer lookup-key', 'with reach_header');
    // The answer is cached: a second session for the number asks nothing.
    assert.equal((await send(srv, phone)).status, 422);
    assert.equal(asked.filter((a) => a.phone === phone).length, 1);
  });

  test('a number in service gets its code', async () => {
    const phone = ending(5);
    const s = await send(srv, phone);
    assert.equal(s.status, 200, s.text);
    await srv.waitInbox(phone, 1);
  });

  for (const [d, what] of [[2, 'no answer within reach_timeout_ms'], [3, 'an HTTP error'], [4, 'an answer that is not JSON']]) {
    test(`fail open: ${what} sends the code anyway`, async () => {
      const phone = ending(d);
      const s = await send(srv, phone);
      assert.equal(s.status, 200, s.text);
      await srv.waitInbox(phone, 1);
      assert.ok(asked.some((a) => a.phone === phone), 'the provider was asked');
    });
  }

  test('fail open: a provider that cannot be reached sends the code anyway', async () => {
    const down = await start({ IOTP_REACH_PROVIDER: 'http', IOTP_REACH_URL: 'http://127.0.0.1:9/{phone}', IOTP_REACH_TIMEOUT_MS: '300' });
    const phone = ending(1);
    const s = await send(down, phone);
    assert.equal(s.status, 200, s.text);
    await down.waitInbox(phone, 1);
  });

  test('an unknown provider or a URL without {phone} stops start-up with what to write', async () => {
    const a = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], { IOTP_REACH_PROVIDER: 'hlr9' });
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /reach_provider .*unknown provider 'hlr9'; known: http/);
    const b = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], { IOTP_REACH_PROVIDER: 'http', IOTP_REACH_URL: 'http://x/' });
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /reach_url .*\{phone\}/);
  });
});
