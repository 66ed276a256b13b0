// The reference for src/phone: the contract of src/phone/phone.h computed with
// Google's JavaScript libphonenumber (npm google-libphonenumber, the package
// tools/phone_metadata.mjs generates iotp's metadata from), and a corpus of
// numbers typed the ways people type them.
//
// referenceLine() gives, for one (input, region), the exact line that
// `iotpctl phone check -` prints: status, E.164, region, calling code, type,
// national and international forms. It follows phone.cc's wrapper step by step
// (the 64-byte cap, "00" read as '+' without a region, the country guessed for
// refusals, the caller's region for invalid numbers) so that any difference
// left is one of the numbering plans or of the library.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const lib = require('google-libphonenumber');
export const referencePackage = `google-libphonenumber ${require('google-libphonenumber/package.json').version}`;

const U = lib.PhoneNumberUtil;
const util = U.getInstance();
const PNF = lib.PhoneNumberFormat;
const T = lib.PhoneNumberType;
const VR = U.ValidationResult;

const INPUT_MAX = 64; // PHONE_INPUT_MAX
const E164_MAX = 16; // PHONE_E164_MAX

const supported = new Set(util.getSupportedRegions());
const regionKnown = (r) => typeof r === 'string' && r.length === 2 && supported.has(r);

const typeNames = new Map([
  [T.FIXED_LINE, 'fixed_line'], [T.MOBILE, 'mobile'], [T.FIXED_LINE_OR_MOBILE, 'fixed_line_or_mobile'],
  [T.TOLL_FREE, 'toll_free'], [T.PREMIUM_RATE, 'premium_rate'], [T.SHARED_COST, 'shared_cost'],
  [T.VOIP, 'voip'], [T.PERSONAL_NUMBER, 'personal_number'], [T.PAGER, 'pager'], [T.UAN, 'uan'],
  [T.VOICEMAIL, 'voicemail'],
]);

function mainRegion(cc) {
  if (cc < 1 || cc > 999) return '';
  const r = util.getRegionCodeForCountryCode(cc);
  return r.length === 2 && r !== 'ZZ' ? r : '';
}

function setCountry(out, cc) {
  out.region = mainRegion(cc);
  out.cc = cc;
}

function guessCountry(digits, international, region, out) {
  if (!international) {
    if (regionKnown(region)) {
      out.region = region;
      out.cc = util.getCountryCodeForRegion(region);
    }
    return;
  }
  let cc = 0;
  let n = 0;
  for (const ch of digits) {
    if (n >= 3) break;
    if (ch < '0' || ch > '9') continue;
    cc = cc * 10 + (ch.charCodeAt(0) - 48);
    n++;
    if (util.getRegionCodeForCountryCode(cc) !== 'ZZ') {
      setCountry(out, cc);
      return;
    }
  }
}

const parseErrors = new Map([
  [lib.Error.INVALID_COUNTRY_CODE, 'invalid_country_code'],
  [lib.Error.TOO_SHORT_AFTER_IDD, 'too_short'],
  [lib.Error.TOO_SHORT_NSN, 'too_short'],
  [lib.Error.TOO_LONG, 'too_long'],
]);

function parse(input, region, out) {
  const haveRegion = !!region;
  const at = input.search(/[+0-9]/);
  const start = at < 0 ? '' : input.slice(at);
  const idd00 = !haveRegion && start.startsWith('00');
  const international = start[0] === '+' || idd00;
  const digits = start.slice(idd00 ? 2 : international ? 1 : 0);

  if (Buffer.byteLength(input, 'utf8') > INPUT_MAX) {
    guessCountry(digits, international, region, out);
    return 'too_long';
  }
  if (!/[0-9]|[^\x00-\x7f]/.test(input)) {
    guessCountry(digits, international, region, out);
    return 'invalid_number';
  }
  const text = idd00 ? input.slice(0, at) + '+' + input.slice(at + 2) : input;
  const def = regionKnown(region) ? region : 'ZZ';
  let n;
  try {
    n = util.parse(text, def);
  } catch (e) {
    guessCountry(digits, international, region, out);
    const st = parseErrors.get(e.message) || 'invalid_number';
    if (st === 'invalid_country_code' && !international && !haveRegion) return 'missing_country_code';
    return st;
  }
  const cc = n.getCountryCode();
  if (!util.isValidNumber(n)) {
    if (regionKnown(region) && util.getCountryCodeForRegion(region) === cc) {
      out.region = region;
      out.cc = cc;
    } else {
      setCountry(out, cc);
    }
    switch (util.isPossibleNumberWithReason(n)) {
      case VR.TOO_SHORT:
      case VR.IS_POSSIBLE_LOCAL_ONLY:
        return 'too_short';
      case VR.TOO_LONG:
        return 'too_long';
      case VR.INVALID_COUNTRY_CODE:
        return 'invalid_country_code';
      default:
        return 'invalid_number';
    }
  }
  const e164 = util.format(n, PNF.E164);
  if (e164.length > E164_MAX) {
    setCountry(out, cc);
    return 'too_long';
  }
  const r = util.getRegionCodeForNumber(n);
  setCountry(out, cc);
  if (r && r.length === 2 && r !== 'ZZ') out.region = r;
  out.e164 = e164;
  out.type = typeNames.get(util.getNumberType(n)) || 'unknown';
  return 'ok';
}

function format(e164, intl) {
  try {
    return util.format(util.parse(e164, 'ZZ'), intl ? PNF.INTERNATIONAL : PNF.NATIONAL);
  } catch {
    return '-';
  }
}

