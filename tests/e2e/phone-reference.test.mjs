// iotp reads phone numbers exactly as the current reference library does (issue
// 17): every region's example number of every type, typed every way people
// type numbers, their invalid variants, and 100,000 seeded random mutations,
// through `iotpctl phone check` (src/phone, i.e. Debian's libphonenumber fed
// iotp's own metadata) against Google's JavaScript libphonenumber at the same
// metadata version. Before iotp carried its own metadata, 1,185 of the
// examples and 2,442 lines in all disagreed (Benin's 10-digit numbers "too
// long", Chile's and Mexico's new ranges "not valid").
//
// PHONE_SEED=n replays another set of mutations; PHONE_MUTATIONS=n sets how many.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { IOTPD } from './helpers.mjs';
import {
  examplesCorpus, mutationsCorpus, referenceLine, referencePackage, referenceRegions,
} from './phone-reference.mjs';

const run = promisify(execFile);
const IOTPCTL = path.join(path.dirname(IOTPD), 'iotpctl');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEED = Number(process.env.PHONE_SEED || 17);
const MUTATIONS = Number(process.env.PHONE_MUTATIONS || 100000);

// Feeds every entry to one `iotpctl phone check -` and returns its lines.
function check(entries) {
  return new Promise((resolve, reject) => {
    const child = spawn(IOTPCTL, ['phone', 'check', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`iotpctl phone check exited ${code}: ${err}`));
      else resolve(Buffer.concat(out).toString('utf8').split('\n').slice(0, -1));
    });
    child.stdin.end(entries.map(([input, region]) => `${input}\t${region}\n`).join(''));
  });
}

// Every line must agree; on failure show the first disagreements whole, each
// with the input that replays it (`iotpctl phone check INPUT REGION`).
async function agree(name, entries) {
  const got = await check(entries);
  assert.equal(got.length, entries.length, `${name}: iotpctl answered ${got.length} lines for ${entries.length}`);
  const bad = [];
  for (let k = 0; k < entries.length; k++) {
    const want = referenceLine(...entries[k]);
    if (got[k] !== want) bad.push(`${JSON.stringify(entries[k])}\n    iotp:      ${got[k]}\n    reference: ${want}`);
  }
  const pct = (100 * (entries.length - bad.length)) / entries.length;
  assert.equal(bad.length, 0,
    `${name}: ${bad.length} of ${entries.length} disagree with ${referencePackage} ` +
    `(${pct.toFixed(3)} % agree); first ones:\n  ${bad.slice(0, 15).join('\n  ')}`);
}

const examples = examplesCorpus();

test('the committed metadata is what the reference package gives (same version on both sides)', async () => {
  const r = await run(process.execPath, [path.join(root, 'tools', 'phone_metadata.mjs'), '--check']);
  assert.match(r.stdout, /matches google-libphonenumber /);
  const v = await run(IOTPCTL, ['phone', 'version']);
  assert.match(v.stdout, new RegExp(`^${referencePackage}, sha256 [0-9a-f]{16}\\n$`));
});

test('Benin\'s 10-digit numbers (2024) are valid, the old 8-digit ones no longer', async () => {
  const [mobile, fixed, old] = await check([['+229 01 95 12 34 56', ''], ['0120211234', 'BJ'], ['+229 97 12 34 56', '']]);
  assert.equal(mobile, 'ok\t+2290195123456\tBJ\t229\tmobile\t01 95 12 34 56\t+229 01 95 12 34 56');
  assert.match(fixed, /^ok\t\+2290120211234\tBJ\t229\tfixed_line\t/);
  assert.match(old, /^invalid_number\t-\tBJ\t229\t/);
});

test('every region, its calling code and its example number agree', async () => {
  const r = await run(IOTPCTL, ['phone', 'regions'], { maxBuffer: 1 << 24 });
  const got = r.stdout.trim().split('\n');
  assert.ok(got.length >= 240, `only ${got.length} regions`);
  assert.deepEqual(got, referenceRegions());
});

test(`every region's example numbers in every style, and their invalid variants (${examples.length})`, async () => {
  await agree('examples', examples);
});

test(`${MUTATIONS} random mutations of them (seed ${SEED})`, async () => {
  await agree(`mutations (PHONE_SEED=${SEED})`, mutationsCorpus(examples, MUTATIONS, SEED));
});
