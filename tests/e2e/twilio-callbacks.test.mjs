// Twilio Programmable Messaging through the http provider, with Twilio's own
// signature on its status callbacks (callback_signature = twilio). A local
// receiver plays Twilio's Messages API and answers as Twilio does; the status
// callbacks it then sends to the StatusCallback URL iotpd gave it are signed
// by the official SDK (twilio.getExpectedTwilioSignature), so iotpd is
// checked against Twilio's algorithm, not against itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import twilio from 'twilio';

import { cleanup, freshPhone, makeDataDir, runIotpd, startWithConfig, waitFor } from './helpers.mjs';
import { startReceiver } from './receiver.mjs';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'twilio-auth-token-not-for-logs-0123';
let api;
let srv;
let n = 0;

function config(apiUrl, extra = '') {
  return `
${extra}
[provider twilio-sms]
type = http
channels = sms
url = ${apiUrl}/2010-04-01/Accounts/{var_account_sid}/Messages.json
basic_auth = {var_account_sid}:{var_auth_token}
body_format = form
body = To={to}&From={from}&Body={text}&StatusCallback={callback_url}
var_account_sid = ${ACCOUNT}
var_auth_token = ${AUTH_TOKEN}
id_field = sid
error_field = message
callback_signature = twilio
callback_signature_secret = ${AUTH_TOKEN}
callback_ref_field = MessageSid
callback_status_field = MessageStatus
callback_reason_field = ErrorCode
status_map = queued:submitted, sending:submitted, sent:accepted, delivered:delivered, undelivered:failed, failed:failed

[sender default]
number = +447700900123

[route default]
sms = twilio-sms
`;
}

