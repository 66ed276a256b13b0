// Logs people can use (issue 16): log_format = json writes one JSON object per
// line, the access log names each request's route pattern (never the path as
// sent), status, duration, app and request id, X-Request-Id comes back on
// every answer, and neither a phone number nor a code is ever written in clear.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, start } from './helpers.mjs';

after(cleanup);

/** Every stderr line of a stopped server, parsed: a line that is not JSON fails. */
function jsonLines(stderr) {
  return stderr
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        assert.fail(`not a JSON line: ${l}`);
      }
    });
}

describe('log_format = json with the access log', () => {
  test('a whole verification: JSON lines, access lines, no number and no code', async () => {
    const srv = await start({ IOTP_LOG_FORMAT: 'json', IOTP_ACCESS_LOG: 'on', IOTP_LOG_LEVEL: 'debug' });
    const phone = freshPhone();
    const c = await srv.call('POST', '/v1/sessions', { phone }, { headers: { 'x-request-id': 'client-id-1' } });
    assert.equal(c.status, 201);
    assert.equal(c.headers.get('x-request-id'), 'client-id-1');
    const id = c.body.id;
    const s = await srv.call('POST', `/v1/sessions/${id}/code`, { channel: 'sms' });
    assert.equal(s.status, 200);
    // A made-up id: 32 hex digits, different each request.
    assert.match(s.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    const [sms] = await srv.waitInbox(phone);
    const code = codeFromSms(sms.text);
    const v = await srv.call('PUT', `/v1/sessions/${id}/code`, { code });
    assert.equal(v.status, 200);
    assert.equal(v.body.verified, true);
    // Not sane: too long, or characters a log or a header should not carry.
    const long = await srv.call('GET', '/healthz', undefined, { headers: { 'x-request-id': 'x'.repeat(65) } });
    assert.match(long.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    const odd = await srv.call('GET', '/healthz', undefined, { headers: { 'x-request-id': 'a b"<script>' } });
    assert.match(odd.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    // Refused before any handler: the id is still there.
    const unauth = await srv.call('GET', `/v1/admin/numbers/${encodeURIComponent(phone)}`, undefined, { auth: false });
    assert.equal(unauth.status, 401);
    assert.match(unauth.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    assert.equal((await srv.stop()).code, 0);

    const lines = jsonLines(srv.stderr);
    assert.ok(lines.length > 5);
    for (const l of lines) {
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(['debug', 'info', 'warn', 'error'].includes(l.level), l.level);
      assert.equal(typeof l.msg, 'string');
    }
    const access = lines.filter((l) => l.msg === 'access');
    const create = access.find((l) => l.request_id === 'client-id-1');
    assert.deepEqual(
      { method: create.method, route: create.route, status: create.status, app: create.app, level: create.level },
      { method: 'POST', route: '/v1/sessions', status: 201, app: 'default', level: 'info' },
    );
    assert.equal(typeof create.duration_ms, 'number');
    assert.ok(create.duration_ms >= 0);
    const send = access.find((l) => l.request_id === s.headers.get('x-request-id'));
    assert.equal(send.route, '/v1/sessions/{id}/code');
    assert.equal(send.method, 'POST');
    assert.equal(send.status, 200);
    const check = access.find((l) => l.method === 'PUT');
    assert.equal(check.route, '/v1/sessions/{id}/code');
    const refused = access.find((l) => l.request_id === unauth.headers.get('x-request-id'));
    assert.deepEqual([refused.route, refused.status, refused.app], ['/v1/admin/numbers/{phone}', 401, '-']);
    // Nothing of the number (its national digits), the session id or the code.
    assert.ok(!srv.stderr.includes(phone.slice(3)), 'the phone number is in the log');
    assert.ok(!srv.stderr.includes(id), 'a raw path (session id) is in the log');
    assert.ok(!new RegExp(`\\b${code}\\b`).test(srv.stderr), 'the code is in the log');
    assert.ok(!srv.stderr.includes(srv.apiKey), 'the API key is in the log');
  });

  test('an unknown path is logged without its path', async () => {
    const srv = await start({ IOTP_LOG_FORMAT: 'json', IOTP_ACCESS_LOG: 'on' });
    const r = await srv.call('GET', '/v1/nothing/+447400123456');
    assert.equal(r.status, 404);
    await srv.stop();
    const line = jsonLines(srv.stderr).find((l) => l.msg === 'access');
    assert.deepEqual([line.method, line.route, line.status], ['GET', '-', 404]);
    assert.ok(!srv.stderr.includes('7400123456'));
  });
});

test('text format: the access line reads as key=value words; off by default', async () => {
  const srv = await start({ IOTP_ACCESS_LOG: 'on' });
  const r = await srv.call('POST', '/v1/sessions', { phone: freshPhone() }, { headers: { 'x-request-id': 'req.42' } });
  assert.equal(r.status, 201);
  await srv.stop();
  assert.match(
    srv.stderr,
    /^\S+Z info access method=POST route=\/v1\/sessions status=201 duration_ms=\d+\.\d{3} app=default request_id=req\.42$/m,
  );
  const quiet = await start();
  const q = await quiet.call('GET', '/healthz');
  assert.match(q.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  await quiet.stop();
  assert.doesNotMatch(quiet.stderr, / access /);
});

test('a log_format iotp does not know is refused at start, naming both', async () => {
  const { runIotpd } = await import('./helpers.mjs');
  const r = await runIotpd(['--dev', '--dump-config'], { IOTP_LOG_FORMAT: 'xml' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /option log_format \(IOTP_LOG_FORMAT\): 'xml' is not text or json/);
});
