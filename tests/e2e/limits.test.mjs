// Rate limits (docs/fraud.md): each limit refuses with 429, Retry-After and a
// code naming the limit; X-Forwarded-For only counts from a trusted proxy; the
// limits switch works in dev mode only and never lifts a session's own rules.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, httpRequest, makeDataDir, rawConnect, runIotpd, start, wrongCode } from './helpers.mjs';

after(cleanup);

/** Starts iotpd (dev mode unless args say otherwise) with conf as its file. */
async function startWith(conf, env = {}, mode = ['--dev']) {
  const dir = makeDataDir();
  const file = path.join(dir, 'iotp.conf');
  writeFileSync(file, conf);
  return start(env, { args: [...mode, '--config', file] });
}

/** A client at address ip, through the trusted proxy (127.0.0.1). */
const from = (ip) => ({ headers: { 'x-forwarded-for': ip } });

function limited(r, code, limit) {
  assert.equal(r.status, 429, r.text);
  assert.equal(r.body.error.code, code, r.text);
  assert.equal(r.body.error.limit, limit, r.text);
  const after = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(after) && after >= 1, `Retry-After is a positive whole number: ${r.headers.get('retry-after')}`);
  return after;
}

describe('session creation limits', () => {
  test('create.number: the third session for one number in an hour → 429 rate_limited_number', async () => {
    const srv = await startWith('[limits]\ncreate.number = 2/1h\n');
    const phone = freshPhone();
    for (let i = 0; i < 2; i++) assert.equal((await srv.call('POST', '/v1/sessions', { phone })).status, 201);
    const r = await srv.call('POST', '/v1/sessions', { phone });
    const wait = limited(r, 'rate_limited_number', 'create.number');
    assert.ok(wait > 1000 && wait <= 1800, `about half an hour for one token of 2/1h: ${wait}`);
    assert.doesNotMatch(r.text, /\+44/, 'the refusal names no number');
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: freshPhone() })).status, 201, 'another number is fine');
  });

  test('create.prefix3 and create.prefix5: sequential numbers in one range are limited together', async () => {
    const srv = await startWith('[limits]\ncreate.prefix3 = 3/1h\ncreate.prefix5 = 5/1h\n');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await srv.call('POST', '/v1/sessions', { phone: `+4474001230${i}0` })).status);
    assert.deepEqual(statuses.slice(0, 3), [201, 201, 201]);
    const r = await srv.call('POST', '/v1/sessions', { phone: '+447400123099' });
    limited(r, 'rate_limited_prefix', 'create.prefix3');
    // Two more in other thousands of the same hundred-thousand, then prefix5 holds.
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: '+447400124000' })).status, 201);
    assert.equal((await srv.call('POST', '/v1/sessions', { phone: '+447400125000' })).status, 201);
    limited(await srv.call('POST', '/v1/sessions', { phone: '+447400126000' }), 'rate_limited_prefix', 'create.prefix5');
  });

  test('create.ip and create.network, with addresses from a trusted proxy', async () => {
    const srv = await startWith('trusted_proxies = 127.0.0.1\n[limits]\ncreate.ip = 2/1h\ncreate.network = 3/1h\n');
    const create = (ip) => srv.call('POST', '/v1/sessions', { phone: freshPhone() }, from(ip));
    assert.equal((await create('198.51.100.7')).status, 201);
    assert.equal((await create('198.51.100.7')).status, 201);
    limited(await create('198.51.100.7'), 'rate_limited_ip', 'create.ip');
    assert.equal((await create('198.51.100.8')).status, 201, 'a neighbour has its own address bucket');
    limited(await create('198.51.100.9'), 'rate_limited_network', 'create.network');
    assert.equal((await create('192.0.2.1')).status, 201, 'another /24 is fine');
    // IPv6: the /64 is the network.
    assert.equal((await create('2001:db8:1:2::1')).status, 201);
    assert.equal((await create('2001:db8:1:2::2')).status, 201);
    assert.equal((await create('2001:db8:1:2::3')).status, 201);
    limited(await create('2001:db8:1:2::4'), 'rate_limited_network', 'create.network');
  });

  test('create.site: IPv6 networks (/64) of one /48 are limited together; IPv4 has no site', async () => {
    const srv = await startWith('trusted_proxies = 127.0.0.1\n[limits]\ncreate.network = 2/1h\ncreate.site = 3/1h\n');
    const create = (ip) => srv.call('POST', '/v1/sessions', { phone: freshPhone() }, from(ip));
    // Hopping to a fresh /64 each time evades create.network but not create.site.
    for (let i = 1; i <= 3; i++) assert.equal((await create(`2001:db8:7:${i}::1`)).status, 201);
    limited(await create('2001:db8:7:4::1'), 'rate_limited_network', 'create.site');
    limited(await create('2001:db8:7:ffff::9'), 'rate_limited_network', 'create.site');
    assert.equal((await create('2001:db8:8:1::1')).status, 201, 'another /48 is fine');
    // IPv4 /24s are networks only: four of them in one /16 are not limited together.
    for (let i = 1; i <= 4; i++) assert.equal((await create(`198.51.${i}.1`)).status, 201);
  });

  test('X-Forwarded-For from an untrusted peer is ignored: spoofing does not evade create.ip', async () => {
    const srv = await startWith('[limits]\ncreate.ip = 2/1h\n');
    let n = 0;
    const create = () => srv.call('POST', '/v1/sessions', { phone: freshPhone() }, from(`203.0.113.${++n}`));
    assert.equal((await create()).status, 201);
    assert.equal((await create()).status, 201);
    limited(await create(), 'rate_limited_ip', 'create.ip');
  });

  test('X-Forwarded-For in two header lines is one list: a client line before the proxy\'s own does not spoof create.ip', async () => {
    // The proxy (127.0.0.1, trusted) adds its own line with the address it saw
    // after the line the client sent; the client's line is a claim like any other.
    const srv = await startWith('trusted_proxies = 127.0.0.1\n[limits]\ncreate.ip = 2/1h\n');
    const create = async (spoofed) => {
      const c = await rawConnect(srv.port);
      const body = JSON.stringify({ phone: freshPhone() });
      const text = httpRequest('POST', '/v1/sessions', {
        headers: { Authorization: `Bearer ${srv.apiKey}`, 'Content-Type': 'application/json', 'X-Forwarded-For': spoofed },
        body,
      }).replace('\r\n\r\n', '\r\nX-Forwarded-For: 203.0.113.77\r\nConnection: close\r\n\r\n');
      const r = await c.request(text);
      c.close();
      return { ...r, headers: new Map(Object.entries(r.headers)) };
    };
    assert.equal((await create('198.51.100.1')).status, 201);
    assert.equal((await create('198.51.100.2')).status, 201);
    limited(await create('198.51.100.3'), 'rate_limited_ip', 'create.ip');
  });

  test('create.country, create.app and create.global', async () => {
    const country = await startWith('[limits]\ncreate.country = 2/1m\n');
    for (let i = 0; i < 2; i++) assert.equal((await country.call('POST', '/v1/sessions', { phone: freshPhone() })).status, 201);
    limited(await country.call('POST', '/v1/sessions', { phone: freshPhone() }), 'rate_limited_country', 'create.country');
    assert.equal((await country.call('POST', '/v1/sessions', { phone: '+33612345678' })).status, 201, 'France has its own bucket');

    const app = await startWith('[limits]\ncreate.app = 2/1m\n');
    for (let i = 0; i < 2; i++) assert.equal((await app.call('POST', '/v1/sessions', { phone: freshPhone() })).status, 201);
    limited(await app.call('POST', '/v1/sessions', { phone: '+33612345678' }), 'rate_limited_app', 'create.app');

    const global = await startWith('[limits]\ncreate.global = 1/1m\n');
    assert.equal((await global.call('POST', '/v1/sessions', { phone: freshPhone() })).status, 201);
    limited(await global.call('POST', '/v1/sessions', { phone: '+33612345678' }), 'rate_limited_global', 'create.global');
  });

  test('parallel creations never take more than a bucket holds', async () => {
    const srv = await startWith('[limits]\ncreate.number = 5/1h\n', { IOTP_MAX_CONNECTIONS_PER_IP: '1000' });
    const phone = freshPhone();
    const rs = await Promise.all(Array.from({ length: 40 }, () => srv.call('POST', '/v1/sessions', { phone })));
    const ok = rs.filter((r) => r.status === 201).length;
    const refused = rs.filter((r) => r.status === 429 && r.body.error.code === 'rate_limited_number').length;
    assert.equal(ok, 5, `exactly the bucket's 5: ${rs.map((r) => r.status)}`);
    assert.equal(refused, 35);
  });
});