export function referenceLine(input, region) {
  const out = { e164: '', region: '', cc: 0, type: 'unknown' };
  const st = parse(input, region, out);
  if (st !== 'ok') {
    out.e164 = '';
    out.type = 'unknown';
  }
  const nat = st === 'ok' ? format(out.e164, false) : '-';
  const intl = st === 'ok' ? format(out.e164, true) : '-';
  return [st, out.e164 || '-', out.region || '-', out.cc, out.type, nat, intl].join('\t');
}

// What `iotpctl phone regions` prints: region, calling code, an example
// (mobile, else any) in international form.
export function referenceRegions() {
  return [...supported].sort().map((r) => {
    const ex = util.getExampleNumberForType(r, T.MOBILE) || util.getExampleNumber(r);
    return [r, util.getCountryCodeForRegion(r), ex ? util.format(ex, PNF.INTERNATIONAL) : '-'].join('\t');
  });
}

// ---- the corpus --------------------------------------------------------------

// A small seeded generator (mulberry32), so a failure can be replayed.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const digitsOf = (s) => s.replace(/[^0-9]/g, '');
const bracketFirst = (s) => s.replace(/^(\+?\d+ )?(\d+) /, (m, cc, g) => `${cc || ''}(${g}) `);

// Every style a number is typed in, and the invalid variants of it. Each
// entry is [input, region] ('' for none).
function variants(n, region, out) {
  const cc = n.getCountryCode();
  const nsn = util.getNationalSignificantNumber(n);
  const e164 = util.format(n, PNF.E164);
  const intl = util.format(n, PNF.INTERNATIONAL);
  const nat = util.format(n, PNF.NATIONAL);
  const r = region || '';
  const add = (input, reg) => out.push([input, reg]);

  add(e164, ''); add(e164, r); add(intl, ''); add(intl, r);
  add(`00${cc}${nsn}`, ''); add(`00 ${intl.slice(1)}`, ''); add(`00${cc}${nsn}`, 'GB');
  add(`011${cc}${nsn}`, 'US'); add(`011 ${intl.slice(1)}`, 'US'); add(`00${cc}${nsn}`, r);
  for (const sep of ['.', '-']) {
    add(intl.replaceAll(' ', sep), ''); add(intl.replaceAll(' ', sep), r);
  }
  add(bracketFirst(intl), ''); add(bracketFirst(intl).replaceAll(' ', '-'), r);
  if (r) {
    add(nat, r); add(digitsOf(nat), r); add(nat, '');
    for (const sep of ['.', '-']) add(nat.replaceAll(' ', sep), r);
    add(bracketFirst(nat), r); add(bracketFirst(nat).replace(/\) /, ')'), r);
  }
  // Invalid: one digit short, one too many, a wrong leading digit, a wrong
  // calling code.
  add(e164.slice(0, -1), ''); add(`${e164}5`, ''); add(`${e164}0`, r);
  if (r) {
    add(digitsOf(nat).slice(0, -1), r); add(`${digitsOf(nat)}1`, r);
  }
  const d = nsn.charCodeAt(0) - 48;
  for (const k of [1, 3, 5, 7]) add(`+${cc}${(d + k) % 10}${nsn.slice(1)}`, '');
  add(`+${cc === 1 ? 7 : 1}${nsn}`, ''); add(`+999${nsn}`, ''); add(`+${cc}${nsn}`.replace(/^\+(\d)/, '+$1$1'), '');
}

// Every region's example number of every type, then the non-geographic
// calling codes' (+800, +882...), in every style; about 40,000 entries.
export function examplesCorpus() {
  const out = [];
  const types = [...typeNames.keys()].filter((t) => t !== T.FIXED_LINE_OR_MOBILE);
  for (const r of [...supported].sort()) {
    for (const t of types) {
      const n = util.getExampleNumberForType(r, t);
      if (n) variants(n, r, out);
    }
  }
  for (const cc of util.getSupportedGlobalNetworkCallingCodes()) {
    const n = util.getExampleNumberForNonGeoEntity(cc);
    if (n) variants(n, '', out);
  }
  const seen = new Set();
  return out.filter(([i, r]) => {
    const k = `${i}\t${r}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// What a person's fingers add: digits, separators, a stray letter, full-width
// and Arabic-Indic digits (which both libraries read as digits).
const ALPHABET = '0123456789012345678901234567890123456789 +-.()/ xX#*ABpw\uff15\u0663';

// n random mutations of the examples: 1 to 3 edits each (delete, insert,
// replace, swap, duplicate a run, cut the end), and sometimes another region.
export function mutationsCorpus(base, n, seed) {
  const rand = rng(seed);
  const pick = (s) => s[Math.floor(rand() * s.length)];
  const regions = [...supported].sort();
  const out = [];
  while (out.length < n) {
    let [s, r] = base[Math.floor(rand() * base.length)];
    s = [...s];
    const edits = 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * (s.length + 1));
      switch (Math.floor(rand() * 6)) {
        case 0: s.splice(at, 1); break;
        case 1: s.splice(at, 0, pick(ALPHABET)); break;
        case 2: s[Math.min(at, s.length - 1)] = pick(ALPHABET); break;
        case 3: if (at + 1 < s.length) [s[at], s[at + 1]] = [s[at + 1], s[at]]; break;
        case 4: s.splice(at, 0, ...s.slice(at, at + 1 + Math.floor(rand() * 3))); break;
        default: s = s.slice(0, Math.max(1, at)); break;
      }
    }
    const p = rand();
    if (p < 0.15) r = '';
    else if (p < 0.3) r = pick(regions);
    else if (p < 0.33) r = 'XX';
    else if (p < 0.35) r = r.toLowerCase();
    out.push([s.join(''), r]);
  }
  return out;
}
