#!/usr/bin/env node
// Writes src/phone/phone_metadata.c: the numbering plans of every region, taken
// from the npm package google-libphonenumber (pinned in tests/e2e/package.json)
// and serialised as libphonenumber's PhoneMetadataCollection protobuf, which
// src/phone/phone.cc hands to Debian's libphonenumber in place of the metadata
// compiled into it (docs/phone.md says how, and why this package).
//
//   node tools/phone_metadata.mjs [--out FILE] [--check]
//
// Run through Meson: `meson compile -C build phone-metadata`. --check writes
// nothing and exits 1 when FILE is not what the installed package gives (the
// reference test runs it, so the committed tables and the reference library
// the tests compare against are always the same metadata version).
//
// Why this package: it is Google's own JavaScript port, built from an upstream
// release tag, and it exports the full metadata (patterns, possible lengths,
// formats, example numbers) as JSPB arrays whose indices are the protobuf field
// numbers of resources/phonemetadata.proto, so converting it loses nothing.
// awesome-phonenumber wraps the same code but exports no metadata;
// libphonenumber-js ships its own reduced format and its own parser.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'google-libphonenumber';

function usage(msg) {
	process.stderr.write(`phone_metadata: ${msg}\nusage: node tools/phone_metadata.mjs [--out FILE] [--check]\n`);
	process.exit(2);
}

let out = join(root, 'src/phone/phone_metadata.c');
let check = false;
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--out' && i + 1 < process.argv.length) out = process.argv[++i];
	else if (a === '--check') check = true;
	else usage(`unknown argument '${a}'`);
}

const require = createRequire(join(root, 'tests/e2e/package.json'));
let lib, pkg;
try {
	lib = require(PACKAGE);
	pkg = require(`${PACKAGE}/package.json`);
} catch (e) {
	process.stderr.write(`phone_metadata: cannot load ${PACKAGE} (${e.message.split('\n')[0]}).\n` +
		`Install the test packages first: (cd tests/e2e && npm ci)\n`);
	process.exit(1);
}

// The schema, field number -> [kind, message]: 's' string, 'i' int32, 'b'
// bool, 'm' message, 'M' repeated message; a string or number field is
// repeated when its JSPB value is an array.
const DESC = { 2: 's', 6: 's', 9: 'i', 10: 'i' };
const FORMAT = { 1: 's', 2: 's', 3: 's', 4: 's', 5: 's', 6: 'b' };
const METADATA = {
	9: 's', 10: 'i', 11: 's', 12: 's', 13: 's', 15: 's', 16: 's', 17: 's', 18: 'b',
	19: ['M', FORMAT], 20: ['M', FORMAT], 22: 'b', 23: 's', 32: 'b',
};
for (const f of [1, 2, 3, 4, 5, 6, 7, 8, 21, 24, 25, 27, 28, 29, 30, 31, 33])
	METADATA[f] = ['m', DESC];

function varint(n, bytes) {
	// int32 fields: a negative value (possible_length -1, "no such numbers")
	// is sign-extended to ten bytes, as protobuf does.
	let v = BigInt.asUintN(64, BigInt(n));
	do {
		let b = Number(v & 0x7fn);
		v >>= 7n;
		if (v) b |= 0x80;
		bytes.push(b);
	} while (v);
}

function encode(arr, schema) {
	const bytes = [];
	for (let f = 1; f < arr.length; f++) {
		const v = arr[f];
		if (v === null || v === undefined) continue;
		const kind = schema[f];
		if (!kind) throw new Error(`field ${f} is not in the schema (a newer metadata format?): update tools/phone_metadata.mjs`);
		const [k, sub] = Array.isArray(kind) ? kind : [kind];
		for (const x of k === 'M' || (k !== 'm' && Array.isArray(v)) ? v : [v]) {
			if (x === null || x === undefined) continue;
			if (k === 's') {
				const s = Buffer.from(String(x), 'utf8');
				varint((f << 3) | 2, bytes);
				varint(s.length, bytes);
				for (const b of s) bytes.push(b);
			} else if (k === 'i' || k === 'b') {
				varint(f << 3, bytes);
				varint(k === 'b' ? (x ? 1 : 0) : x, bytes);
			} else {
				const m = encode(x, sub);
				varint((f << 3) | 2, bytes);
				varint(m.length, bytes);
				for (const b of m) bytes.push(b);
			}
		}
	}
	return bytes;
}

