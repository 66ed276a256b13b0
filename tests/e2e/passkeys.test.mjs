// Passkeys (WebAuthn Level 2) end to end, against an authenticator written
// here with node:crypto (ES256 and Ed25519 keys, CBOR encoded by hand below):
// registration with attestation none and packed, the list and removal, a
// passkey in place of the SMS code for re-verification and of the PIN on a
// new device, and each forgery refused with its own error: tampered
// signatures, replayed challenges, wrong origins, wrong relying party ids,
// no user verification, a sign count that goes down. The browser's own
// ceremony (Chromium's virtual authenticator) is passkeys-browser.test.mjs.
import assert from 'node:assert/strict';
import { createECDH, createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { IOTPD, cleanup, codeFromSms, freshPhone, start } from './helpers.mjs';

const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

const RP = 'example.com';
const ORIGIN = 'https://example.com';

// ---- a minimal CBOR encoder (RFC 8949): what an authenticator emits ----
function head(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
function cbor(v) {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  if (v instanceof Map) {
    const parts = [head(5, v.size)];
    for (const [k, x] of v) parts.push(cbor(k), cbor(x));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: ${typeof v}`);
}

const b64u = (b) => Buffer.from(b).toString('base64url');
const sha256 = (b) => createHash('sha256').update(b).digest();
const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 };

/** One credential of a software authenticator. Its keys are made from raw
 * bytes, not with generateKeyPairSync: Node 20 deadlocked once in CI when a
 * garbage collection during an EC key's JWK export destroyed a key-generation
 * job, whose destructor (~KeyGenJob) waited for a mutex the export held, and
 * the test waited forever. Without such jobs there is nothing to wait for. */
class Authenticator {
  constructor(alg = -7) {
    this.alg = alg;
    this.id = randomBytes(16);
    this.count = 0;
    if (alg === -7) {
      const ecdh = createECDH('prime256v1');
      const pub = ecdh.generateKeys(); // 0x04 || x || y
      const [x, y] = [pub.subarray(1, 33), pub.subarray(33)];
      const d = Buffer.concat([Buffer.alloc(32), ecdh.getPrivateKey()]).subarray(-32);
      this.privateKey = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(x), y: b64u(y), d: b64u(d) }, format: 'jwk' });
      this.cose = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]]));
    } else {
      // PKCS #8 for an Ed25519 seed (RFC 8410), and the public key from it.
      const seed = randomBytes(32);
      this.privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
      const x = Buffer.from(this.privateKey.export({ format: 'jwk' }).x, 'base64url');
      this.cose = cbor(new Map([[1, 1], [3, -8], [-1, 6], [-2, x]]));
    }
  }

  sign(data) {
    return sign(this.alg === -7 ? 'sha256' : null, data, this.privateKey);
  }

  authData({ rpId = RP, flags = FLAGS.UP | FLAGS.UV | FLAGS.BE, count = this.count, attested = false } = {}) {
    const fixed = Buffer.alloc(37);
    sha256(rpId).copy(fixed, 0);
    fixed[32] = flags | (attested ? FLAGS.AT : 0);
    fixed.writeUInt32BE(count, 33);
    if (!attested) return fixed;
    const len = Buffer.from([0, this.id.length]);
    return Buffer.concat([fixed, Buffer.alloc(16), len, this.id, this.cose]);
  }

  static clientData(type, challenge, origin = ORIGIN) {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create()'s answer, as JSON. fmt: none or packed (self). */
  create(options, { fmt = 'none', origin = ORIGIN, rpId = options.rp.id, flags } = {}) {
    const cd = Authenticator.clientData('webauthn.create', options.challenge, origin);
    const ad = this.authData({ rpId, flags, attested: true });
    let stmt = new Map();
    if (fmt === 'packed') stmt = new Map([['alg', this.alg], ['sig', this.sign(Buffer.concat([ad, sha256(cd)]))]]);
    const att = cbor(new Map([['fmt', fmt], ['attStmt', stmt], ['authData', ad]]));
    return { id: b64u(this.id), rawId: b64u(this.id), type: 'public-key', response: { clientDataJSON: b64u(cd), attestationObject: b64u(att) } };
  }

  /** navigator.credentials.get()'s answer, as JSON; counts up unless count is given. */
  get(options, { origin = ORIGIN, rpId = options.rpId, flags, count } = {}) {
    if (count === undefined) count = ++this.count;
    const cd = Authenticator.clientData('webauthn.get', options.challenge, origin);
    const ad = this.authData({ rpId, flags, count });
    const sig = this.sign(Buffer.concat([ad, sha256(cd)]));
    return { id: b64u(this.id), rawId: b64u(this.id), type: 'public-key', response: { clientDataJSON: b64u(cd), authenticatorData: b64u(ad), signature: b64u(sig) } };
  }
}

const device = (cred) => ({ auth: false, headers: { authorization: `Device ${cred}` } });

after(cleanup);

describe('passkeys', () => {
  let srv;
  before(async () => (srv = await start({ IOTP_PASSKEY_RP_ID: RP, IOTP_PASSKEY_ORIGINS: `${ORIGIN},https://login.${RP}` })));
  after(() => srv.stop());

  async function verified(phone) {
    const c = await srv.call('POST', '/v1/sessions', { phone });
    assert.equal(c.status, 201, c.text);
    const before = (await srv.inbox(phone)).length;
    const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    assert.equal(s.status, 200, s.text);
    const inbox = await srv.waitInbox(phone, before + 1);
    const r = await srv.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(inbox[0].text) });
    assert.equal(r.status, 200, r.text);
    return c.body.id;
  }

  async function account(extra = {}) {
    const phone = freshPhone();
    const r = await srv.call('POST', '/v1/accounts', { session_id: await verified(phone), device: { name: 'phone' }, ...extra });
    assert.equal(r.status, 201, r.text);
    return { phone, cred: r.body.credential, id: r.body.account.id };
  }

  const regOptions = async (cred) => {
    const o = await srv.call('POST', '/v1/accounts/me/passkeys/register/options', {}, device(cred));
    assert.equal(o.status, 200, o.text);
    return o.body.publicKey;
  };
  const finish = (cred, credential, name) =>
    srv.call('POST', '/v1/accounts/me/passkeys/register/finish', { credential, ...(name ? { name } : {}) }, device(cred));

  /** An account with one registered passkey: { ..., auth }. */
  async function withPasskey(alg = -7, extra = {}) {
    const a = await account(extra);
    const auth = new Authenticator(alg);
    const r = await finish(a.cred, auth.create(await regOptions(a.cred)));
    assert.equal(r.status, 201, r.text);
    return { ...a, auth, passkeyId: r.body.passkey.id };
  }

  const authOptions = async (cred) => {
    const o = await srv.call('POST', '/v1/passkeys/authenticate/options', {}, device(cred));
    assert.equal(o.status, 200, o.text);
    return o.body.publicKey;
  };
  const reverify = (cred, credential) => srv.call('POST', '/v1/passkeys/authenticate/finish', { credential }, device(cred));

  test('registration: options, attestation none (ES256) and packed self (EdDSA), list, exclude, remove', async () => {
    const { cred, phone } = await account();
    const o = await regOptions(cred);
    assert.equal(o.rp.id, RP);
    assert.match(o.challenge, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.deepEqual(o.pubKeyCredParams.map((p) => p.alg), [-7, -8]);
    assert.equal(o.authenticatorSelection.userVerification, 'required');
    assert.ok(!o.user.name.includes(phone.slice(3, -4)), 'the whole number is not shown');
    assert.deepEqual(o.excludeCredentials, []);

    const es = new Authenticator(-7);
    const r1 = await finish(cred, es.create(o), 'Laptop');
    assert.equal(r1.status, 201, r1.text);
    assert.equal(r1.body.passkey.name, 'Laptop');
    assert.equal(r1.body.passkey.algorithm, 'ES256');
    assert.equal(r1.body.passkey.attestation, 'none');
    assert.equal(r1.body.passkey.backup_eligible, true);
    assert.equal(r1.body.passkey.backed_up, false);

    const o2 = await regOptions(cred);
    assert.deepEqual(o2.excludeCredentials, [{ type: 'public-key', id: b64u(es.id) }]);
    const ed = new Authenticator(-8);
    const r2 = await finish(cred, ed.create(o2, { fmt: 'packed' }));
    assert.equal(r2.status, 201, r2.text);
    assert.equal(r2.body.passkey.algorithm, 'EdDSA');
    assert.equal(r2.body.passkey.attestation, 'self');
    assert.equal(r2.body.passkey.name, 'Passkey');

    const list = await srv.call('GET', '/v1/accounts/me/passkeys', undefined, device(cred));
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.passkeys.map((p) => p.algorithm), ['ES256', 'EdDSA']);

    // The same credential again, with a fresh challenge.
    const dup = await finish(cred, es.create(await regOptions(cred)));
    assert.equal(dup.status, 409, dup.text);
    assert.equal(dup.body.error.code, 'passkey_exists');

    const del = await srv.call('DELETE', `/v1/accounts/me/passkeys/${r1.body.passkey.id}`, undefined, device(cred));
    assert.equal(del.status, 200, del.text);
    const again = await srv.call('DELETE', `/v1/accounts/me/passkeys/${r1.body.passkey.id}`, undefined, device(cred));
    assert.equal(again.status, 404, again.text);
    assert.equal(again.body.error.code, 'passkey_not_found');
    const left = await srv.call('GET', '/v1/accounts/me/passkeys', undefined, device(cred));
    assert.deepEqual(left.body.passkeys.map((p) => p.id), [r2.body.passkey.id]);
    // Another account cannot remove it.
    const other = await account();
    const theirs = await srv.call('DELETE', `/v1/accounts/me/passkeys/${r2.body.passkey.id}`, undefined, device(other.cred));
    assert.equal(theirs.status, 404, theirs.text);
  });

  test('a passkey name that is empty, blank, too long or holds control characters: 400 saying what to send', async () => {
    const { cred } = await account();
    const auth = new Authenticator(-7);
    for (const [name, why] of [[' ', /empty/], ['k'.repeat(65), /at most 64 characters/], ['key\r\n', /one line/]]) {
      const r = await srv.call('POST', '/v1/accounts/me/passkeys/register/finish', { credential: auth.create(await regOptions(cred)), name }, device(cred));
      assert.equal(r.status, 400, `${JSON.stringify(name)}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_field');
      assert.equal(r.body.error.field, 'name');
      assert.match(r.body.error.message, why);
    }
    const ok = await finish(cred, auth.create(await regOptions(cred)), 'Clé de Ana 🔑');
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.passkey.name, 'Clé de Ana 🔑');
  });

  test('registration refusals: replayed challenge, wrong origin, wrong rp id, no UV, another account\'s challenge, tampered self attestation', async () => {
    const { cred } = await account();
    const refuse = async (credential, status, code, re) => {
      const r = await finish(cred, credential);
      assert.equal(r.status, status, r.text);
      assert.equal(r.body.error.code, code, r.text);
      if (re) assert.match(r.body.error.message, re);
    };
    let o = await regOptions(cred);
    const ok = new Authenticator().create(o);
    assert.equal((await finish(cred, ok)).status, 201);
    await refuse(new Authenticator().create(o), 400, 'passkey_challenge_invalid', /answered already/);
    await refuse(new Authenticator().create(await regOptions(cred), { origin: 'https://evil.example' }), 400, 'passkey_wrong_origin', /passkey_origins/);
    await refuse(new Authenticator().create(await regOptions(cred), { rpId: 'evil.example' }), 400, 'passkey_wrong_rp_id', /passkey_rp_id/);
    await refuse(new Authenticator().create(await regOptions(cred), { flags: FLAGS.UP }), 400, 'passkey_user_not_verified', /UV/);
    // A challenge made for another account.
    const other = await account();
    await refuse(new Authenticator().create(await regOptions(other.cred)), 400, 'passkey_challenge_invalid', /another account/);
    // A packed self attestation whose signature is broken.
    o = await regOptions(cred);
    const bad = new Authenticator(-7).create(o, { fmt: 'packed' });
    const att = Buffer.from(bad.response.attestationObject, 'base64url');
    att[att.length - 1] ^= 1; // the last byte of authData: its key's y coordinate
    bad.response.attestationObject = b64u(att);
    const r = await finish(cred, bad);
    assert.equal(r.status, 400, r.text);
    assert.ok(['passkey_bad_signature', 'passkey_invalid'].includes(r.body.error.code), r.text);
    // Not a credential at all.
    const shape = await srv.call('POST', '/v1/accounts/me/passkeys/register/finish', { credential: { id: 'x' } }, device(cred));
    assert.equal(shape.status, 400, shape.text);
    assert.equal(shape.body.error.field, 'credential');
  });

  test('authentication refusals: tampered signature, replayed assertion, wrong origin, wrong rp id, decreasing sign count', async () => {
    const { cred, auth } = await withPasskey(-7);
    const refuse = async (credential, status, code, re) => {
      const r = await reverify(cred, credential);
      assert.equal(r.status, status, r.text);
      assert.equal(r.body.error.code, code, r.text);
      if (re) assert.match(r.body.error.message, re);
    };
    auth.count = 10;
    const good = auth.get(await authOptions(cred));
    const ok = await reverify(cred, good);
    assert.equal(ok.status, 200, ok.text);
    await refuse(good, 400, 'passkey_challenge_invalid', /answered already/);

    const tampered = auth.get(await authOptions(cred));
    const sig = Buffer.from(tampered.response.signature, 'base64url');
    sig[sig.length - 1] ^= 1;
    tampered.response.signature = b64u(sig);
    await refuse(tampered, 400, 'passkey_bad_signature');
    // authenticatorData changed after signing (the count raised).
    const forged = auth.get(await authOptions(cred));
    const ad = Buffer.from(forged.response.authenticatorData, 'base64url');
    ad[36] += 1;
    forged.response.authenticatorData = b64u(ad);
    await refuse(forged, 400, 'passkey_bad_signature');

    await refuse(auth.get(await authOptions(cred), { origin: 'https://login.example.com.evil' }), 400, 'passkey_wrong_origin');
    await refuse(auth.get(await authOptions(cred), { rpId: 'evil.example' }), 400, 'passkey_wrong_rp_id');
    await refuse(auth.get(await authOptions(cred), { flags: FLAGS.UP }), 400, 'passkey_user_not_verified');
    // The count was 11 when it last passed: 11 again, then 5, are a clone's.
    await refuse(auth.get(await authOptions(cred), { count: 11 }), 403, 'passkey_sign_count', /cloned/);
    await refuse(auth.get(await authOptions(cred), { count: 5 }), 403, 'passkey_sign_count');
    // An allowed second origin, a growing count, and the backup state kept.
    const bs = auth.get(await authOptions(cred), { origin: 'https://login.example.com', flags: FLAGS.UP | FLAGS.UV | FLAGS.BE | FLAGS.BS });
    assert.equal((await reverify(cred, bs)).status, 200);
    const list = await srv.call('GET', '/v1/accounts/me/passkeys', undefined, device(cred));
    assert.equal(list.body.passkeys[0].sign_count, auth.count, "the count of the last accepted use");
    assert.equal(list.body.passkeys[0].backed_up, true);
    assert.ok(list.body.passkeys[0].last_used_at);
    // Another account's passkey does not answer for this one.
    const other = await withPasskey(-8);
    await refuse(other.auth.get(await authOptions(cred)), 404, 'passkey_not_found');
  });

  test('one assertion sent eight times at once is accepted once', async () => {
    const { cred, auth } = await withPasskey(-8);
    const a = auth.get(await authOptions(cred));
    const rs = await Promise.all(Array.from({ length: 8 }, () => reverify(cred, a)));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 400, 400, 400, 400, 400, 400, 400]);
  });

  test('a new device: the passkey in place of the PIN, bound to the session being spent', async () => {
    const { phone, auth, id } = await withPasskey(-7, { pin: '246810' });
    const sid = await verified(phone);
    const needs = await srv.call('POST', '/v1/accounts', { session_id: sid, device: { name: 'new' } });
    assert.equal(needs.status, 423, needs.text);
    assert.equal(needs.body.error.code, 'pin_required');
    assert.equal(needs.body.error.passkey_accepted, true);

    // The app's backend asks for options for the verified session.
    const o = await srv.call('POST', '/v1/passkeys/authenticate/options', { session_id: sid });
    assert.equal(o.status, 200, o.text);
    assert.deepEqual(o.body.publicKey.allowCredentials, [{ type: 'public-key', id: b64u(auth.id) }]);
    // An assertion for that challenge does not serve another session.
    const sid2 = await verified(phone);
    const wrongSession = await srv.call('POST', '/v1/accounts', { session_id: sid2, device: { name: 'new' }, passkey: auth.get(o.body.publicKey) });
    assert.equal(wrongSession.status, 400, wrongSession.text);
    assert.equal(wrongSession.body.error.code, 'passkey_challenge_invalid');

    const o2 = await srv.call('POST', '/v1/passkeys/authenticate/options', { session_id: sid2 });
    const r = await srv.call('POST', '/v1/accounts', { session_id: sid2, device: { name: 'new' }, passkey: auth.get(o2.body.publicKey) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.account.id, id);
    assert.ok(r.body.credential);
    // A re-verification challenge does not stand in for the PIN.
    const sid3 = await verified(phone);
    const ro = await authOptions(r.body.credential);
    const mixed = await srv.call('POST', '/v1/accounts', { session_id: sid3, device: { name: 'x' }, passkey: auth.get(ro) });
    assert.equal(mixed.status, 400, mixed.text);
    assert.equal(mixed.body.error.code, 'passkey_challenge_invalid');

    // A number without passkeys, and a session not verified.
    const plain = await account();
    const none = await srv.call('POST', '/v1/passkeys/authenticate/options', { session_id: await verified(plain.phone) });
    assert.equal(none.status, 409, none.text);
    assert.equal(none.body.error.code, 'no_passkeys');
    const s = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
    const unverified = await srv.call('POST', '/v1/passkeys/authenticate/options', { session_id: s.body.id });
    assert.equal(unverified.status, 409, unverified.text);
    assert.equal(unverified.body.error.code, 'session_not_verified');
    const finishByBackend = await srv.call('POST', '/v1/passkeys/authenticate/finish', {});
    assert.equal(finishByBackend.status, 400, finishByBackend.text);
    assert.match(finishByBackend.body.error.message, /POST \/v1\/accounts/);
  });

  test('an account due to re-verify does so with its passkey instead of an SMS code', async () => {
    const { phone, cred, auth } = await withPasskey(-7);
    const { stdout } = await promisify(execFile)(IOTPCTL, ['--dev', ...srv.storeArgs, 'account', 'reverify', phone, '--reason', 'test']);
    assert.match(stdout, /marked/);
    const due = await srv.call('GET', '/v1/accounts/me', undefined, device(cred));
    assert.equal(due.status, 403, due.text);
    assert.equal(due.body.error.code, 'reverification_required');
    // Registering another passkey waits for the re-verification; using one is it.
    const blocked = await srv.call('POST', '/v1/accounts/me/passkeys/register/options', {}, device(cred));
    assert.equal(blocked.status, 403, blocked.text);
    const done = await reverify(cred, auth.get(await authOptions(cred)));
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.account.reverification.required, false);
    assert.equal((await srv.call('GET', '/v1/accounts/me', undefined, device(cred))).status, 200);
  });

  test('passkeys off: a clear error', async () => {
    const off = await start({});
    try {
      const phone = freshPhone();
      const c = await off.call('POST', '/v1/sessions', { phone });
      await off.call('POST', `/v1/sessions/${c.body.id}/code`, {});
      const inbox = await off.waitInbox(phone, 1);
      await off.call('PUT', `/v1/sessions/${c.body.id}/code`, { code: codeFromSms(inbox[0].text) });
      const r = await off.call('POST', '/v1/accounts', { session_id: c.body.id, device: { name: 'p' } });
      const o = await off.call('POST', '/v1/accounts/me/passkeys/register/options', {}, device(r.body.credential));
      assert.equal(o.status, 409, o.text);
      assert.equal(o.body.error.code, 'passkeys_not_configured');
      assert.match(o.body.error.message, /passkey_rp_id/);
    } finally {
      await off.stop();
    }
  });
});
