// Messages end to end: the person's language (country, app, request locale),
// right-to-left texts that keep the code intact, apps with their own keys,
// domains and Android hashes, operators' template overrides and the start-up
// refusals that name a bad template, number lookup, and iotpctl's preview.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { cleanup, IOTPD, makeDataDir, runIotpd, start } from './helpers.mjs';

const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');
const run = promisify(execFile);

const ACME_KEY = 'acme-key-0123456789abcdef';
const CONFIG = `
app_name = Demo
[app default]
languages = CH:it

[templates]
sms.de = {app}-Code: {code}. Niemals weitergeben. Gültig {minutes} Min.

[app acme]
api_key = ${ACME_KEY}
name = Acme
domain = acme.example
app_hash = FA+9qCX9VSu
sms.fr = Acme : votre code est {code}. Ne le partagez avec personne.
`;

function writeConfig(text) {
  const dir = makeDataDir('iotp-conf-');
  const file = path.join(dir, 'iotp.conf');
  writeFileSync(file, text);
  return file;
}

let srv;
let configFile;
before(async () => {
  configFile = writeConfig(CONFIG);
  // Calls are offered at once after the first SMS, so the voice test need not wait.
  srv = await start({ IOTP_VOICE_DELAYS: '0,5' }, { args: ['--dev', '--config', configFile] });
});
after(cleanup);

let seq = 0;
/** A distinct number per call: prefix + a tail that fills it to digits. */
function number(prefix, digits) {
  seq++;
  const tail = String((process.pid * 53 + seq) % 10 ** digits).padStart(digits, '0');
  return prefix + tail;
}

/** Creates a session (as app key `auth`), sends by channel, returns the text received. */
async function received(phone, { locale, sendLocale, channel = 'sms', auth = true } = {}) {
  const body = { phone };
  if (locale) body.locale = locale;
  const c = await srv.call('POST', '/v1/sessions', body, { auth });
  assert.equal(c.status, 201, c.text);
  const send = { channel };
  if (sendLocale) send.locale = sendLocale;
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, send, { auth });
  assert.equal(s.status, 200, s.text);
  const list = await srv.waitInbox(c.body.phone);
  assert.equal(list.length, 1, `one message for ${phone}`);
  assert.equal(list[0].channel, channel);
  return { id: c.body.id, text: list[0].text };
}

/** The code in a text: the ASCII digits after the first run of digits and dashes of length ≥ 7. */
function codeIn(text) {
  const m = /(\d{3}-\d{3})/.exec(text);
  assert.ok(m, `a grouped code in ${JSON.stringify(text)}`);
  return m[1].replace('-', '');
}

async function check(id, code, auth = true) {
  return srv.call('PUT', `/v1/sessions/${id}/code`, { code }, { auth });
}

describe('language', () => {
  test('a Spanish number gets Spanish, and its code verifies', async () => {
    const { id, text } = await received(number('+3461', 7));
    assert.match(text, /^Tu clave de Demo: \d{3}-\d{3}\. No la compartas con nadie\./, text);
    const r = await check(id, codeIn(text));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.verified, true);
  });

  test('a Brazilian number gets Portuguese, a Japanese one Japanese', async () => {
    assert.match((await received(number('+5511 9', 8))).text, /Não compartilhe/);
    assert.match((await received(number('+81901', 7))).text, /Demo/);
    assert.match((await received(number('+81901', 7))).text, /[\u3040-\u30ff]/, 'kana in the Japanese text');
  });

  test("the locale given at creation wins over the number's country", async () => {
    const { text } = await received(number('+3461', 7), { locale: 'fr-CA' });
    assert.match(text, /^Votre code Demo : \d{3}-\d{3}/, text);
  });

  test('a locale given with the send wins over the one given at creation', async () => {
    const { text } = await received(number('+3461', 7), { locale: 'fr', sendLocale: 'en-GB' });
    assert.match(text, /^Your Demo code: \d{3}-\d{3}\. Don't share this code with anyone\./, text);
  });

  test('a locale iotp has no language for falls back to the country', async () => {
    const { text } = await received(number('+3461', 7), { locale: 'tlh' });
    assert.match(text, /^Tu clave de Demo/, text);
  });

  test("the app's language for a country wins over the country's main language", async () => {
    // Switzerland's main language is German; [app default] asks for Italian.
    const { text } = await received(number('+4179', 7));
    assert.match(text, /Demo/);
    assert.match(text, /Non condividerlo|non condividere/i, text);
  });

  test('an Arabic message keeps its code readable: ASCII digits, in order, isolated', async () => {
    const { id, text } = await received(number('+96650', 7));
    assert.match(text, /[\u0600-\u06ff]/, 'Arabic script');
    // The code sits inside a left-to-right isolate (U+2066 … U+2069), so a
    // right-to-left line cannot reorder its digits.
    const m = /\u2066(\d{3}-\d{3})\u2069/.exec(text);
    assert.ok(m, `isolated code in ${JSON.stringify(text)}`);
    const r = await check(id, m[1]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.verified, true);
  });

  test('a voice call reads the digits one by one, twice, in the language', async () => {
    const c = await srv.call('POST', '/v1/sessions', { phone: number('+3461', 7) });
    assert.equal(c.status, 201, c.text);
    // Voice is offered after the first SMS.
    assert.equal((await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {})).status, 200);
    const sms = (await srv.waitInbox(c.body.phone))[0].text;
    const code = codeIn(sms);
    const r = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'voice' });
    assert.equal(r.status, 200, r.text);
    const voice = (await srv.waitInbox(c.body.phone, 2))[0];
    const spoken = code.split('').join(', ');
    assert.equal(voice.text.split(spoken).length - 1, 2, voice.text);
  });
});