// libphonenumber builds its calling code -> regions table from the order of
// the collection (the main region first, then the others in order); it picks
// the first region whose patterns match a number. Write the regions in the
// package's own order so both libraries try them alike.
const meta = lib.metadata;
const order = [];
for (const cc of Object.keys(meta.countryCodeToRegionCodeMap).map(Number).sort((a, b) => a - b)) {
	for (const r of meta.countryCodeToRegionCodeMap[cc])
		order.push(r === '001' ? String(cc) : r);
}
const missing = Object.keys(meta.countryToMetadata).filter((k) => !order.includes(k));
if (missing.length) throw new Error(`regions without a calling code: ${missing.join(' ')}`);

const records = order.map((k) => {
	const m = meta.countryToMetadata[k];
	const body = encode(m, METADATA);
	const head = [];
	varint((1 << 3) | 2, head);
	varint(body.length, head);
	return { key: k, bytes: Buffer.from([...head, ...body]) };
});
const blob = Buffer.concat(records.map((r) => r.bytes));
const sha = createHash('sha256').update(blob).digest('hex');
const regions = order.filter((k) => /^[A-Z]{2}$/.test(k)).length;
const version = `${PACKAGE} ${pkg.version}`;

// The bytes as C string literals, one per region: readable in a diff, and
// about a tenth the size of a list of numbers. Octal escapes have three
// digits so a following digit is never read as part of them; a '?' after a
// '?' is escaped so that no trigraph forms.
function literal(buf) {
	let s = '';
	let prev = '';
	for (const b of buf) {
		const c = String.fromCharCode(b);
		if (c === '"' || c === '\\') s += '\\' + c;
		else if (c === '?' && prev === '?') s += '\\?';
		else if (b >= 0x20 && b < 0x7f) s += c;
		else s += '\\' + b.toString(8).padStart(3, '0');
		prev = c;
	}
	return s;
}

const lines = [];
lines.push(`/* Generated by tools/phone_metadata.mjs from ${version}: do not edit.`);
lines.push(` * Regenerate with \`meson compile -C build phone-metadata\` (docs/phone.md).`);
lines.push(` * ${regions} regions and ${records.length - regions} non-geographic calling codes, ${blob.length} bytes,`);
lines.push(` * a PhoneMetadataCollection protobuf, sha256 ${sha}. */`);
lines.push('#include "phone/phone_metadata.h"');
lines.push('');
lines.push(`const char phone_metadata_id[] = "${version}, sha256 ${sha.slice(0, 16)}";`);
lines.push(`const char phone_metadata_sha256[] = "${sha}";`);
lines.push(`const size_t phone_metadata_size = ${blob.length};`);
lines.push('');
lines.push(`const unsigned char phone_metadata_bytes[${blob.length + 1}] =`);
for (const r of records)
	lines.push(`\t/* ${r.key} */ "${literal(r.bytes)}"`);
lines.push(';');
const text = lines.join('\n') + '\n';

if (check) {
	let old = '';
	try {
		old = readFileSync(out, 'utf8');
	} catch {}
	if (old !== text) {
		process.stderr.write(`phone_metadata: ${relative(process.cwd(), out)} is not what ${version} gives: ` +
			`run \`meson compile -C build phone-metadata\` and commit it\n`);
		process.exit(1);
	}
	process.stdout.write(`${relative(process.cwd(), out)} matches ${version}\n`);
} else {
	writeFileSync(out, text);
	process.stdout.write(`wrote ${relative(process.cwd(), out)}: ${version}, ${regions} regions, ${blob.length} bytes\n`);
}