/** Twilio's answer to POST .../Messages.json (abridged, same shape). */
function twilioMessage(form) {
  const sid = `SM${String(++n).padStart(32, '0')}`;
  return {
    status: 201,
    body: {
      sid,
      account_sid: ACCOUNT,
      to: form.get('To'),
      from: form.get('From'),
      body: form.get('Body'),
      status: 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${ACCOUNT}/Messages/${sid}.json`,
    },
  };
}

before(async () => {
  api = await startReceiver((r) => twilioMessage(new URLSearchParams(r.body)));
  srv = await startWithConfig(config(api.url));
});

after(async () => {
  await srv?.stop();
  await api?.close();
  await cleanup();
});

/** What Twilio POSTs to a StatusCallback for a message (form parameters). */
function statusParams(msg, status, extra = {}) {
  return {
    AccountSid: ACCOUNT,
    ApiVersion: '2010-04-01',
    From: msg.from,
    MessageSid: msg.sid,
    MessageStatus: status,
    SmsSid: msg.sid,
    SmsStatus: status,
    To: msg.to,
    ...extra,
  };
}

/** POSTs a status callback to url as Twilio does: form body, signed with the
 *  SDK unless headers says otherwise; body overrides what is sent. */
function postCallback(url, params, { token = AUTH_TOKEN, signedUrl = url, body, headers } = {}) {
  const signature = twilio.getExpectedTwilioSignature(token, signedUrl, params);
  const h = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': signature,
    'user-agent': 'TwilioProxy/1.1',
    connection: 'close',
    ...headers,
  };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return fetch(url, { method: 'POST', headers: h, body: body ?? new URLSearchParams(params).toString() });
}

async function sendCode(s = srv) {
  const phone = freshPhone();
  const c = await s.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const r = await s.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  assert.equal(r.status, 200, r.text);
  const m = await waitStatus(s, c.body.id, 'submitted');
  const req = api.requests.find((x) => new URLSearchParams(x.body).get('To') === phone);
  assert.ok(req, 'Twilio got the message');
  const form = new URLSearchParams(req.body);
  return { id: c.body.id, phone, msg: { sid: m.provider_ref, to: phone, from: form.get('From') }, req, form };
}

async function waitStatus(s, id, status) {
  let t;
  await waitFor(async () => (t = (await s.call('GET', `/v1/sessions/${id}`)).body.timeline)[0]?.status === status, {
    timeoutMs: 5000,
  });
  assert.equal(t[0]?.status, status, JSON.stringify(t));
  return t[0];
}

describe('Twilio status callbacks signed with X-Twilio-Signature', () => {
  test('the message goes to Twilio with a token-free StatusCallback; signed callbacks mark it delivered', async () => {
    const { id, msg, req, form } = await sendCode();
    assert.equal(req.url, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    const basic = Buffer.from(`${ACCOUNT}:${AUTH_TOKEN}`).toString('base64');
    assert.equal(req.headers.authorization, `Basic ${basic}`);
    assert.match(msg.sid, /^SM\d{32}$/, 'the provider id is Twilio\'s sid');
    const cb = form.get('StatusCallback');
    assert.equal(cb, `${srv.base}/v1/dlr/twilio-sms`);

    let r = await postCallback(cb, statusParams(msg, 'sent'));
    assert.equal(r.status, 200, await r.text());
    await waitStatus(srv, id, 'accepted');
    r = await postCallback(cb, statusParams(msg, 'delivered', { RawDlrDoneDate: '2611271205' }));
    assert.equal(r.status, 200);
    assert.equal((await r.json()).status, 'applied');
    const m = await waitStatus(srv, id, 'delivered');
    assert.ok(m.final_at);
    assert.equal(m.error, null);
  });

  test('a wrong signature, a tampered parameter and a missing header are refused and change nothing', async () => {
    const { id, msg, form } = await sendCode();
    const cb = form.get('StatusCallback');
    const failed = statusParams(msg, 'undelivered', { ErrorCode: '30003' });

    // Signed with another account's token.
    let r = await postCallback(cb, failed, { token: 'some-other-auth-token-0123456789' });
    assert.equal(r.status, 403);
    assert.equal((await r.json()).error.code, 'report_forged');
    // Signed as "delivered", then the status changed on the way.
    const signed = statusParams(msg, 'delivered');
    const changed = new URLSearchParams({ ...signed, MessageStatus: 'undelivered', ErrorCode: '30003' }).toString();
    r = await postCallback(cb, signed, { body: changed });
    assert.equal(r.status, 403);
    assert.equal((await r.json()).error.code, 'report_forged');
    // A parameter added after signing.
    r = await postCallback(cb, signed, { body: `${new URLSearchParams(signed)}&ErrorCode=30003` });
    assert.equal(r.status, 403);
    // No signature at all.
    r = await postCallback(cb, failed, { headers: { 'x-twilio-signature': undefined } });
    assert.equal(r.status, 403);
    // Signed for another URL (a forger's own host, which a Host header could claim).
    r = await postCallback(cb, failed, { signedUrl: 'http://attacker.example/v1/dlr/twilio-sms' });
    assert.equal(r.status, 403);

    const t = (await srv.call('GET', `/v1/sessions/${id}`)).body.timeline;
    assert.equal(t[0].status, 'submitted', 'nothing changed');
    assert.equal(t[0].error, null);
    assert.match(srv.stderr, /refused a forged delivery report for provider twilio-sms from 127\.0\.0\.1: X-Twilio-Signature/);
    assert.doesNotMatch(srv.stderr, new RegExp(AUTH_TOKEN));

    // The authentic report still applies afterwards.
    r = await postCallback(cb, failed);
    assert.equal(r.status, 200);
    const m = await waitStatus(srv, id, 'failed');
    assert.match(m.error, /twilio-sms reported it undelivered \(30003\)/);
  });
});

describe('Twilio callbacks with a JSON body and with a URL token too', () => {
  test('a JSON body is vouched for by the bodySHA256 in the signed URL, checked as sent', async () => {
    const { id, msg, form } = await sendCode();
    const body = JSON.stringify({ MessageSid: msg.sid, MessageStatus: 'delivered' });
    // Escapes in the query string stay as sent: the signature covers the raw URL.
    const url = `${form.get('StatusCallback')}?note=a%2Fb%20c&bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    const post = (b, sigUrl = url) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, sigUrl, {}),
          connection: 'close',
        },
        body: b,
      });
    let r = await post(body.replace('delivered', 'undelivered'));
    assert.equal(r.status, 403, 'a body that does not match its hash');
    r = await post(body, decodeURIComponent(url));
    assert.equal(r.status, 403, 'a signature over the decoded URL is not Twilio\'s');
    r = await post(body);
    assert.equal(r.status, 200, await r.text());
    await waitStatus(srv, id, 'delivered');
  });

  test('with callback_secret as well, the signature and the token must both hold', async () => {
    const both = await startWithConfig(
      config(api.url).replace('callback_signature = twilio', 'callback_signature = twilio\ncallback_secret = url-token-secret-0123456789'),
    );
    try {
      const a = await sendCode(both);
      const b = await sendCode(both);
      const cbA = a.form.get('StatusCallback');
      const cbB = b.form.get('StatusCallback');
      assert.match(cbA, /\/v1\/dlr\/twilio-sms\?m=[\w-]+&t=[0-9a-f]{32}$/);
      // Properly signed by Twilio, but carrying another message's token.
      const tB = new URL(cbB).searchParams.get('t');
      const mixed = cbA.replace(/t=[0-9a-f]{32}/, `t=${tB}`);
      let r = await postCallback(mixed, statusParams(a.msg, 'delivered'));
      assert.equal(r.status, 403);
      // The right token without Twilio's signature.
      r = await postCallback(cbA, statusParams(a.msg, 'delivered'), { headers: { 'x-twilio-signature': undefined } });
      assert.equal(r.status, 403);
      r = await postCallback(cbA, statusParams(a.msg, 'delivered'));
      assert.equal(r.status, 200, await r.text());
      await waitStatus(both, a.id, 'delivered');
    } finally {
      await both.stop();
    }
  });
});

