// The registration page and the operator dashboard in a real browser:
// Debian's Chromium, headless, driven by playwright-core (nothing downloaded).
// A person registers a number reading the code off the simulated phone, sees
// the countdown, types a wrong code first; the Arabic page reads right to left
// with its errors in Arabic; the operator finds the verification and the
// number's timeline on the dashboard and lifts a fraud block. Screenshots go
// to tests/e2e/artifacts/ (not committed; docs/img/ holds two of them).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ARTIFACTS, launchBrowser, newPage as openPage } from './browser.mjs';
import { cleanup, codeFromSms, freshPhone, makeDataDir, start, wrongCode } from './helpers.mjs';

const ADMIN = 'admin-web-0123456789abcdef';
const PUMP = 'fraud_prefix3_min_sent = 5\nfraud_prefix5_min_sent = 1000\nfraud_country_min_sent = 1000\n';

let srv, browser;
const problems = []; // console errors, CSP refusals and page errors, from every page

before(async () => {
  const dir = makeDataDir();
  const conf = path.join(dir, 'iotp.conf');
  writeFileSync(conf, PUMP);
  srv = await start({ IOTP_ADMIN_KEY: ADMIN }, { args: ['--dev', '--config', conf] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  cleanup();
});

const newPage = () => openPage(browser, problems);

const national = (e164) => `0${e164.slice(3, 7)} ${e164.slice(7)}`;
const phone = freshPhone();
let smsText = '';

describe('registration page', () => {
  test('a number registered end to end: countdown, the code read off the simulated phone, a wrong code first', async () => {
    const page = await newPage();
    await page.goto(`${srv.base}/?lang=en`);
    await page.locator('#country option[value="GB"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('html').getAttribute('dir'), 'ltr');
    assert.equal(await page.locator('#country').inputValue(), 'GB', 'the browser\'s region is the first guess');
    assert.match(await page.locator('#country option[value="GB"]').textContent(), /^🇬🇧 United Kingdom \(\+44\)$/);
    assert.match(await page.locator('#phone-hint').textContent(), /For example .*\+44 7400 123456/);

    // Keyboard only: the country, the number, then the button, in that order.
    await page.locator('#country').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'phone');
    await page.keyboard.type(national(phone));
    // The server's lookup says what was typed, formatted.
    await page.locator('#number-info', { hasText: '+44 74' }).waitFor();
    assert.match(await page.locator('#number-info').textContent(), /mobile/);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'send');
    await page.keyboard.press('Enter');

    await page.locator('#step-code').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'code', 'focus moves to the code');
    assert.equal(await page.locator('#code').getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await page.locator('#code').getAttribute('inputmode'), 'numeric');
    assert.match(await page.locator('#sent-to').textContent(), /We sent a code to .*\+44 74/);
    // The countdown until another SMS (from the session's next_sms); call me
    // waits too (next_call).
    assert.match(await page.locator('#countdown').textContent(), /You can ask for a new SMS in [01]:\d\d\./);
    assert.match(await page.locator('#countdown').textContent(), /We can call you in [01]:\d\d\./);
    assert.ok(await page.locator('#resend').isDisabled(), 'resend waits for the countdown');
    assert.ok(await page.locator('#call').isDisabled(), 'call me waits too');

    // The simulated phone shows the SMS as a phone would.
    const sms = page.locator('#sms-list .sms-text').first();
    await sms.waitFor();
    smsText = await sms.textContent();
    assert.match(smsText, /^Your iotp code: \d{3}-\d{3}\./);
    assert.equal(await page.locator('#sms-list .sms-from').first().textContent(), 'iotp');
    assert.match(await page.locator('#phone-to').textContent(), new RegExp(`Messages to .*\\${phone}`));
    const code = codeFromSms(smsText);
    await page.screenshot({ path: path.join(ARTIFACTS, 'registration.png') });

    // A wrong code: the message, and how many tries are left.
    await page.locator('#code').fill(wrongCode(code));
    await page.keyboard.press('Enter');
    await page.locator('#error', { hasText: 'That code is not right. Check the SMS and try again.' }).waitFor();
    assert.equal(await page.locator('#attempts').textContent(), '4 attempts left.');
    await page.screenshot({ path: path.join(ARTIFACTS, 'wrong-code.png') });

    // The whole SMS pasted: the page takes the code out of it.
    await page.locator('#code').fill('');
    await page.locator('#code').focus();
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.setData('text', text);
      document.getElementById('code').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, smsText);
    assert.equal(await page.locator('#code').inputValue(), code);
    await page.keyboard.press('Enter');
    await page.locator('#step-done').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#done-title').textContent(), 'Verified');
    assert.match(await page.locator('#done-text').textContent(), /is yours/);
    assert.equal(await page.locator('#error').textContent(), '');
    await page.screenshot({ path: path.join(ARTIFACTS, 'verified.png') });

    // The server agrees.
    const [m] = await srv.inbox(phone);
    assert.equal(m.text, smsText);
    await page.close();
  });

  test('the Arabic page reads right to left, with its errors in Arabic', async () => {
    const page = await newPage();
    await page.goto(`${srv.base}/?lang=ar`);
    await page.locator('#country option[value="GB"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('html').getAttribute('lang'), 'ar');
    assert.equal(await page.locator('h1').textContent(), 'تحقّق من رقم هاتفك');
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('main')).direction), 'rtl');
    // Laid out from the right: the name at the bar's right end, the form to
    // the right of the phone, labels flush right.
    const box = async (sel) => page.locator(sel).boundingBox();
    const brand = await box('#brand'), lang = await box('.lang');
    assert.ok(brand.x > lang.x, `brand (${brand.x}) right of the language picker (${lang.x})`);
    const main = await box('#main'), sim = await box('#phone-sim');
    assert.ok(main.x > sim.x, `form (${main.x}) right of the phone (${sim.x})`);
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('label[for=phone]')).textAlign), 'start');
    const label = await page.evaluate(() => {
      const r = document.createRange();
      r.selectNodeContents(document.querySelector('label[for=phone]'));
      const t = r.getBoundingClientRect(), m = document.getElementById('main').getBoundingClientRect();
      return { textRight: t.right, textLeft: t.left, mainRight: m.right, mainLeft: m.left };
    });
    assert.ok(label.mainRight - label.textRight < 40 && label.textLeft - label.mainLeft > 200, JSON.stringify(label));
    // Country names in Arabic; the number itself stays left to right.
    assert.match(await page.locator('#country option[value="GB"]').textContent(), /المملكة المتحدة/);
    assert.equal(await page.locator('#phone').getAttribute('dir'), 'ltr');
    assert.equal(await page.locator('#phone-hint bdi').getAttribute('dir'), 'ltr');
    assert.equal(await page.locator('#phone-hint bdi').textContent(), '+44 7400 123456');

    // An error the API gives, in Arabic.
    await page.locator('#phone').fill('0740');
    await page.locator('#send').click();
    await page.locator('#error', { hasText: 'الرقم قصير جدًا' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'arabic.png') });
    // Switching language on the page turns it back.
    await page.locator('#lang').selectOption('en');
    assert.equal(await page.locator('html').getAttribute('dir'), 'ltr');
    assert.equal(await page.locator('h1').textContent(), 'Verify your phone number');
    await page.close();
  });

  test('strict Content-Security-Policy on every page, and nothing it refused', async () => {
    for (const p of ['/', '/admin', '/web/page.js', '/web/admin.css']) {
      const r = await srv.call('GET', p, undefined, { auth: false });
      assert.equal(r.status, 200, p);
      assert.match(r.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'; style-src 'self'/, p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    }
    assert.equal((await srv.call('GET', '/web/nothing.js', undefined, { auth: false })).status, 404);
  });
});

