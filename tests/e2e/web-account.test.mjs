// The registration page after "verified", in a real browser: register this
// browser as the number's device, set a two-step PIN, change the number (a
// code to the current number, then one to the new), each refusal the API
// gives shown in words; another device then needs the PIN to take the number,
// and the first device is signed out. Keyboard only where a person would use
// it, and the same steps in Arabic, laid out right to left.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ARTIFACTS, launchBrowser, newPage as openPage } from './browser.mjs';
import { cleanup, freshPhone, start } from './helpers.mjs';

const ADMIN = 'admin-web-account-0123456789';

let srv, browser;
const problems = [];

before(async () => {
  srv = await start({ IOTP_ADMIN_KEY: ADMIN });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  cleanup();
});

const newPage = () => openPage(browser, problems);
const text = (page, sel) => page.locator(sel).textContent();
const focused = (page) => page.evaluate(() => document.activeElement.id);

/** Asks for a code for e164 on the number step (already shown), reads it off
 *  the simulated phone (the newest SMS, at the bottom) and types it. */
async function verifyOnPage(page, e164) {
  await page.locator('#step-number').waitFor({ state: 'visible' });
  await page.locator('#phone').fill(e164);
  const before = (await srv.inbox(e164)).length;
  await page.locator('#send').click();
  await page.waitForFunction(() => !document.getElementById('step-code').hidden || document.getElementById('error').textContent);
  assert.equal(await page.locator('#step-code').isVisible(), true, await page.locator('#error').textContent());
  const sms = page.locator('#sms-list .sms-text');
  await page.waitForFunction((n) => document.querySelectorAll('#sms-list .sms-text').length > n, before);
  // The whole SMS, as a person pastes it: the page takes the code out of it.
  await page.locator('#code').fill(await sms.last().textContent()); // newest last, as in a chat
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('step-code').hidden || document.getElementById('error').textContent);
  assert.equal(await page.locator('#step-code').isHidden(), true, await page.locator('#error').textContent());
}

async function timeline(e164) {
  const r = await srv.call('GET', `/v1/admin/numbers/${encodeURIComponent(e164)}`, undefined, { auth: ADMIN });
  assert.equal(r.status, 200);
  return r.body;
}

const first = freshPhone(), second = freshPhone();

