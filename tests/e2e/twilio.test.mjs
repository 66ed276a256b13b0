// The Twilio Verify v2 facade, driven by Twilio's own Node library (the
// `twilio` package from npm) pointed at iotpd through its documented
// `httpClient` option: services (CodeLength, update, delete, list),
// verifications, checks, resends, cancel and approval (which end the iotp
// session underneath), fetch, and the error codes clients branch on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import twilio from 'twilio';

import {
  IOTPD, cleanup, codeFromSms, freshPhone, makeDataDir, runIotpd, start, wrongCode,
} from './helpers.mjs';

const run = promisify(execFile);
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';

/** Twilio's RequestClient, sending what it would send to verify.twilio.com to
 *  iotpd instead (the library's documented way to plug in an HTTP client). */
function loopbackClient(base) {
  class Loopback extends twilio.RequestClient {
    request(opts) {
      // A next page's URL is iotpd's own (meta.next_page_url): taken as is.
      if (opts.uri.startsWith(`${base}/`)) return super.request(opts);
      const uri = opts.uri.replace(/^https:\/\/verify\.twilio\.com/, base);
      assert.notEqual(uri, opts.uri, `the library asked for ${opts.uri}`);
      return super.request({ ...opts, uri });
    }
  }
  return new Loopback();
}

let srv;
let client;
let service;
before(async () => {
  srv = await start({
    IOTP_TWILIO_ACCOUNT_SID: ACCOUNT,
    // Twilio's own range (4 to 10); the default floor of 6 has its own tests.
    IOTP_MIN_CODE_LENGTH: '4',
    IOTP_SMS_DELAYS: '0,0,0',
    IOTP_VOICE_DELAYS: '0',
    IOTP_ALLOWED_NUMBER_TYPES: 'mobile',
  });
  client = twilio(ACCOUNT, srv.apiKey, { httpClient: loopbackClient(srv.base) });
  service = await client.verify.v2.services.create({ friendlyName: 'iotp e2e', codeLength: 6 });
});
after(cleanup);

/** The code of the newest SMS to phone, once count have arrived. */
async function codeOf(phone, count = 1) {
  const [sms] = await srv.waitInbox(phone, count);
  assert.ok(sms, `an SMS reached ${phone}`);
  return codeFromSms(sms.text);
}

/** iotpctl's output for args, read beside the running server (as support would). */
async function ctl(server, ...args) {
  const { stdout } = await run(IOTPCTL, ['--dev', ...server.storeArgs, ...args]);
  return stdout;
}