describe('apps', () => {
  test("another app's key: its name, its French template, its domain and hash lines", async () => {
    const { id, text } = await received(number('+3361', 7), { auth: ACME_KEY });
    const lines = text.split('\n');
    assert.equal(lines.length, 3, text);
    assert.match(lines[0], /^Acme : votre code est \d{3}-\d{3}\. Ne le partagez avec personne\.$/);
    assert.equal(lines[1], 'FA+9qCX9VSu');
    const code = /#(\d{6})$/.exec(lines[2]);
    assert.ok(code, lines[2]);
    assert.equal(lines[2], `@acme.example #${code[1]}`);
    assert.ok(lines[0].includes(code[1].slice(0, 3) + '-' + code[1].slice(3)), 'the same code in the text and the origin-bound line');
    const r = await check(id, code[1], ACME_KEY);
    assert.equal(r.status, 200, r.text);
  });

  test("the operator's [templates] override applies to every app without its own", async () => {
    const { text } = await received(number('+49151', 8));
    assert.match(text, /^Demo-Code: \d{3}-\d{3}\. Niemals weitergeben\. Gültig 10 Min\.$/, text);
    const acme = await received(number('+49151', 8), { auth: ACME_KEY });
    assert.match(acme.text, /^Acme-Code: \d{3}-\d{3}\./, 'with the app\'s own name');
  });

  test('an unknown key is refused', async () => {
    const r = await srv.call('POST', '/v1/sessions', { phone: number('+3461', 7) }, { auth: 'not-a-key' });
    assert.equal(r.status, 401, r.text);
  });
});

describe('start-up refusals name the template', () => {
  const cases = [
    ['[templates]\nsms.es = Tu código.\n', /\[templates\].*sms\.es.*\{code\}/s],
    ['[templates]\nsms.es = Código {code} {nombre}\n', /sms\.es.*\{nombre\}/s],
    ['[templates]\nsms.xx = {code}\n', /no built-in language 'xx'/],
    ['[templates]\nsms.en = ' + 'Your code is {code}. '.repeat(12) + '\n', /segment/],
    ['[app acme]\nname = Acme\n', /\[app acme\].*api_key/],
    ['[app acme]\napi_key = k\nname = A\npasword = x\n', /unknown setting 'pasword'/],
    ['[app default]\nlanguages = XX:es\n', /'XX' is not a region/],
  ];
  for (const [conf, want] of cases) {
    test(JSON.stringify(conf.slice(0, 40)), async () => {
      const file = writeConfig(conf);
      const r = await runIotpd(['--dev', '--config', file, '--listen', '127.0.0.1:0', '--data', makeDataDir()]);
      assert.equal(r.code, 2, `exit 2, got ${JSON.stringify(r)}`);
      assert.match(r.stderr, want);
      assert.ok(r.stderr.includes(file), `names the file: ${r.stderr}`);
    });
  }
});

