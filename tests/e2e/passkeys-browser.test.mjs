// Passkeys in a real browser: Debian's Chromium (headless, playwright-core)
// with a WebAuthn virtual authenticator added through the DevTools protocol
// (WebAuthn.addVirtualAuthenticator: CTAP2, platform, user verification).
// On the page iotpd serves at http://localhost (a secure context, rp id
// "localhost"), navigator.credentials.create() and .get() run the whole
// ceremonies with the options the server gave; the server checks what the
// browser made. The forgeries are passkeys.test.mjs's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, newPage as openPage } from './browser.mjs';
import { cleanup, codeFromSms, freshPhone, start } from './helpers.mjs';

let srv, browser;
const problems = [];

before(async () => {
  srv = await start({ IOTP_PASSKEY_RP_ID: 'localhost', IOTP_PASSKEY_ORIGINS: 'http://localhost:*' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  cleanup();
});

const device = (cred) => ({ auth: false, headers: { authorization: `Device ${cred}` } });

async function verified(phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const before = (await srv.inbox(phone)).length;
  await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
  const inbox = await srv.waitInbox(phone, before + 1);
  const r = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(inbox[0].text) });
  assert.equal(r.status, 200, r.text);
  return c.body.id;
}

/** A page of iotpd on http://localhost with a virtual authenticator. */
async function pageWithAuthenticator() {
  const page = await openPage(browser, problems);
  await page.goto(`http://localhost:${srv.port}/healthz`);
  assert.equal(await page.evaluate(() => window.isSecureContext), true, 'http://localhost is a secure context');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { page, cdp, authenticatorId };
}

// In the page: the server's JSON options to WebAuthn's buffers, the
// credential back to JSON (base64url), as an app's own script would.
const CEREMONY = `
  const fromB64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
  const toB64u = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
`;

async function create(page, publicKey) {
  return page.evaluate(
    async ([code, o]) => {
      const { fromB64u, toB64u } = new Function(`${code}; return { fromB64u, toB64u };`)();
      o.challenge = fromB64u(o.challenge);
      o.user.id = fromB64u(o.user.id);
      o.excludeCredentials = o.excludeCredentials.map((c) => ({ ...c, id: fromB64u(c.id) }));
      const c = await navigator.credentials.create({ publicKey: o });
      return {
        id: c.id,
        rawId: toB64u(c.rawId),
        type: c.type,
        response: { clientDataJSON: toB64u(c.response.clientDataJSON), attestationObject: toB64u(c.response.attestationObject) },
      };
    },
    [CEREMONY, publicKey],
  );
}

async function get(page, publicKey) {
  return page.evaluate(
    async ([code, o]) => {
      const { fromB64u, toB64u } = new Function(`${code}; return { fromB64u, toB64u };`)();
      o.challenge = fromB64u(o.challenge);
      o.allowCredentials = o.allowCredentials.map((c) => ({ ...c, id: fromB64u(c.id) }));
      const c = await navigator.credentials.get({ publicKey: o });
      return {
        id: c.id,
        rawId: toB64u(c.rawId),
        type: c.type,
        response: {
          clientDataJSON: toB64u(c.response.clientDataJSON),
          authenticatorData: toB64u(c.response.authenticatorData),
          signature: toB64u(c.response.signature),
        },
      };
    },
    [CEREMONY, publicKey],
  );
}

describe('passkeys in Chromium', () => {
  test('register a passkey, re-verify with it, and register a new device with it in place of the PIN', async () => {
    const phone = freshPhone();
    const reg = await srv.call('POST', '/v1/accounts', { session_id: await verified(phone), device: { name: 'phone' }, pin: '192837' });
    assert.equal(reg.status, 201, reg.text);
    const cred = reg.body.credential;
    const { page, cdp, authenticatorId } = await pageWithAuthenticator();

    // Registration (§7.1): the browser's attestation object, checked by iotpd.
    const ro = await srv.call('POST', '/v1/accounts/me/passkeys/register/options', {}, device(cred));
    assert.equal(ro.status, 200, ro.text);
    const made = await create(page, ro.body.publicKey);
    const fin = await srv.call('POST', '/v1/accounts/me/passkeys/register/finish', { credential: made, name: 'Chromium' }, device(cred));
    assert.equal(fin.status, 201, fin.text);
    assert.equal(fin.body.passkey.algorithm, 'ES256', 'the first algorithm offered');
    assert.equal(fin.body.passkey.attestation, 'none');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(Buffer.from(credentials[0].credentialId, 'base64').toString('base64url'), made.rawId);
    assert.equal(credentials[0].rpId, 'localhost');

    // The same authenticator is refused a second passkey for the account (excludeCredentials).
    const again = await srv.call('POST', '/v1/accounts/me/passkeys/register/options', {}, device(cred));
    const excluded = await create(page, again.body.publicKey).then(() => 'created', (e) => e.message);
    assert.match(excluded, /InvalidStateError|excluded|already/i);

    // Authentication (§7.2) in place of the SMS code of a re-verification.
    const ao = await srv.call('POST', '/v1/passkeys/authenticate/options', {}, device(cred));
    assert.equal(ao.status, 200, ao.text);
    const asserted = await get(page, ao.body.publicKey);
    const rv = await srv.call('POST', '/v1/passkeys/authenticate/finish', { credential: asserted }, device(cred));
    assert.equal(rv.status, 200, rv.text);
    // The same assertion again: its challenge is spent.
    const replay = await srv.call('POST', '/v1/passkeys/authenticate/finish', { credential: asserted }, device(cred));
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.body.error.code, 'passkey_challenge_invalid');

    // A new device: the app's backend asks for options for the verified session,
    // the browser signs, and the registration takes the passkey for the PIN.
    const sid = await verified(phone);
    const no = await srv.call('POST', '/v1/passkeys/authenticate/options', { session_id: sid });
    assert.equal(no.status, 200, no.text);
    const moved = await srv.call('POST', '/v1/accounts', { session_id: sid, device: { name: 'new phone' }, passkey: await get(page, no.body.publicKey) });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.account.id, reg.body.account.id);

    const list = await srv.call('GET', '/v1/accounts/me/passkeys', undefined, device(moved.body.credential));
    assert.equal(list.body.passkeys.length, 1);
    assert.ok(list.body.passkeys[0].last_used_at);
    const { credentials: after2 } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(list.body.passkeys[0].sign_count, after2[0].signCount, 'the server kept the authenticator\'s count');
    assert.deepEqual(problems, []);
  });
});