describe('after "verified"', () => {
  test('register this device, set a PIN, change the number; another device then needs the PIN', async () => {
    const page = await newPage();
    await page.goto(`${srv.base}/?lang=en`);
    await page.locator('#country option[value="GB"]').waitFor({ state: 'attached' });
    await verifyOnPage(page, first);
    await page.locator('#step-done').waitFor({ state: 'visible' });
    assert.equal(await focused(page), 'done-title');

    // Register, by keyboard: Tab reaches the button first.
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'to-register');
    await page.keyboard.press('Enter');
    await page.locator('#step-register').waitFor({ state: 'visible' });
    assert.equal(await focused(page), 'register-title');
    assert.equal(await page.locator('#device-name').inputValue(), 'My browser', 'a name to start from');
    // A device needs a name: the API's refusal, in words.
    await page.locator('#device-name').fill('');
    await page.locator('#device-name').press('Enter');
    await page.locator('#error', { hasText: 'Give this device a name, up to 64 characters.' }).waitFor();
    assert.equal(await focused(page), 'device-name');
    await page.keyboard.type('Ana’s laptop');
    await page.keyboard.press('Enter');
    await page.locator('#step-account').waitFor({ state: 'visible' });
    assert.equal(await focused(page), 'account-title');
    assert.equal(await text(page, '#account-status'), 'This device is registered.');
    assert.equal(await text(page, '#acc-phone'), first);
    assert.equal(await text(page, '#acc-device'), 'Ana’s laptop');
    assert.equal(await text(page, '#acc-pin'), 'Off');
    assert.equal(await text(page, '#error'), '');
    let t = await timeline(first);
    assert.equal(t.accounts.length, 1);
    assert.equal(t.accounts[0].device_name, 'Ana’s laptop');
    assert.equal(t.accounts[0].pin, false);

    // A two-step PIN: two that differ, one too short (the server's refusal), then one.
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'to-pin');
    await page.keyboard.press('Enter');
    await page.locator('#step-pin').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#pin1').getAttribute('inputmode'), 'numeric');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'pin1');
    await page.keyboard.type('123456');
    await page.keyboard.press('Tab');
    await page.keyboard.type('123457');
    await page.keyboard.press('Enter');
    await page.locator('#error', { hasText: 'The two PINs differ. Type the same 6 digits twice.' }).waitFor();
    assert.equal(await focused(page), 'pin2');
    await page.locator('#pin1').fill('24681');
    await page.locator('#pin2').fill('24681');
    await page.locator('#pin2').press('Enter');
    await page.locator('#error', { hasText: 'The PIN must be exactly 6 digits.' }).waitFor();
    await page.locator('#pin1').fill('246810');
    await page.locator('#pin2').fill('246810');
    await page.locator('#pin2').press('Enter');
    await page.locator('#step-account').waitFor({ state: 'visible' });
    assert.equal(await text(page, '#account-status'), 'Your two-step PIN is on.');
    assert.equal(await text(page, '#acc-pin'), 'On');
    assert.equal((await timeline(first)).accounts[0].pin, true);

    // Change of number: a code to the current number first.
    await page.locator('#to-change').click();
    await page.locator('#step-number').waitFor({ state: 'visible' });
    assert.match(await text(page, '#purpose'), new RegExp(`^Step 1 of 2: confirm your current number, \\${first}, with a code\\.$`));
    assert.equal(await page.locator('#phone').inputValue(), first);
    await verifyOnPage(page, first);
    // Then the new one; the same number again is refused, in words.
    await page.locator('#purpose', { hasText: 'Step 2 of 2: your new number.' }).waitFor();
    assert.equal(await focused(page), 'phone');
    assert.equal(await page.locator('#phone').inputValue(), '');
    await verifyOnPage(page, first);
    await page.locator('#error', { hasText: 'That is already this account’s number. Enter a different one.' }).waitFor();
    assert.equal(await focused(page), 'phone');
    await verifyOnPage(page, second);
    await page.locator('#step-account').waitFor({ state: 'visible' });
    assert.equal(await text(page, '#account-status'), `Your account is now on ${second}.`);
    assert.equal(await text(page, '#acc-phone'), second);
    assert.equal(await page.locator('#purpose').isHidden(), true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'account.png') });
    t = await timeline(second);
    assert.equal(t.accounts.length, 1);
    assert.equal((await timeline(first)).accounts.length, 0, 'the old number has no account now');

    // Another device verifies the new number: its PIN is asked, a wrong one
    // counts, the right one registers it.
    const other = await newPage();
    await other.goto(`${srv.base}/?lang=en`);
    await other.locator('#country option[value="GB"]').waitFor({ state: 'attached' });
    await verifyOnPage(other, second);
    await other.locator('#to-register').click();
    await other.locator('#device-name').fill('Ana’s new phone');
    await other.locator('#device-name').press('Enter');
    await other.locator('#error', { hasText: 'This number has a two-step PIN. Enter it to go on.' }).waitFor();
    assert.equal(await other.locator('#reg-pin-box').isVisible(), true);
    assert.equal(await focused(other), 'reg-pin');
    await other.keyboard.type('111111');
    await other.keyboard.press('Enter');
    await other.locator('#error', { hasText: 'That PIN is not right.' }).waitFor();
    assert.equal(await text(other, '#reg-pin-hint'), '9 attempts left.');
    await other.locator('#reg-pin').fill('246810');
    await other.keyboard.press('Enter');
    await other.locator('#step-account').waitFor({ state: 'visible' });
    assert.equal(await text(other, '#acc-device'), 'Ana’s new phone');
    assert.equal(await text(other, '#acc-pin'), 'On');

    // The first device was signed out: what it tries next says so.
    await page.locator('#to-pin').click();
    await page.locator('#pin1').fill('135790');
    await page.locator('#pin2').fill('135790');
    await page.locator('#pin2').press('Enter');
    await page.locator('#error', { hasText: 'This device is no longer registered' }).waitFor();
    await page.close();
    await other.close();
  });

  test('the account steps in Arabic read right to left, numbers and PINs left to right', async () => {
    const e164 = freshPhone();
    const page = await newPage();
    await page.goto(`${srv.base}/?lang=ar`);
    await page.locator('#country option[value="GB"]').waitFor({ state: 'attached' });
    await verifyOnPage(page, e164);
    assert.equal(await text(page, '#to-register'), 'سجّل هذا الجهاز');
    await page.locator('#to-register').click();
    await page.locator('#device-name').fill('');
    await page.locator('#device-name').press('Enter');
    await page.locator('#error', { hasText: 'أعطِ هذا الجهاز اسمًا' }).waitFor();
    await page.locator('#device-name').fill('هاتف سارة');
    await page.locator('#device-name').press('Enter');
    await page.locator('#step-account').waitFor({ state: 'visible' });
    assert.equal(await text(page, '#account-title'), 'حسابك');
    assert.equal(await text(page, '#account-status'), 'تم تسجيل هذا الجهاز.');

    // Laid out from the right: a label right of its value, the heading flush
    // right, the number itself left to right.
    const box = async (sel) => page.locator(sel).boundingBox();
    const dt = await box('.facts dt >> nth=0'), dd = await box('#acc-phone');
    assert.ok(dt.x > dd.x, `label (${dt.x}) right of the number (${dd.x})`);
    const main = await box('#main'), head = await page.evaluate(() => {
      const r = document.createRange();
      r.selectNodeContents(document.getElementById('account-title'));
      return r.getBoundingClientRect().right;
    });
    assert.ok(main.x + main.width - head < 40, `heading flush right (${head} of ${main.x + main.width})`);
    assert.equal(await page.locator('#acc-phone bdi').getAttribute('dir'), 'ltr');
    assert.equal(await text(page, '#acc-phone'), e164);
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('step-account')).direction), 'rtl');
    const btns = [await box('#to-pin'), await box('#to-change')];
    assert.ok(btns[0].x > btns[1].x, 'the first button on the right');

    // The PIN step: fields left to right, its refusal in Arabic.
    await page.locator('#to-pin').click();
    assert.equal(await text(page, '#pin-title'), 'عيّن رمز التحقق بخطوتين');
    assert.equal(await page.locator('#pin1').getAttribute('dir'), 'ltr');
    await page.locator('#pin1').fill('112233');
    await page.locator('#pin2').fill('112234');
    await page.locator('#pin2').press('Enter');
    await page.locator('#error', { hasText: 'الرمزان مختلفان' }).waitFor();
    await page.locator('#pin1').fill('12');
    await page.locator('#pin2').fill('12');
    await page.locator('#pin2').press('Enter');
    await page.locator('#error', { hasText: 'يجب أن يتكون الرمز من 6 أرقام بالضبط.' }).waitFor();
    const pin = await box('#pin1'), label = await box('label[for=pin1]');
    assert.ok(label.x + label.width > pin.x + pin.width - 2, 'the label starts at the right edge');
    await page.screenshot({ path: path.join(ARTIFACTS, 'arabic-pin.png') });
    // Change of number, step 1, says which number in Arabic.
    await page.locator('#step-pin button.back').click();
    await page.locator('#to-change').click();
    assert.match(await text(page, '#purpose'), /^الخطوة 1 من 2: أكّد رقمك الحالي/);
    assert.equal(await page.locator('#purpose bdi').textContent(), e164);
    await page.close();
  });

  test('no console error and no Content-Security-Policy refusal', () => {
    assert.deepEqual(problems, []);
  });
});