describe('send and check limits', () => {
  test('send.number across sessions, with the session attached and Retry-After', async () => {
    const srv = await startWith('[limits]\nsend.number = 2/1h\n');
    const phone = freshPhone();
    for (let i = 0; i < 2; i++) {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' })).status, 200);
    }
    const c = await srv.call('POST', '/v1/sessions', { phone });
    const r = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
    limited(r, 'rate_limited_number', 'send.number');
    assert.equal(r.body.session.id, c.body.id, 'the session comes with the refusal');
  });

  test('send.ip: a send the session itself refuses costs no token', async () => {
    const srv = await startWith('trusted_proxies = 127.0.0.1\n[limits]\nsend.ip = 2/1h\n');
    const ip = '198.51.100.20';
    const a = await srv.call('POST', '/v1/sessions', { phone: freshPhone() }, from(ip));
    assert.equal((await srv.call('POST', `/v1/sessions/${a.body.id}/code`, {}, from(ip))).status, 200);
    const tooSoon = await srv.call('POST', `/v1/sessions/${a.body.id}/code`, {}, from(ip));
    assert.equal(tooSoon.body.error.code, 'send_too_soon', 'the session answers first');
    const b = await srv.call('POST', '/v1/sessions', { phone: freshPhone() }, from(ip));
    assert.equal((await srv.call('POST', `/v1/sessions/${b.body.id}/code`, {}, from(ip))).status, 200);
    const c = await srv.call('POST', '/v1/sessions', { phone: freshPhone() }, from(ip));
    limited(await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {}, from(ip)), 'rate_limited_ip', 'send.ip');
  });

  test('check.ip limits code checks from one address', async () => {
    const srv = await startWith('trusted_proxies = 127.0.0.1\n[limits]\ncheck.ip = 3/1h\n');
    const ip = '198.51.100.30';
    const phone = freshPhone();
    const c = await srv.call('POST', '/v1/sessions', { phone });
    await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    const [sms] = await srv.waitInbox(phone, 1);
    const code = codeFromSms(sms.text);
    for (let i = 0; i < 3; i++)
      assert.equal((await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: wrongCode(code, i + 1) }, from(ip))).status, 400);
    const r = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code }, from(ip));
    limited(r, 'rate_limited_ip', 'check.ip');
    const other = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code }, from('192.0.2.30'));
    assert.equal(other.status, 200, 'the same code from elsewhere verifies (the refused check spent no attempt)');
  });

  test('check_failed.number: wrong codes lock a number for checks across sessions; a right code is not counted', async () => {
    const srv = await startWith('[limits]\ncheck_failed.number = 4/1h\n');
    const phone = freshPhone();
    const sessionWithCode = async (n) => {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
      const list = await srv.waitInbox(phone, n);
      return { id: c.body.id, code: codeFromSms(list[0].text) };
    };
    const a = await sessionWithCode(1);
    assert.equal((await srv.call('PUT', `/v1/sessions/${a.id}/code`, { code: a.code })).status, 200, 'a right code');
    const b = await sessionWithCode(2);
    for (let i = 0; i < 3; i++)
      assert.equal((await srv.call('PUT', `/v1/sessions/${b.id}/code`, { code: wrongCode(b.code, i + 1) })).status, 400);
    const c = await sessionWithCode(3);
    assert.equal((await srv.call('PUT', `/v1/sessions/${c.id}/code`, { code: wrongCode(c.code) })).status, 400, 'the fourth wrong code');
    const r = await srv.call('PUT', `/v1/sessions/${c.id}/code`, { code: c.code });
    limited(r, 'number_checks_locked', 'check_failed.number');
    assert.equal(r.body.session.attempts_left, 4, 'a refused check compares nothing and spends no attempt of the session');
    // While locked, even the right code is not evaluated in any session of the number.
    const d = await sessionWithCode(4);
    assert.equal((await srv.call('PUT', `/v1/sessions/${d.id}/code`, { code: d.code })).body.error.code, 'number_checks_locked');
    // Another number is not affected.
    const other = freshPhone();
    const o = await srv.call('POST', '/v1/sessions', { phone: other });
    await srv.call('POST', `/v1/sessions/${o.body.id}/code`, {});
    const [sms] = await srv.waitInbox(other, 1);
    assert.equal((await srv.call('PUT', `/v1/sessions/${o.body.id}/code`, { code: codeFromSms(sms.text) })).status, 200);
  });
});