describe('Twilio callback configuration', () => {
  test('--dump-config masks the Auth Token in callback_signature_secret', async () => {
    const r = await runIotpd(['--config', srv.configFile, '--dump-config'], { IOTP_API_KEY: 'k'.repeat(20) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^callback_signature = twilio$/m);
    assert.match(r.stdout, /^callback_signature_secret = \*+$/m);
    assert.doesNotMatch(r.stdout, new RegExp(AUTH_TOKEN));
  });

  test('callback_signature = twilio without the Auth Token stops start-up with file and line', async () => {
    const dir = makeDataDir();
    const file = path.join(dir, 'bad.conf');
    writeFileSync(file, config(api.url).replace(/^callback_signature_secret = .*$/m, ''));
    const r = await runIotpd(['--config', file, '--data', dir], { IOTP_API_KEY: 'k'.repeat(20) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.conf:\d+: \[provider twilio-sms\]: callback_signature = twilio needs callback_signature_secret/);
  });
});

describe('Twilio status callbacks behind a proxy', () => {
  test('the signed URL is callback_base_url + the request path, whatever Host says', async () => {
    const proxied = await startWithConfig(config(api.url, 'callback_base_url = https://otp.example.com/'));
    try {
      const { id, msg, form } = await sendCode(proxied);
      const cb = form.get('StatusCallback');
      assert.equal(cb, 'https://otp.example.com/v1/dlr/twilio-sms');
      // Twilio signed the public URL; the proxy forwards to iotpd's own address.
      const local = `${proxied.base}/v1/dlr/twilio-sms`;
      let r = await postCallback(local, statusParams(msg, 'delivered'), { signedUrl: local });
      assert.equal(r.status, 403, 'a signature over the address iotpd listens on is not the one Twilio makes');
      r = await postCallback(local, statusParams(msg, 'delivered'), { signedUrl: cb });
      assert.equal(r.status, 200, await r.text());
      await waitStatus(proxied, id, 'delivered');
    } finally {
      await proxied.stop();
    }
  });
});
