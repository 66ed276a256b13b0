// The http provider against local HTTP receivers that play an aggregator's
// SMS and voice API and the WhatsApp Cloud API: templating, credentials,
// reading the provider's id, status callbacks (token in the URL, or an HMAC
// signature over the body), forged callbacks refused, secrets masked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanup, freshPhone, makeDataDir, runIotpd, startWithConfig, waitFor } from './helpers.mjs';
import { startReceiver } from './receiver.mjs';

const WA_SECRET = 'whatsapp-app-secret';
let agg, wa, srv, config;
let refuseNext = false;
let n = 0;

function aggConfig(aggUrl, waUrl) {
  return `
voice_delays = 0,0

[provider agg]
type = http
channels = sms, voice
url = ${aggUrl}/sms/{var_account}/send?to={to}
body_format = json
body = {"to": "{to}", "from": "{from}", "text": "{text}", "ssml": "{ssml}", "channel": "{channel}", "ref": "{message_id}", "callback": "{callback_url}"}
header_auth = Authorization: Bearer {var_token}
var_account = acct-1
var_token = agg-token-not-for-logs
id_field = data.id
error_field = error.message
callback_secret = http-callback-secret-0123456
callback_status_field = status
callback_reason_field = reason
status_map = SENT:accepted, DELIVERED:delivered, UNDELIVERABLE:failed, EXPIRED:expired

[provider wa]
type = http
channels = whatsapp
url = ${waUrl}/v19.0/12345/messages
body_format = json
body = {"messaging_product": "whatsapp", "to": "{to_digits}", "type": "template", "template": {"name": "otp", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "{text}"}]}]}}
header_auth = Authorization: Bearer {var_token}
var_token = wa-token-not-for-logs
id_field = messages.0.id
callback_signature_header = X-Hub-Signature-256
callback_signature_secret = ${WA_SECRET}
callback_verify_token = wa-verify-token-123
callback_ref_field = entry.0.changes.0.value.statuses.0.id
callback_status_field = entry.0.changes.0.value.statuses.0.status
callback_reason_field = entry.0.changes.0.value.statuses.0.errors.0.title
status_map = sent:accepted, delivered:delivered, read:delivered, failed:failed

[sender default]
alpha = iotp
number = +447700900123

[route default]
sms = agg
voice = agg
whatsapp = wa
`;
}

before(async () => {
  agg = await startReceiver((r) => {
    if (refuseNext) {
      refuseNext = false;
      return { status: 400, body: { error: { message: 'invalid destination number' } } };
    }
    return { status: 200, body: { data: { id: `AGG-${++n}` } } };
  });
  wa = await startReceiver(() => ({ status: 200, body: { messages: [{ id: `wamid.${++n}` }] } }));
  config = aggConfig(agg.url, wa.url);
  srv = await startWithConfig(config);
});

after(async () => {
  await srv?.stop();
  await agg?.close();
  await wa?.close();
  await cleanup();
});

async function session(phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  return c.body.id;
}

async function timeline(id) {
  return (await srv.call('GET', `/v1/sessions/${id}`)).body.timeline;
}

async function waitStatus(id, status, i = 0) {
  let t;
  await waitFor(async () => (t = await timeline(id))[i]?.status === status, { timeoutMs: 5000 });
  assert.equal(t[i]?.status, status, JSON.stringify(t));
  return t[i];
}