/** Runs fn, which must fail with Twilio's RestException carrying code and status. */
async function rejects(fn, code, status) {
  await assert.rejects(fn, (err) => {
    assert.equal(err.constructor.name, 'RestException', String(err));
    assert.equal(err.code, code, `${err.message}`);
    assert.equal(err.status, status);
    assert.equal(err.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    assert.equal(typeof err.message, 'string');
    return true;
  });
}

describe('services', () => {
  test('create gives a VA sid with the fields Twilio returns; fetch reads it back', async () => {
    assert.match(service.sid, /^VA[0-9a-f]{32}$/);
    assert.equal(service.accountSid, ACCOUNT);
    assert.equal(service.friendlyName, 'iotp e2e');
    assert.equal(service.codeLength, 6);
    assert.ok(service.dateCreated instanceof Date && !Number.isNaN(service.dateCreated.getTime()));
    assert.equal(service.lookupEnabled, true);
    assert.equal(service.psd2Enabled, false);
    const again = await client.verify.v2.services(service.sid).fetch();
    assert.equal(again.sid, service.sid);
    assert.equal(again.friendlyName, 'iotp e2e');
  });

  test('a missing FriendlyName is 60200; an unknown service is 20404', async () => {
    await rejects(() => client.verify.v2.services.create({ friendlyName: '' }), 60200, 400);
    await rejects(
      () => client.verify.v2.services('VA00000000000000000000000000000000').fetch(),
      20404,
      404,
    );
  });

  test('another app cannot see the service (20404), and a wrong key is 20003', async () => {
    const stranger = twilio(ACCOUNT, 'not-a-key-of-this-server', {
      httpClient: loopbackClient(srv.base),
    });
    await rejects(() => stranger.verify.v2.services(service.sid).fetch(), 20003, 401);
    const wrongAccount = twilio('AC' + 'f'.repeat(32), srv.apiKey, {
      httpClient: loopbackClient(srv.base),
    });
    await rejects(() => wrongAccount.verify.v2.services(service.sid).fetch(), 20003, 401);
  });
});

describe('verifications', () => {
  test('create → SMS → check wrong (pending) → check right (approved) → check again 20404', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    const v = await svc.verifications.create({ to: phone, channel: 'sms' });
    assert.match(v.sid, /^VE[0-9a-f]{32}$/);
    assert.equal(v.serviceSid, service.sid);
    assert.equal(v.accountSid, ACCOUNT);
    assert.equal(v.to, phone);
    assert.equal(v.channel, 'sms');
    assert.equal(v.status, 'pending');
    assert.equal(v.valid, false);
    assert.equal(v.sendCodeAttempts.length, 1);
    assert.match(v.sendCodeAttempts[0].attempt_sid, /^VL[0-9a-f]{32}$/);
    assert.equal(v.lookup.carrier.type, 'mobile');
    assert.match(v.url, new RegExp(`/v2/Services/${service.sid}/Verifications/${v.sid}$`));

    const code = await codeOf(phone);
    const wrong = await svc.verificationChecks.create({ to: phone, code: wrongCode(code) });
    assert.equal(wrong.status, 'pending');
    assert.equal(wrong.valid, false);
    assert.equal(wrong.sid, v.sid);

    const right = await svc.verificationChecks.create({ to: phone, code });
    assert.equal(right.status, 'approved');
    assert.equal(right.valid, true);
    assert.equal(right.to, phone);

    const fetched = await svc.verifications(v.sid).fetch();
    assert.equal(fetched.status, 'approved');
    assert.equal(fetched.valid, true);

    await rejects(() => svc.verificationChecks.create({ to: phone, code }), 20404, 404);
    await rejects(
      () => svc.verificationChecks.create({ verificationSid: v.sid, code }),
      20404,
      404,
    );
  });

  test('check by VerificationSid; a number typed with spaces is the same number', async () => {
    const phone = freshPhone();
    const spaced = `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
    const svc = client.verify.v2.services(service.sid);
    const v = await svc.verifications.create({ to: spaced, channel: 'sms' });
    assert.equal(v.to, phone, 'to comes back in E.164');
    const code = await codeOf(phone);
    const ok = await svc.verificationChecks.create({ verificationSid: v.sid, code });
    assert.equal(ok.status, 'approved');
  });

  test('a second create while pending resends the same code and adds a send attempt', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    const first = await svc.verifications.create({ to: phone, channel: 'sms' });
    const code1 = await codeOf(phone, 1);
    const second = await svc.verifications.create({ to: phone, channel: 'sms' });
    assert.equal(second.sid, first.sid, 'the same verification');
    assert.equal(second.sendCodeAttempts.length, 2);
    assert.notEqual(second.sendCodeAttempts[1].attempt_sid, second.sendCodeAttempts[0].attempt_sid);
    const inbox = await srv.waitInbox(phone, 2);
    assert.equal(inbox.length, 2, 'two SMS went out');
    assert.equal(codeFromSms(inbox[0].text), code1, 'the resend carries the same code');
    const ok = await svc.verificationChecks.create({ to: phone, code: code1 });
    assert.equal(ok.status, 'approved');
  });

  test('fetch by sid and by number; cancel makes later checks 20404', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    const v = await svc.verifications.create({ to: phone, channel: 'sms' });
    const code = await codeOf(phone);
    const bySid = await svc.verifications(v.sid).fetch();
    assert.equal(bySid.status, 'pending');
    assert.equal(bySid.to, phone);
    const byTo = await svc.verifications(phone).fetch();
    assert.equal(byTo.sid, v.sid);

    const canceled = await svc.verifications(v.sid).update({ status: 'canceled' });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.valid, false);
    assert.equal((await svc.verifications(v.sid).fetch()).status, 'canceled');
    await rejects(() => svc.verificationChecks.create({ to: phone, code }), 20404, 404);
    await rejects(
      () => svc.verificationChecks.create({ verificationSid: v.sid, code }),
      20404,
      404,
    );
    await rejects(() => svc.verifications(v.sid).update({ status: 'canceled' }), 20404, 404);
    await rejects(() => svc.verifications(v.sid).update({ status: 'approved' }), 20404, 404);

    assert.match(await ctl(srv, 'number', phone), /canceled \d{4}-.* by the app/);

    // A new create after a cancel starts a new verification.
    const next = await svc.verifications.create({ to: phone, channel: 'sms' });
    assert.notEqual(next.sid, v.sid);
    assert.equal(next.status, 'pending');
  });

  test('Status=approved approves by hand and ends the code; a bad Status is 60200', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    const v = await svc.verifications.create({ to: phone, channel: 'sms' });
    const code = await codeOf(phone);
    await rejects(() => svc.verifications(v.sid).update({ status: 'done' }), 60200, 400);
    const approved = await svc.verifications(v.sid).update({ status: 'approved' });
    assert.equal(approved.status, 'approved');
    assert.equal(approved.valid, true);
    const fetched = await svc.verifications(phone).fetch();
    assert.equal(fetched.status, 'approved');
    assert.equal(fetched.valid, true);
    // As after a check: the verification is done, its code answers 20404.
    await rejects(() => svc.verificationChecks.create({ to: phone, code }), 20404, 404);
    await rejects(() => svc.verifications(v.sid).update({ status: 'approved' }), 20404, 404);
    await rejects(() => svc.verifications(v.sid).update({ status: 'canceled' }), 20404, 404);
    // Underneath, the iotp session is canceled, never verified: a hand
    // approval is no proof that anyone holds the number (docs/compat.md).
    const view = await ctl(srv, 'number', phone);
    assert.match(view, /checks=0 verified=-/, view);
    assert.match(view, /canceled \d{4}-.* by the app/, view);
  });

  test('a cancel racing a check with the right code: exactly one of them wins', async () => {
    const svc = client.verify.v2.services(service.sid);
    const outcomes = { check: 0, cancel: 0 };
    for (let i = 0; i < 8; i++) {
      const phone = freshPhone();
      const v = await svc.verifications.create({ to: phone, channel: 'sms' });
      const code = await codeOf(phone);
      const [check, cancel] = await Promise.allSettled([
        svc.verificationChecks.create({ verificationSid: v.sid, code }),
        svc.verifications(v.sid).update({ status: 'canceled' }),
      ]);
      const final = (await svc.verifications(v.sid).fetch()).status;
      if (check.status === 'fulfilled') {
        assert.equal(check.value.status, 'approved');
        assert.equal(cancel.status, 'rejected', 'a cancel after the approval is refused');
        assert.equal(cancel.reason.code, 20404);
        assert.equal(final, 'approved');
        outcomes.check++;
      } else {
        assert.equal(check.reason.code, 20404, String(check.reason));
        assert.equal(cancel.status, 'fulfilled', String(cancel.reason));
        assert.equal(cancel.value.status, 'canceled');
        assert.equal(final, 'canceled');
        outcomes.cancel++;
      }
    }
    assert.equal(outcomes.check + outcomes.cancel, 8);
  });

  test('check with both VerificationSid and To: the sid decides, To must be its number', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    const v = await svc.verifications.create({ to: phone, channel: 'sms' });
    const code = await codeOf(phone);
    await rejects(
      () => svc.verificationChecks.create({ verificationSid: v.sid, to: freshPhone(), code }),
      20404,
      404,
    );
    const ok = await svc.verificationChecks.create({ verificationSid: v.sid, to: phone, code });
    assert.equal(ok.status, 'approved');
  });

  test('Locale picks the language of the SMS', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    await svc.verifications.create({ to: phone, channel: 'sms', locale: 'es' });
    const [sms] = await srv.waitInbox(phone, 1);
    assert.match(sms.text, /^Tu clave de iotp: \d{3}-\d{3}\. No la compartas con nadie\./, sms.text);
    const code = /(\d{3})-(\d{3})/.exec(sms.text).slice(1).join('');
    assert.equal((await svc.verificationChecks.create({ to: phone, code })).status, 'approved');
  });

  test('a Locale that is no language tag is 60200', async () => {
    const svc = client.verify.v2.services(service.sid);
    for (const locale of ['<es>', '1en', 'e'.repeat(16)]) {
      await rejects(() => svc.verifications.create({ to: freshPhone(), channel: 'sms', locale }), 60200, 400);
    }
  });

  test('channel whatsapp: where a route serves it, the bare code goes by WhatsApp', async () => {
    const file = path.join(makeDataDir(), 'iotp.conf');
    writeFileSync(file, ['[provider dev]', 'type = log', '[route default]', 'sms = dev',
      'voice = dev', 'whatsapp = dev', ''].join('\n'));
    const wa = await start({ IOTP_TWILIO_ACCOUNT_SID: ACCOUNT }, { args: ['--dev', '--config', file] });
    const waClient = twilio(ACCOUNT, wa.apiKey, { httpClient: loopbackClient(wa.base) });
    const s = await waClient.verify.v2.services.create({ friendlyName: 'wa', codeLength: 7 });
    const svc = waClient.verify.v2.services(s.sid);
    const phone = freshPhone();
    const v = await svc.verifications.create({ to: phone, channel: 'whatsapp' });
    assert.equal(v.channel, 'whatsapp');
    assert.equal(v.sendCodeAttempts[0].channel, 'whatsapp');
    const [msg] = await wa.waitInbox(phone, 1);
    assert.equal(msg.channel, 'whatsapp');
    assert.match(msg.text, /^\d{7}$/, 'the template parameter: the code alone');
    assert.equal((await svc.verificationChecks.create({ to: phone, code: msg.text })).status, 'approved');
  });

  test('channel call places a voice message', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    await svc.verifications.create({ to: phone, channel: 'sms' });
    const v = await svc.verifications.create({ to: phone, channel: 'call' });
    assert.equal(v.sendCodeAttempts.at(-1).channel, 'call');
    const msgs = await srv.waitInbox(phone, 2);
    assert.ok(msgs.some((m) => m.channel === 'voice'), JSON.stringify(msgs));
  });
});

/** The digits of an SMS's code, whatever its length ("1234", "123-4567"). */
async function digitsOf(phone, count = 1) {
  const [sms] = await srv.waitInbox(phone, count);
  assert.ok(sms, `an SMS reached ${phone}`);
  return codeFromSms(sms.text);
}

describe('services: CodeLength, update, delete', () => {
  test('a service\'s CodeLength is the length of its codes, from 4 to 10 digits', async () => {
    for (const codeLength of [4, 5, 8, 10]) {
      const s = await client.verify.v2.services.create({ friendlyName: `len ${codeLength}`, codeLength });
      assert.equal(s.codeLength, codeLength);
      const svc = client.verify.v2.services(s.sid);
      const phone = freshPhone();
      await svc.verifications.create({ to: phone, channel: 'sms' });
      const code = await digitsOf(phone);
      assert.equal(code.length, codeLength, `a ${codeLength}-digit code`);
      // The same digits with one more, or one fewer, are not the code.
      if (codeLength < 10) {
        const longer = await svc.verificationChecks.create({ to: phone, code: `${code}0` });
        assert.equal(longer.status, 'pending');
      }
      if (codeLength > 4) {
        const shorter = await svc.verificationChecks.create({ to: phone, code: code.slice(0, -1) });
        assert.equal(shorter.status, 'pending');
      }
      assert.equal((await svc.verificationChecks.create({ to: phone, code })).status, 'approved');
    }
  });

  test('the call reads the service\'s code length too', async () => {
    const s = await client.verify.v2.services.create({ friendlyName: 'len call', codeLength: 4 });
    const svc = client.verify.v2.services(s.sid);
    const phone = freshPhone();
    await svc.verifications.create({ to: phone, channel: 'sms' });
    await svc.verifications.create({ to: phone, channel: 'call' });
    const msgs = await srv.waitInbox(phone, 2);
    const sms = msgs.find((m) => m.channel === 'sms');
    const call = msgs.find((m) => m.channel === 'voice');
    assert.ok(sms && call, JSON.stringify(msgs));
    const code = codeFromSms(sms.text);
    assert.equal(code.length, 4);
    assert.ok(call.text.includes(`${code.split('').join(', ')}.`), call.text);
  });

  test('CodeLength outside 4..10 is 60200 on create and on update', async () => {
    for (const codeLength of [3, 11, 0]) {
      await rejects(() => client.verify.v2.services.create({ friendlyName: 'bad', codeLength }), 60200, 400);
    }
    await rejects(
      () => client.verify.v2.services(service.sid).update({ codeLength: 11 }),
      60200,
      400,
    );
    await rejects(
      () => client.verify.v2.services(service.sid).update({ friendlyName: 'x'.repeat(33) }),
      60200,
      400,
    );
    assert.equal((await client.verify.v2.services(service.sid).fetch()).codeLength, 6, 'unchanged');
  });

  test('update changes what it is given; a new CodeLength applies to new verifications', async () => {
    const s = await client.verify.v2.services.create({ friendlyName: 'before', codeLength: 4 });
    const svc = client.verify.v2.services(s.sid);
    const early = freshPhone();
    await svc.verifications.create({ to: early, channel: 'sms' });
    const earlyCode = await digitsOf(early);
    assert.equal(earlyCode.length, 4);

    const updated = await svc.update({ friendlyName: 'after', codeLength: 8, psd2Enabled: true });
    assert.equal(updated.friendlyName, 'after');
    assert.equal(updated.codeLength, 8);
    assert.equal(updated.psd2Enabled, true);
    assert.equal(updated.lookupEnabled, true, 'what was not given stays');
    assert.ok(updated.dateUpdated.getTime() >= s.dateUpdated.getTime());
    const again = await svc.fetch();
    assert.equal(again.friendlyName, 'after');
    assert.equal(again.codeLength, 8);

    const late = freshPhone();
    await svc.verifications.create({ to: late, channel: 'sms' });
    assert.equal((await digitsOf(late)).length, 8);
    // The pending verification keeps the length its person was sent.
    await svc.verifications.create({ to: early, channel: 'sms' });
    assert.equal(await digitsOf(early, 2), earlyCode);
    assert.equal((await svc.verificationChecks.create({ to: early, code: earlyCode })).status, 'approved');

    await rejects(
      () => client.verify.v2.services('VA00000000000000000000000000000000').update({ codeLength: 5 }),
      20404,
      404,
    );
  });

  test('delete answers 204; the service and its verifications are gone (20404)', async () => {
    const s = await client.verify.v2.services.create({ friendlyName: 'short-lived' });
    const svc = client.verify.v2.services(s.sid);
    const phone = freshPhone();
    const v = await svc.verifications.create({ to: phone, channel: 'sms' });
    assert.equal(await svc.remove(), true);
    await rejects(() => svc.fetch(), 20404, 404);
    await rejects(() => svc.verifications(v.sid).fetch(), 20404, 404);
    await rejects(() => svc.verificationChecks.create({ to: phone, code: '123456' }), 20404, 404);
    await rejects(() => svc.remove(), 20404, 404);
    await rejects(() => svc.update({ friendlyName: 'back' }), 20404, 404);
  });

  describe('two apps on one server', () => {
    let mine;
    let theirs;
    before(async () => {
      const dir = makeDataDir();
      const file = path.join(dir, 'iotp.conf');
      const otherKey = 'other-app-key-0123456789abcdef';
      writeFileSync(file, ['[app other]', `api_key = ${otherKey}`, 'name = Other', ''].join('\n'));
      const two = await start({ IOTP_TWILIO_ACCOUNT_SID: ACCOUNT, IOTP_MIN_CODE_LENGTH: '4' },
        { args: ['--dev', '--config', file] });
      mine = twilio(ACCOUNT, two.apiKey, { httpClient: loopbackClient(two.base) });
      theirs = twilio(ACCOUNT, otherKey, { httpClient: loopbackClient(two.base) });
    });

    test('another app can neither update nor delete the service', async () => {
      const s = await mine.verify.v2.services.create({ friendlyName: 'mine' });
      await rejects(() => theirs.verify.v2.services(s.sid).update({ codeLength: 4 }), 20404, 404);
      await rejects(() => theirs.verify.v2.services(s.sid).remove(), 20404, 404);
      assert.equal((await mine.verify.v2.services(s.sid).fetch()).friendlyName, 'mine');
      await mine.verify.v2.services(s.sid).remove();
    });

    test('list: each app sees its own services, page after page', async () => {
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await mine.verify.v2.services.create({ friendlyName: `mine ${i}` }));
      const other = await theirs.verify.v2.services.create({ friendlyName: 'theirs', codeLength: 4 });
      const gone = await mine.verify.v2.services.create({ friendlyName: 'deleted' });
      await mine.verify.v2.services(gone.sid).remove();

      const sids = made.map((s) => s.sid).sort();
      const all = await mine.verify.v2.services.list();
      assert.deepEqual(all.map((s) => s.sid), sids, 'sid order, without the deleted one');
      assert.equal(all[0].accountSid, ACCOUNT);
      assert.ok(all.every((s) => s.friendlyName.startsWith('mine ')));
      // Two per page: the library follows next_page_url until it is null.
      const paged = await mine.verify.v2.services.list({ pageSize: 2 });
      assert.deepEqual(paged.map((s) => s.sid), sids);
      const page = await mine.verify.v2.services.page({ pageSize: 2 });
      assert.equal(page.instances.length, 2);
      assert.ok(page.nextPageUrl, 'a next page');
      const last = await (await page.nextPage()).nextPage();
      assert.equal(last.instances.length, 1);
      assert.equal(last.nextPageUrl, undefined);
      assert.equal((await mine.verify.v2.services.list({ limit: 3 })).length, 3);

      const theirsAll = await theirs.verify.v2.services.list();
      assert.deepEqual(theirsAll.map((s) => [s.sid, s.codeLength]), [[other.sid, 4]]);
      await rejects(() => mine.verify.v2.services.list({ pageSize: 1001 }), 60200, 400);
    });
  });
});

describe('services: bounded per app', () => {
  test('an app holds at most twilio_max_services, even under parallel creates; 20403 past it', async () => {
    const dir = makeDataDir();
    const file = path.join(dir, 'iotp.conf');
    const otherKey = 'other-app-key-0123456789abcdef';
    writeFileSync(file, ['[app other]', `api_key = ${otherKey}`, 'name = Other', ''].join('\n'));
    const few = await start({ IOTP_TWILIO_ACCOUNT_SID: ACCOUNT, IOTP_TWILIO_MAX_SERVICES: '3' },
      { args: ['--dev', '--config', file] });
    const mine = twilio(ACCOUNT, few.apiKey, { httpClient: loopbackClient(few.base) });
    const theirs = twilio(ACCOUNT, otherKey, { httpClient: loopbackClient(few.base) });
    const tries = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => mine.verify.v2.services.create({ friendlyName: `p${i}` })));
    const made = tries.filter((t) => t.status === 'fulfilled').map((t) => t.value);
    assert.equal(made.length, 3, 'exactly the bound');
    for (const t of tries.filter((r) => r.status === 'rejected')) {
      assert.equal(t.reason.code, 20403, String(t.reason));
      assert.equal(t.reason.status, 403);
      assert.match(t.reason.message, /twilio_max_services/);
    }
    assert.equal((await mine.verify.v2.services.list()).length, 3);
    // Another app's bound is its own.
    await theirs.verify.v2.services.create({ friendlyName: 'theirs' });
    // A deleted service makes room for one more, and only one.
    await mine.verify.v2.services(made[0].sid).remove();
    await mine.verify.v2.services.create({ friendlyName: 'again' });
    await rejects(() => mine.verify.v2.services.create({ friendlyName: 'one too many' }), 20403, 403);
    // Deleting twice frees one place, not two.
    await rejects(() => mine.verify.v2.services(made[0].sid).remove(), 20404, 404);
    await rejects(() => mine.verify.v2.services.create({ friendlyName: 'still too many' }), 20403, 403);
  });
});

describe('min_code_length: no short codes on request', () => {
  test('by default CodeLength 4 and 5 are 60200, on create and on update', async () => {
    const strict = await start({ IOTP_TWILIO_ACCOUNT_SID: ACCOUNT });
    const c = twilio(ACCOUNT, strict.apiKey, { httpClient: loopbackClient(strict.base) });
    for (const codeLength of [4, 5]) {
      await assert.rejects(() => c.verify.v2.services.create({ friendlyName: 'short', codeLength }), (err) => {
        assert.equal(err.code, 60200, String(err));
        assert.equal(err.status, 400);
        assert.match(err.message, /CodeLength.*6 to 10.*min_code_length/);
        return true;
      });
    }
    const s = await c.verify.v2.services.create({ friendlyName: 'six', codeLength: 6 });
    assert.equal(s.codeLength, 6);
    await rejects(() => c.verify.v2.services(s.sid).update({ codeLength: 4 }), 60200, 400);
    assert.equal((await c.verify.v2.services(s.sid).fetch()).codeLength, 6, 'unchanged');
    // Its verifications send six digits.
    const phone = freshPhone();
    await c.verify.v2.services(s.sid).verifications.create({ to: phone, channel: 'sms' });
    const [sms] = await strict.waitInbox(phone, 1);
    assert.equal(codeFromSms(sms.text).length, 6);
  });
});

describe('errors clients branch on', () => {
  test('60200: a number that is not one, a channel this server has not', async () => {
    const svc = client.verify.v2.services(service.sid);
    await rejects(() => svc.verifications.create({ to: '+4412', channel: 'sms' }), 60200, 400);
    await rejects(() => svc.verifications.create({ to: '12345', channel: 'sms' }), 60200, 400);
    await rejects(
      () => svc.verifications.create({ to: freshPhone(), channel: 'email' }),
      60200,
      400,
    );
    // No route serves WhatsApp on this server.
    await rejects(
      () => svc.verifications.create({ to: freshPhone(), channel: 'whatsapp' }),
      60200,
      400,
    );
  });

  test('60205: a landline when only mobiles may get codes', async () => {
    const svc = client.verify.v2.services(service.sid);
    await rejects(
      () => svc.verifications.create({ to: '+442079460000', channel: 'sms' }),
      60205,
      400,
    );
  });

  test('60202: max check attempts (five wrong codes, then even the right one)', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    await svc.verifications.create({ to: phone, channel: 'sms' });
    const code = await codeOf(phone);
    for (let i = 1; i <= 5; i++) {
      const r = await svc.verificationChecks.create({ to: phone, code: wrongCode(code, i) });
      assert.equal(r.status, 'pending', `wrong code ${i}`);
    }
    await rejects(() => svc.verificationChecks.create({ to: phone, code }), 60202, 429);
    assert.equal((await svc.verifications(phone).fetch()).status, 'max_attempts_reached');
  });

  test('parallel checks cannot get more than five guesses', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    await svc.verifications.create({ to: phone, channel: 'sms' });
    const code = await codeOf(phone);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        svc.verificationChecks.create({ to: phone, code: wrongCode(code, i + 1) })),
    );
    const pending = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(pending.length, 5, 'exactly max_check_attempts guesses were compared');
    for (const r of refused) assert.equal(r.reason.code, 60202);
    await rejects(() => svc.verificationChecks.create({ to: phone, code }), 60202, 429);
  });

  test('60203: max send attempts (the session sends three SMS here)', async () => {
    const phone = freshPhone();
    const svc = client.verify.v2.services(service.sid);
    for (let i = 1; i <= 3; i++) await svc.verifications.create({ to: phone, channel: 'sms' });
    await rejects(() => svc.verifications.create({ to: phone, channel: 'sms' }), 60203, 429);
  });

  test('20404: a check with no verification for the number', async () => {
    const svc = client.verify.v2.services(service.sid);
    await rejects(
      () => svc.verificationChecks.create({ to: freshPhone(), code: '123456' }),
      20404,
      404,
    );
    await rejects(
      () => svc.verifications('VE00000000000000000000000000000000').fetch(),
      20404,
      404,
    );
  });

  test('20003 in Twilio\'s JSON shape without the library, and form bodies only', async () => {
    const r = await srv.call('GET', `/v2/Services/${service.sid}`, undefined, { auth: false });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, {
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    const basic = `Basic ${Buffer.from(`${ACCOUNT}:${srv.apiKey}`).toString('base64')}`;
    const json = await srv.call('POST', `/v2/Services/${service.sid}/Verifications`, {
      To: freshPhone(), Channel: 'sms',
    }, { auth: false, headers: { authorization: basic } });
    assert.equal(json.status, 400, json.text);
    assert.equal(json.body.code, 60200);
    const bad = await srv.call('POST', '/v2/Services', undefined, {
      auth: false,
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: 'FriendlyName=%zz',
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.code, 60200);
    const form = await srv.call('POST', '/v2/Services', undefined, {
      auth: false,
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: 'FriendlyName=Caf%C3%A9+%26+Co&CodeLength=6',
    });
    assert.equal(form.status, 201, form.text);
    assert.equal(form.body.friendly_name, 'Café & Co', '+ is a space, %XX a byte, UTF-8 kept');
  });
});

describe('configuration', () => {
  test('off unless twilio_account_sid is set; a malformed SID refuses to start', async () => {
    const plain = await start();
    const basic = `Basic ${Buffer.from(`${ACCOUNT}:${plain.apiKey}`).toString('base64')}`;
    const r = await plain.call('GET', `/v2/Services/${service.sid}`, undefined, {
      auth: false, headers: { authorization: basic },
    });
    assert.equal(r.status, 404);
    const bad = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', makeDataDir()], {
      IOTP_TWILIO_ACCOUNT_SID: 'AC123',
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /twilio_account_sid \(IOTP_TWILIO_ACCOUNT_SID\): 'AC' and 32 hex digits/);
  });
});

describe('fraud and geo blocks (policy/)', () => {
  let guarded;
  let gclient;
  let gservice;
  before(async () => {
    const dir = makeDataDir();
    const file = path.join(dir, 'iotp.conf');
    writeFileSync(file, [
      'fraud_prefix3_min_sent = 5', 'fraud_prefix5_min_sent = 1000', 'fraud_country_min_sent = 1000',
      '[geo]', 'allow = GB', '',
    ].join('\n'));
    guarded = await start({ IOTP_TWILIO_ACCOUNT_SID: ACCOUNT }, { args: ['--dev', '--config', file] });
    gclient = twilio(ACCOUNT, guarded.apiKey, { httpClient: loopbackClient(guarded.base) });
    gservice = await gclient.verify.v2.services.create({ friendlyName: 'guarded' });
  });

  test('60605: a country the geo permissions do not allow', async () => {
    await assert.rejects(
      () => gclient.verify.v2.services(gservice.sid).verifications.create({ to: '+33612345678', channel: 'sms' }),
      (err) => err.code === 60605 && err.status === 403 && /France \(FR\)/.test(err.message),
    );
  });

  test('60410: a number range blocked for SMS pumping (unverified codes into it)', async () => {
    const svc = gclient.verify.v2.services(gservice.sid);
    const range = Array.from({ length: 7 }, (_, i) => `+4474009876${String(10 + i).padStart(2, '0')}`);
    for (const to of range.slice(0, 5)) {
      const v = await svc.verifications.create({ to, channel: 'sms' });
      assert.equal(v.status, 'pending');
    }
    for (const to of range.slice(5)) await rejects(() => svc.verifications.create({ to, channel: 'sms' }), 60410, 403);
  });
});
