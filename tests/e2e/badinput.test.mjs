// Bad input gets a clear answer with its own error code, and nothing breaks:
// malformed bodies, wrong types, oversized bodies, wrong content types, too
// many connections from one address, and clients that never finish a request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, httpRequest, rawConnect, sleep, start, waitFor } from './helpers.mjs';

const TIMEOUT_S = 2;
let srv;
before(async () => {
  srv = await start({ IOTP_HTTP_TIMEOUT: String(TIMEOUT_S) });
});
after(cleanup);

/** POSTs raw bytes to path with the given content type (null: none). */
function postRaw(path, rawBody, contentType = 'application/json') {
  const headers = contentType ? { 'content-type': contentType } : {};
  return srv.call('POST', path, undefined, { rawBody, headers });
}

function isError(r, status, code, field) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 10, 'a sentence for a person');
  if (field !== undefined) assert.equal(r.body.error.field, field, r.text);
}

async function healthy(server = srv) {
  const r = await server.call('GET', '/healthz', undefined, { auth: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'ok');
}

/** A JSON body of exactly n bytes: {"phone":"+447400123456"<spaces>}. */
function paddedBody(n) {
  const head = '{"phone":"+447400123456"';
  return `${head}${' '.repeat(n - head.length - 1)}}`;
}

describe('bodies', () => {
  test('malformed JSON → 400 malformed_json', async () => {
    for (const raw of ['{"phone": ', '{phone: "+447400123456"}', "{'phone': '+447400123456'}", '{"phone": "+447400123456",}', 'nope']) {
      isError(await postRaw('/v1/sessions', raw), 400, 'malformed_json');
    }
  });

  test('duplicate keys → 400 malformed_json', async () => {
    isError(await postRaw('/v1/sessions', '{"phone":"+447400123456","phone":"+447400123457"}'), 400, 'malformed_json');
  });

  test('invalid UTF-8 → 400 invalid_utf8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"phone":"+44'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('7400123456"}')]);
    isError(await postRaw('/v1/sessions', bytes), 400, 'invalid_utf8');
    const overlong = Buffer.concat([Buffer.from('{"phone":"'), Buffer.from([0xc0, 0xab]), Buffer.from('447400123456"}')]);
    isError(await postRaw('/v1/sessions', overlong), 400, 'invalid_utf8');
  });

  test('wrong type → 400 invalid_field_type naming the field', async () => {
    isError(await srv.call('POST', '/v1/sessions', { phone: 447400123456 }), 400, 'invalid_field_type', 'phone');
    isError(await srv.call('POST', '/v1/sessions', { phone: '+447400123456', region: null }), 400, 'invalid_field_type', 'region');
    isError(await srv.call('POST', '/v1/sessions', { phone: ['+447400123456'] }), 400, 'invalid_field_type', 'phone');
    const s = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    isError(await srv.call('PUT', `/v1/sessions/${s.body.id}/code`, { code: 123456 }), 400, 'invalid_field_type', 'code');
    isError(await srv.call('POST', `/v1/sessions/${s.body.id}/code`, { channel: true }), 400, 'invalid_field_type', 'channel');
  });

  test('unknown field → 400 unknown_field naming it', async () => {
    const r = await srv.call('POST', '/v1/sessions', { phone: '+447400123456', email: 'a@example.com' });
    isError(r, 400, 'unknown_field', 'email');
    assert.match(r.body.error.message, /phone/, 'says which fields the endpoint takes');
  });

  test('missing field → 400 missing_field naming it', async () => {
    isError(await srv.call('POST', '/v1/sessions', {}), 400, 'missing_field', 'phone');
    isError(await srv.call('POST', '/v1/sessions', { region: 'GB' }), 400, 'missing_field', 'phone');
    const s = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    isError(await srv.call('PUT', `/v1/sessions/${s.body.id}/code`, {}), 400, 'missing_field', 'code');
  });

  test('a JSON array body → 400 invalid_field_type: the body must be an object', async () => {
    for (const raw of ['["+447400123456"]', '[]', '[{"phone":"+447400123456"}]']) {
      const r = await postRaw('/v1/sessions', raw);
      isError(r, 400, 'invalid_field_type');
      assert.match(r.body.error.message, /object/, r.text);
    }
  });

  test('a JSON scalar body → 400', async () => {
    for (const raw of ['"+447400123456"', '42', 'null', 'true']) {
      const r = await postRaw('/v1/sessions', raw);
      assert.equal(r.status, 400, `${raw}: ${r.text}`);
      assert.ok(['invalid_field_type', 'malformed_json'].includes(r.body?.error?.code), `${raw}: ${r.text}`);
    }
  });

  test('body over 16 KiB → 413 body_too_large; exactly 16 KiB is fine', async () => {
    const ok = await postRaw('/v1/sessions', paddedBody(16384));
    assert.equal(ok.status, 201, ok.text);
    isError(await postRaw('/v1/sessions', paddedBody(16385)), 413, 'body_too_large');
    isError(await postRaw('/v1/sessions', paddedBody(100000)), 413, 'body_too_large');
  });

  test('body over 16 KiB without Content-Length (chunked) → 413 body_too_large', async () => {
    const parts = [Buffer.from('{"phone":"+447400123456"'), Buffer.alloc(20000, 0x20), Buffer.from('}')];
    const stream = new ReadableStream({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const res = await fetch(`${srv.base}/v1/sessions`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${srv.apiKey}` },
    });
    const body = await res.json();
    assert.equal(res.status, 413);
    assert.equal(body.error.code, 'body_too_large');
  });

  test('missing or wrong content type → 415 unsupported_media_type', async () => {
    const json = '{"phone":"+447400123456"}';
    isError(await postRaw('/v1/sessions', Buffer.from(json), null), 415, 'unsupported_media_type');
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'multipart/form-data; boundary=x']) {
      isError(await postRaw('/v1/sessions', json, ct), 415, 'unsupported_media_type');
    }
    for (const ct of ['application/json; charset=utf-8', 'Application/JSON']) {
      const r = await postRaw('/v1/sessions', json, ct);
      assert.equal(r.status, 201, `${ct}: ${r.text}`);
    }
  });

  test('invalid channel or locale → 400 invalid_field', async () => {
    const s = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    isError(await srv.call('POST', `/v1/sessions/${s.body.id}/code`, { channel: 'email' }), 400, 'invalid_field', 'channel');
    isError(await srv.call('POST', `/v1/sessions/${s.body.id}/code`, { channel: 'SMS ' }), 400, 'invalid_field', 'channel');
    isError(await srv.call('POST', `/v1/sessions/${s.body.id}/code`, { channel: 'sms', locale: '<script>' }), 400, 'invalid_field', 'locale');
    const g = await srv.call('GET', `/v1/sessions/${s.body.id}`);
    assert.equal(g.body.next_sms, 0, 'nothing was sent');
    assert.deepEqual(g.body.timeline, []);
  });

  test('a code with letters → 400 invalid_field, and no attempt is used', async () => {
    const phone = freshPhone();
    const s = await srv.call('POST', '/v1/sessions', { phone });
    const sent = await srv.call('POST', `/v1/sessions/${s.body.id}/code`, { channel: 'sms' });
    assert.equal(sent.status, 200, sent.text);
    const before = sent.body.attempts_left;
    for (const code of ['12a456', 'abcdef', '', '123_456', '１２３４５６', '1'.repeat(40)]) {
      const r = await srv.call('PUT', `/v1/sessions/${s.body.id}/code`, { code });
      isError(r, 400, 'invalid_field', 'code');
    }
    const g = await srv.call('GET', `/v1/sessions/${s.body.id}`);
    assert.equal(g.body.attempts_left, before, 'no attempt was consumed');
    const [sms] = await srv.waitInbox(phone, 1);
    const ok = await srv.call('PUT', `/v1/sessions/${s.body.id}/code`, { code: codeFromSms(sms.text) });
    assert.equal(ok.status, 200, ok.text);
  });

  test('the server still answers /healthz after all of this', async () => {
    await healthy();
  });
});

describe('connections', () => {
  test('too many connections from one address → 429 too_many_connections; the others keep working', async () => {
    const limited = await start({ IOTP_MAX_CONNECTIONS_PER_IP: '4', IOTP_HTTP_TIMEOUT: String(TIMEOUT_S) });
    const conns = [];
    try {
      const health = httpRequest('GET', '/healthz');
      // Four connections, each proven open and counted by a request on it.
      for (let i = 0; i < 4; i++) {
        const c = await rawConnect(limited.port);
        conns.push(c);
        const r = await c.request(health);
        assert.equal(r?.status, 200, `connection ${i + 1} is served`);
      }
      // Two more: one too many each.
      for (let i = 0; i < 2; i++) {
        const c = await rawConnect(limited.port);
        conns.push(c);
        const r = await c.request(health);
        assert.ok(r, `extra connection ${i + 1} gets an answer before being closed`);
        assert.equal(r.status, 429, r.text);
        assert.equal(r.body.error.code, 'too_many_connections');
        assert.equal(typeof r.body.error.message, 'string');
      }
      // The first four are still served on the same connections.
      for (const c of conns.slice(0, 4)) {
        const r = await c.request(health);
        assert.equal(r?.status, 200);
      }
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
    // Once they are closed, a new client is served again.
    const back = await waitFor(
      async () => (await limited.call('GET', '/healthz').catch(() => ({ status: 0 }))).status === 200,
      { timeoutMs: 5000 },
    );
    assert.ok(back, 'served again once the connections closed');
    assert.equal((await limited.stop()).code, 0);
  });

  test(`a client that never finishes its request is cut off after http_timeout (${TIMEOUT_S} s); others are served meanwhile`, async () => {
    const slow = await rawConnect(srv.port);
    slow.write(
      'POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${srv.apiKey}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100\r\n\r\n{"phone":',
    );
    // While it hangs, everyone else is served.
    await healthy();
    const s = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    assert.equal(s.status, 201, s.text);
    assert.equal(slow.isClosed, false, 'the slow client is still connected while others are served');
    // Then it is disconnected (well within 5× the timeout).
    let timer;
    const closed = await Promise.race([
      slow.closed.then(() => true),
      new Promise((resolve) => (timer = setTimeout(() => resolve(false), TIMEOUT_S * 5000))),
    ]);
    clearTimeout(timer);
    if (!closed) slow.close();
    assert.ok(closed, 'the slow client was disconnected');
    await healthy();
  });

  test('the slow client is told why: 408 request_timeout before the connection closes', async () => {
    const slow = await rawConnect(srv.port);
    slow.write(
      'POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${srv.apiKey}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100\r\n\r\n{"phone":',
    );
    const r = await slow.response(TIMEOUT_S * 5000).catch(() => null);
    slow.close();
    assert.ok(r, 'an HTTP answer arrived before the connection was closed (got none)');
    assert.equal(r.status, 408, r.text);
    assert.equal(r.body?.error?.code, 'request_timeout');
  });

  test('a client trickling its body byte by byte gets 408 request_timeout and is cut off', async () => {
    const slow = await rawConnect(srv.port);
    slow.write(
      'POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${srv.apiKey}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1000\r\n\r\n{"phone":"+447400123456"',
    );
    // One byte every 300 ms would take 5 minutes to finish the body.
    const deadline = Date.now() + TIMEOUT_S * 5000;
    while (!slow.isClosed && Date.now() < deadline) {
      slow.write(' ');
      await sleep(300);
    }
    const closed = slow.isClosed;
    const r = await slow.response(1000).catch(() => null);
    slow.close();
    assert.ok(closed, 'the trickling client was disconnected');
    assert.ok(r, 'it was told why before the connection closed (got no answer)');
    assert.equal(r.status, 408, r.text);
    assert.equal(r.body?.error?.code, 'request_timeout');
    assert.equal(r.headers['cache-control'], 'no-store');
    await healthy();
  });

  test('the server still answers /healthz after all of this', async () => {
    await healthy();
  });
});