const callback = (url, body, headers = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close', ...headers }, body: JSON.stringify(body) });

describe('http provider: an aggregator SMS API', () => {
  test('templating: URL, header secret, JSON body with to, from, text and message id', async () => {
    const phone = freshPhone();
    const id = await session(phone);
    const s = await srv.call('POST', `/v1/sessions/${id}/code`, { channel: 'sms' });
    assert.equal(s.status, 200, s.text);
    const m = await waitStatus(id, 'submitted');
    const req = agg.requests.find((r) => r.json?.to === phone);
    assert.ok(req, 'the aggregator got the request');
    assert.equal(req.method, 'POST');
    assert.equal(req.url, `/sms/acct-1/send?to=${encodeURIComponent(phone)}`);
    assert.equal(req.headers.authorization, 'Bearer agg-token-not-for-logs');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.json.from, 'iotp');
    assert.equal(req.json.channel, 'sms');
    assert.match(req.json.text, /^Your iotp code: \d{3}-\d{3}\./);
    assert.equal(req.json.ref, m.id, 'iotp message id is the idempotency key');
    assert.match(m.provider_ref, /^AGG-\d+$/);
    assert.match(req.json.callback, /\/v1\/dlr\/agg\?m=[\w-]+&t=[0-9a-f]{32}$/);
    assert.doesNotMatch(srv.stderr, /agg-token-not-for-logs/);
  });

  test('status callbacks: accepted, then delivered; forged and unmapped ones change nothing', async () => {
    const phone = freshPhone();
    const id = await session(phone);
    await srv.call('POST', `/v1/sessions/${id}/code`, {});
    await waitStatus(id, 'submitted');
    const cb = agg.requests.find((r) => r.json?.to === phone).json.callback;
    let r = await callback(cb, { status: 'SENT' });
    assert.equal(r.status, 200);
    let m = await waitStatus(id, 'accepted');
    assert.ok(m.accepted_at);
    const forged = cb.replace(/t=[0-9a-f]{32}/, `t=${'a'.repeat(32)}`);
    r = await callback(forged, { status: 'UNDELIVERABLE', reason: 'forged' });
    assert.equal(r.status, 403);
    r = await callback(cb, { status: 'SOMETHING_NEW' });
    assert.equal(r.status, 200, 'an unmapped status is acknowledged');
    assert.equal((await r.json()).status, 'ignored');
    r = await callback(cb, { status: 'DELIVERED' });
    assert.equal(r.status, 200);
    m = await waitStatus(id, 'delivered');
    r = await callback(cb, { status: 'SENT' });
    assert.equal(r.status, 200, 'a late accepted is acknowledged');
    m = (await timeline(id))[0];
    assert.equal(m.status, 'delivered', 'and does not move it backwards');
    assert.equal(m.error, null);
  });

  test('an undeliverable report shows its reason in the timeline', async () => {
    const id = await session(freshPhone());
    await srv.call('POST', `/v1/sessions/${id}/code`, {});
    const m0 = await waitStatus(id, 'submitted');
    const cb = agg.requests.find((r) => r.json?.ref === m0.id).json.callback;
    const r = await callback(cb, { status: 'UNDELIVERABLE', reason: 'absent subscriber' });
    assert.equal(r.status, 200);
    const m = await waitStatus(id, 'failed');
    assert.match(m.error, /agg reported it undelivered \(absent subscriber\)/);
  });

  test('a refusal fails the message with the provider\'s words', async () => {
    refuseNext = true;
    const id = await session(freshPhone());
    await srv.call('POST', `/v1/sessions/${id}/code`, {});
    const m = await waitStatus(id, 'failed');
    assert.match(m.error, /agg refused the message \(400\): invalid destination number/);
    assert.equal(m.hand_overs[0].outcome, 'refused');
  });

  test('voice: the provider places the call with the spoken script', async () => {
    const phone = freshPhone();
    const id = await session(phone);
    await srv.call('POST', `/v1/sessions/${id}/code`, { channel: 'sms' });
    await waitStatus(id, 'submitted');
    const v = await srv.call('POST', `/v1/sessions/${id}/code`, { channel: 'voice' });
    assert.equal(v.status, 200, v.text);
    const m = await waitStatus(id, 'submitted', 1);
    assert.equal(m.channel, 'voice');
    const req = agg.requests.find((r) => r.json?.ref === m.id);
    assert.equal(req.json.channel, 'voice');
    assert.equal(req.json.from, '+447700900123', 'a call shows the number, never an alphanumeric id');
    assert.match(req.json.text, /\d, \d/, 'the script reads the digits one by one');
    assert.ok(!req.json.text.includes('\x1e') && !req.json.text.includes('<speak'), 'the script alone in {text}');
    assert.match(req.json.ssml, /^<speak version="1\.0" xmlns="http:\/\/www\.w3\.org\/2001\/10\/synthesis" xml:lang="en-GB">/);
    assert.match(req.json.ssml, /\d<break time="500ms"\/> \d/, 'pauses between the digits');
    assert.match(req.json.ssml, /<\/speak>$/);
  });
});