describe('operator dashboard', () => {
  test('the new verification, the number masked until asked, its timeline, and a fraud block lifted', async () => {
    // A pumped range for the fraud panel.
    for (let i = 10; i < 16; i++) {
      const c = await srv.call('POST', '/v1/sessions', { phone: `+4474009876${i}` });
      if (c.status === 201) await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
    }
    const page = await newPage();
    await page.goto(`${srv.base}/admin`);
    // Keyboard: the key field has focus; Enter signs in.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'key');
    await page.keyboard.type('wrong-key');
    await page.keyboard.press('Enter');
    await page.locator('#login-error', { hasText: 'Missing or wrong admin key' }).waitFor();
    await page.locator('#key').fill(ADMIN);
    await page.keyboard.press('Enter');
    await page.locator('#main').waitFor({ state: 'visible' });

    const row = page.locator('#recent tbody tr', { hasText: 'verified' });
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    const shown = await row.first().locator('td').nth(1).textContent();
    assert.match(shown, /^\+4474•+\d\d$/, 'masked');
    assert.ok(!(await page.locator('#recent').textContent()).includes(phone), 'no full number until asked');
    assert.equal(await page.locator('#t-verified').textContent(), '1');
    assert.match(await page.locator('#c-flow svg').getAttribute('aria-label'), /1 verified/);
    // Ours verified; the five pumped codes were not (the sixth was blocked): 1 of 6.
    assert.match(await page.locator('#c-country svg').getAttribute('aria-label'), /GB 17%/);
    assert.ok(await page.locator('#c-flow svg rect.verified').count() > 0);
    // Fraud: the pumped range is blocked.
    const block = page.locator('#blocks tbody tr', { hasText: '+447400987' });
    await block.waitFor();
    assert.match(await block.textContent(), /blocked/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Show numbers, then the timeline of ours.
    await page.locator('#reveal').click();
    await page.locator('#recent tbody tr', { hasText: phone }).waitFor();
    assert.equal(await page.locator('#reveal').getAttribute('aria-pressed'), 'true');
    await page.locator('#q').fill(phone);
    await page.locator('#q').press('Enter');
    await page.locator('#timeline li').first().waitFor();
    const timeline = await page.locator('#timeline').textContent();
    for (const t of ['session.created', 'message.queued', 'message.hand_over', 'check.wrong', 'check.right', 'session.verified'])
      assert.ok(timeline.includes(t), `${t} in the timeline`);
    assert.match(timeline, /code checked right after 2 checks/);
    assert.match(await page.locator('#n-summary').textContent(), /1 session\(s\), 1 verified, 2 check\(s\), 0 limit\(s\) hit/);
    assert.equal(await page.locator('#timeline li.check-wrong').count(), 1);
    assert.ok(!timeline.includes(codeFromSms(smsText)), 'never the code');
    assert.match(await page.locator('#n-phone').textContent(), /^\+4474•+\d\d$/);
    await page.locator('#n-reveal').click();
    assert.equal(await page.locator('#n-phone').textContent(), phone);
    await page.locator('section[aria-labelledby=h-search]').screenshot({ path: path.join(ARTIFACTS, 'timeline.png') });

    // Another time range: the figures are asked for again over it.
    const week = page.waitForResponse((r) => r.url().includes('/v1/admin/stats?range=7d') && r.status() === 200);
    await page.locator('#range').selectOption('7d');
    await week;
    await page.locator('#t-verified', { hasText: '1' }).waitFor();

    // Lift the block with its button.
    await block.locator('button', { hasText: 'Lift' }).click();
    await page.locator('#status', { hasText: 'Lifted the measure' }).waitFor();
    await page.locator('#no-blocks').waitFor({ state: 'visible' });
    assert.deepEqual((await srv.call('GET', '/v1/admin/blocks', undefined, { auth: ADMIN })).body.blocks, []);
    await page.close();
  });

  test('no console error and no Content-Security-Policy refusal on any page', () => {
    assert.deepEqual(problems, []);
  });
});