describe('wrong-code locks cannot be aimed at a victim', () => {
  const OTHER_KEY = 'other-app-key-0123456789';
  async function twoApps() {
    const srv = await startWith(`[app other]\napi_key = ${OTHER_KEY}\nname = Other\n`);
    const sessionWithCode = async (phone, auth = true) => {
      const before = (await srv.inbox(phone)).length;
      const c = await srv.call('POST', '/v1/sessions', { phone }, { auth });
      assert.equal(c.status, 201, c.text);
      assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {}, { auth })).status, 200);
      const list = await srv.waitInbox(phone, before + 1);
      return { id: c.body.id, code: codeFromSms(list[0].text) };
    };
    return { srv, sessionWithCode };
  }
  const burn = async (srv, s, auth = true) => {
    for (let i = 0; i < 5; i++)
      assert.equal((await srv.call('PUT', `/v1/sessions/${s.id}/code`, { code: wrongCode(s.code, i + 1) }, { auth })).status, 400);
  };

  test('two throwaway sessions in another app full of wrong codes neither lock the number here nor spend the victim\'s attempts', async () => {
    const { srv, sessionWithCode } = await twoApps();
    const phone = freshPhone();
    const victim = await sessionWithCode(phone);
    // The attacker holds another app's key: 2 sessions x 5 wrong codes = check_failed.number (10/1h).
    for (let i = 0; i < 2; i++) await burn(srv, await sessionWithCode(phone, OTHER_KEY), OTHER_KEY);
    const third = await sessionWithCode(phone, OTHER_KEY);
    const locked = await srv.call('PUT', `/v1/sessions/${third.id}/code`, { code: third.code }, { auth: OTHER_KEY });
    limited(locked, 'number_checks_locked', 'check_failed.number');
    const ok = await srv.call('PUT', `/v1/sessions/${victim.id}/code`, { code: victim.code });
    assert.equal(ok.status, 200, `the victim's own app is not locked: ${ok.text}`);
  });

  test('in the same app, the lock refuses the victim\'s check without spending its attempts', async () => {
    const { srv, sessionWithCode } = await twoApps();
    const phone = freshPhone();
    const victim = await sessionWithCode(phone);
    for (let i = 0; i < 2; i++) await burn(srv, await sessionWithCode(phone));
    for (let i = 0; i < 3; i++) {
      const r = await srv.call('PUT', `/v1/sessions/${victim.id}/code`, { code: victim.code });
      limited(r, 'number_checks_locked', 'check_failed.number');
      assert.equal(r.body.session.attempts_left, 5, 'refused checks spend none of the victim session\'s attempts');
    }
    const s = await srv.call('GET', `/v1/sessions/${victim.id}`);
    assert.equal(s.body.attempts_left, 5);
  });
});