describe('lookup', () => {
  test('a valid number: formats, country, type and the language a message would use', async () => {
    const r = await srv.call('GET', `/v1/lookup/${encodeURIComponent('+34 612 34 56 78')}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      {
        valid: r.body.valid, e164: r.body.e164, region: r.body.region, country_name: r.body.country_name,
        calling_code: r.body.calling_code, number_type: r.body.number_type,
        national_format: r.body.national_format, international_format: r.body.international_format,
        code_allowed: r.body.code_allowed,
      },
      {
        valid: true, e164: '+34612345678', region: 'ES', country_name: 'Spain', calling_code: 34,
        number_type: 'mobile', national_format: '612 34 56 78', international_format: '+34 612 34 56 78',
        code_allowed: true,
      },
    );
    assert.equal(r.body.language.tag, 'es');
    assert.equal(r.body.language.reason, 'country');
  });

  test('a national number with ?region, and a locale', async () => {
    const r = await srv.call('GET', '/v1/lookup/07400123456?region=GB&locale=pt-BR');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.e164, '+447400123456');
    assert.equal(r.body.language.tag, 'pt');
    assert.equal(r.body.language.reason, 'locale');
  });

  test("the app's language for the country shows", async () => {
    const r = await srv.call('GET', `/v1/lookup/${encodeURIComponent('+41791234567')}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.language.tag, 'it');
    assert.equal(r.body.language.reason, 'app');
  });

  test('an invalid number gets the same error as session creation', async () => {
    for (const [typed, code] of [['+44 74', 'too_short'], ['07400123456', 'missing_country_code'], ['+999 1234', 'invalid_country_code']]) {
      const l = await srv.call('GET', `/v1/lookup/${encodeURIComponent(typed)}`);
      const c = await srv.call('POST', '/v1/sessions', { phone: typed });
      assert.equal(l.status, 422, l.text);
      assert.equal(c.status, 422, c.text);
      assert.equal(l.body.error.code, code);
      assert.deepEqual(l.body.error, c.body.error);
    }
  });

  test('a premium-rate number is valid but gets no code, and says why', async () => {
    const r = await srv.call('GET', `/v1/lookup/${encodeURIComponent('+44 901 234 5678')}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.valid, true);
    assert.equal(r.body.number_type, 'premium_rate');
    assert.equal(r.body.code_allowed, false);
    assert.equal(r.body.refusal.code, 'unsupported_number_type');
  });

  test('needs an app key, and refuses a malformed locale', async () => {
    assert.equal((await srv.call('GET', '/v1/lookup/%2B34612345678', undefined, { auth: false })).status, 401);
    const r = await srv.call('GET', '/v1/lookup/%2B34612345678?locale=%3Cx%3E');
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.field, 'locale');
  });
});

describe('lookup limits', () => {
  test('lookups have their own limit, apart from sessions', async () => {
    const file = writeConfig('[limits]\nlookup.ip = 3/1m\n');
    const own = await start({}, { args: ['--dev', '--config', file] });
    for (let i = 0; i < 3; i++)
      assert.equal((await own.call('GET', '/v1/lookup/%2B34612345678')).status, 200);
    const r = await own.call('GET', '/v1/lookup/%2B34612345678');
    assert.equal(r.status, 429, r.text);
    assert.equal(r.body.error.code, 'rate_limited_ip');
    assert.equal(r.body.error.limit, 'lookup.ip');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    // An invalid number counts too (a scraper cannot dodge by typos).
    assert.equal((await own.call('GET', '/v1/lookup/%2B4474')).status, 429);
    // Sessions are limited apart.
    assert.equal((await own.call('POST', '/v1/sessions', { phone: '+34612345678' })).status, 201);
  });
});

describe('iotpctl template preview', () => {
  test('prints the texts, the language and why, the encoding and the segments', async () => {
    const { stdout } = await run(IOTPCTL, ['--dev', '--config', configFile, 'template', 'preview', '--phone', '+966501234567']);
    assert.match(stdout, /^language  ar \(Arabic\) — ar: the main language of SA$/m);
    assert.match(stdout, /^sms       UCS-2, 1 segment, \d+ of 70 UCS-2 units/m);
    assert.match(stdout, /\u2066123-456\u2069/);
    assert.match(stdout, /<speak version="1\.0".*xml:lang="ar-SA"/);
  });

  test("an app's own template and a locale", async () => {
    const { stdout } = await run(IOTPCTL, ['--dev', '--config', configFile, 'template', 'preview', '--phone', '+33612345678', '--app', 'acme']);
    assert.match(stdout, /the operator's template/);
    assert.match(stdout, /^Acme : votre code est 123-456\./m);
    assert.match(stdout, /^@acme\.example #123456$/m);
    const en = await run(IOTPCTL, ['--dev', '--config', configFile, 'template', 'preview', '--phone', '+33612345678', '--locale', 'en']);
    assert.match(en.stdout, /^language  en \(English\) — en: the request's locale 'en'$/m);
    assert.match(en.stdout, /^sms       GSM-7, 1 segment/m);
  });

  test('an unknown app is an error', async () => {
    await assert.rejects(
      run(IOTPCTL, ['--dev', '--config', configFile, 'template', 'preview', '--phone', '+33612345678', '--app', 'nope']),
      (e) => e.code === 2 && /no app 'nope'/.test(e.stderr),
    );
  });
});