describe('http provider: WhatsApp Cloud API authentication template', () => {
  test('the bare code goes as the template parameter; a signed webhook marks it delivered', async () => {
    const phone = freshPhone();
    const id = await session(phone);
    const s = await srv.call('POST', `/v1/sessions/${id}/code`, { channel: 'whatsapp' });
    assert.equal(s.status, 200, s.text);
    const m = await waitStatus(id, 'submitted');
    assert.equal(m.channel, 'whatsapp');
    const req = wa.requests.find((r) => r.json?.to === phone.slice(1));
    assert.ok(req, 'the platform got the template message');
    assert.equal(req.headers.authorization, 'Bearer wa-token-not-for-logs');
    const code = req.json.template.components[0].parameters[0].text;
    assert.match(code, /^\d{6}$/);
    const hook = {
      object: 'whatsapp_business_account',
      entry: [{ changes: [{ value: { statuses: [{ id: m.provider_ref, status: 'delivered' }] } }] }],
    };
    const body = JSON.stringify(hook);
    const sig = 'sha256=' + createHmac('sha256', WA_SECRET).update(body).digest('hex');
    const url = `${srv.base}/v1/dlr/wa`;
    const post = (b, h) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close', ...h }, body: b });
    let r = await post(body, { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) });
    assert.equal(r.status, 403, 'a wrong signature is refused');
    r = await post(body.replace('delivered', 'failed'), { 'x-hub-signature-256': sig });
    assert.equal(r.status, 403, 'a body changed after signing is refused');
    r = await post(body, {});
    assert.equal(r.status, 403, 'an unsigned webhook is refused');
    r = await post(body, { 'x-hub-signature-256': sig });
    assert.equal(r.status, 200, await r.text());
    await waitStatus(id, 'delivered');
    const ok = await srv.call('PUT', `/v1/sessions/${id}/code`, { code });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('http provider: WhatsApp webhook subscription check', () => {
  test('the challenge is echoed for the right verify token only', async () => {
    const get = (q) => fetch(`${srv.base}/v1/dlr/wa?${q}`, { headers: { connection: 'close' } });
    let r = await get('hub.mode=subscribe&hub.verify_token=wa-verify-token-123&hub.challenge=1158201444');
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '1158201444');
    r = await get('hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444');
    assert.equal(r.status, 403);
    r = await get('hub.mode=subscribe&hub.verify_token=wa-verify-token-123&hub.challenge=<script>');
    assert.equal(r.status, 403, 'only a numeric challenge is echoed');
  });
});

describe('http provider: configuration', () => {
  test('--dump-config masks the credentials', async () => {
    const r = await runIotpd(['--config', srv.configFile, '--dump-config'], { IOTP_API_KEY: 'k'.repeat(20) });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /agg-token-not-for-logs|wa-token|http-callback-secret|whatsapp-app-secret/);
    assert.match(r.stdout, /var_token = \*+/);
  });

  test('the example provider configurations in docs/providers load', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const docs = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'docs', 'providers');
    const files = readdirSync(docs).filter((f) => f.endsWith('.conf'));
    assert.ok(files.length >= 3, files.join(', '));
    for (const f of files) {
      const ex = await startWithConfig(readFileSync(path.join(docs, f), 'utf8'));
      assert.match(ex.stdout, /listening on/, f);
      await ex.stop();
    }
  });

  test('an unknown placeholder stops start-up with file and line', async () => {
    const dir = makeDataDir();
    const file = path.join(dir, 'bad.conf');
    writeFileSync(file, config.replace('"ref": "{message_id}"', '"ref": "{mesage_id}"'));
    const r = await runIotpd(['--config', file, '--data', dir], { IOTP_API_KEY: 'k'.repeat(20) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.conf:\d+: \[provider agg\]: body: unknown placeholder \{mesage_id\}/);
  });

  test('a channel no route serves is refused with channel_not_configured', async () => {
    const other = await startWithConfig(`[provider a]\ntype = http\nurl = ${agg.url}/x\nbody = to={to}&text={text}\n\n[route default]\nsms = a\n`);
    const c = await other.call('POST', '/v1/sessions', { phone: freshPhone() });
    const w = await other.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'whatsapp' });
    assert.equal(w.status, 422, w.text);
    assert.equal(w.body.error.code, 'channel_not_configured');
    // Refused before the session was read: the answer carries none (it once
    // carried whatever the stack held).
    assert.equal(w.body.session, undefined);
    const sms = await other.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
    assert.equal(sms.status, 200, sms.text);
    // A form body is URL-encoded.
    await waitFor(() => agg.requests.find((r) => r.url === '/x'));
    const req = agg.requests.find((r) => r.url === '/x');
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    assert.match(form.get('text'), /^Your iotp code: \d{3}-\d{3}\. Don't share/);
    await other.stop();
  });
});