describe('the limits switch', () => {
  test('limits = off in dev mode: no rate limit, a loud warning, and the session schedule still holds', async () => {
    const srv = await startWith('[limits]\ncreate.number = 1/1h\nsend.number = 1/1h\n', { IOTP_LIMITS: 'off' });
    assert.match(srv.stderr, /limits = off: RATE LIMITS/);
    const phone = freshPhone();
    for (let i = 0; i < 3; i++) {
      const c = await srv.call('POST', '/v1/sessions', { phone });
      assert.equal(c.status, 201);
      assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status, 200);
      const again = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
      assert.equal(again.body.error.code, 'send_too_soon', 'the resend schedule is not a limit of the switch');
    }
  });

  test('limits = off outside dev mode → start-up refused naming the option', async () => {
    const dir = makeDataDir();
    const conf = path.join(dir, 'iotp.conf');
    writeFileSync(conf, 'api_key = 0123456789abcdef0123\nlimits = off\n');
    const r = await runIotpd(['--config', conf, '--listen', '127.0.0.1:0', '--data', path.join(dir, 'data')]);
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /option limits \(IOTP_LIMITS\): 'off' is accepted only in dev mode/);
  });

  test('a malformed limit → start-up refused with file:line', async () => {
    const dir = makeDataDir();
    const conf = path.join(dir, 'iotp.conf');
    writeFileSync(conf, '[limits]\ncreate.number = 10/1h\nsend.ip = lots\n');
    const r = await runIotpd(['--dev', '--config', conf, '--listen', '127.0.0.1:0', '--data', path.join(dir, 'data')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /iotp\.conf:3: \[limits\]: send\.ip = 'lots' is not COUNT\/PERIOD/);
    writeFileSync(conf, '[limits]\ncreate.planet = 10/1h\n');
    const r2 = await runIotpd(['--dev', '--config', conf, '--listen', '127.0.0.1:0', '--data', path.join(dir, 'data')]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /iotp\.conf:2: \[limits\]: unknown limit 'create\.planet'/);
  });
});
