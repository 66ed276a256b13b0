#!/usr/bin/env node
// bench/latency.mjs: per-call latency of iotp's verification flow at a fixed rate.
//
// Open loop: flow i starts at t0 + i/RATE whatever the server's speed, so a slow
// server is not hidden by a client that waits for it (coordinated omission). Each
// flow runs create -> send code -> poll the dev inbox until the SMS is there ->
// check the code, over keep-alive connections (at most --connections sockets,
// one request at a time on each; a call waiting for a free socket counts that
// wait). The client is lean on purpose: with node:http it spent three times the
// CPU and its garbage collections, counted as the server's time, made most of
// the p99 (bench/RESULTS.md, sixth round); it reports what its collector took.
//
// Usage: node bench/latency.mjs --url http://127.0.0.1:PORT --rate FLOWS_PER_S
//          [--duration 10] [--connections 32] [--base 7480000000] [--poll-gap-ms 0]
//          [--key dev] [--warmup 1]
// --warmup S: first run S seconds at the same rate and record nothing (JIT, caches).
// Prints p50/p90/p99/max per call type and one machine-readable line per type:
//   call=create n=... p50_ms=... p99_ms=... max_ms=...
// Exit status: 0 when it ran (whatever the latencies), 1 when it could not run or
// no flow completed.

import net from 'node:net';
import { performance, PerformanceObserver } from 'node:perf_hooks';

function parseArgs(argv) {
	const o = {
		url: '', rate: 0, duration: 10, connections: 32, base: 7480000000,
		pollGapMs: 0, key: process.env.IOTP_BENCH_KEY || 'dev', drainS: 10, warmup: 1,
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i], v = argv[i + 1];
		switch (a) {
		case '--url': o.url = v; i++; break;
		case '--rate': o.rate = Number(v); i++; break;
		case '--duration': o.duration = Number(v); i++; break;
		case '--connections': o.connections = Number(v); i++; break;
		case '--base': o.base = Number(v); i++; break;
		case '--poll-gap-ms': o.pollGapMs = Number(v); i++; break;
		case '--key': o.key = v; i++; break;
		case '--warmup': o.warmup = Number(v); i++; break;
		case '-h': case '--help':
			console.log('usage: node latency.mjs --url URL --rate FLOWS_PER_S [--duration S] ' +
				'[--connections N] [--base NATIONAL_NUMBER] [--poll-gap-ms MS] [--key KEY] [--warmup S]');
			process.exit(0);
		default:
			console.error(`latency.mjs: unknown argument ${a}`);
			process.exit(1);
		}
	}
	if (!o.url || !(o.rate > 0) || !(o.duration > 0)) {
		console.error('latency.mjs: --url and a positive --rate are needed (see --help)');
		process.exit(1);
	}
	return o;
}

const opt = parseArgs(process.argv.slice(2));
const target = new URL(opt.url);

const samples = { create: [], send: [], poll: [], check: [], delivery: [], flow: [] };
const errors = new Map();
let started = 0, completed = 0, polls = 0, pollsEmpty = 0, maxLagMs = 0;

function countError(kind) { errors.set(kind, (errors.get(kind) || 0) + 1); }

// The client's own pauses: a garbage collection stops every call in flight,
// and would be counted as the server's time. node:http allocated so much per
// call that its collections came every ~100 ms, 3-4 % of the run (up to 29 ms
// each); this client writes each request as one string and reads answers off
// the socket itself, and the run reports what the collector still took.
let gcMs = 0, gcMaxMs = 0;
new PerformanceObserver((list) => {
	for (const e of list.getEntries()) {
		if (recording) {
			gcMs += e.duration;
			gcMaxMs = Math.max(gcMaxMs, e.duration);
		}
	}
}).observe({ entryTypes: ['gc'] });

// A keep-alive HTTP/1.1 connection with one request at a time, as node:http's
// agent uses its sockets. iotpd answers with Content-Length, never chunked.
class Conn {
	constructor() {
		this.sock = net.connect(Number(target.port), target.hostname);
		this.sock.setNoDelay(true);
		this.chunks = [];
		this.have = 0;
		this.done = null;
		this.sock.on('data', (d) => this.onData(d));
		this.sock.on('error', (e) => this.fail(e));
		this.sock.on('close', () => this.fail(new Error('closed')));
	}

	fail(e) {
		this.dead = true;
		const done = this.done;
		this.done = null;
		if (done) done(e);
	}

	send(text, done) {
		this.done = done;
		this.sock.write(text);
	}

	onData(d) {
		this.chunks.push(d);
		this.have += d.length;
		const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
		const end = buf.indexOf('\r\n\r\n');
		if (end < 0) return;
		const head = buf.toString('latin1', 0, end);
		const m = /\r\ncontent-length: *(\d+)/i.exec(head);
		const length = m ? Number(m[1]) : 0;
		if (buf.length < end + 4 + length) {
			this.chunks = [buf];
			return;
		}
		this.chunks = [];
		this.have = 0;
		const status = Number(head.slice(9, 12));
		const text = buf.toString('utf8', end + 4, end + 4 + length);
		if (/\r\nconnection: *close/i.test(head)) this.dead = true;
		const done = this.done;
		this.done = null;
		if (done) done(null, status, text);
	}
}

// At most opt.connections sockets; a call waits for a free one, and that
// wait counts in its time.
const idle = [];
const waiting = [];
let open = 0;

function withConn(fn) {
	while (idle.length) {
		const c = idle.pop();
		if (!c.dead) return fn(c);
		open--; /* the server closed it while it was idle */
		c.sock.destroy();
	}
	if (open < opt.connections) {
		open++;
		return fn(new Conn());
	}
	waiting.push(fn);
}

function release(c) {
	if (c.dead) {
		open--;
		c.sock.destroy();
		if (waiting.length) withConn(waiting.shift());
		return;
	}
	if (waiting.length) waiting.shift()(c);
	else idle.push(c);
}

const auth = `Authorization: Bearer ${opt.key}\r\n`;
const hostLine = `Host: ${target.host}\r\n`;

function call(method, path, body) {
	return new Promise((resolve, reject) => {
		let text = `${method} ${path} HTTP/1.1\r\n${hostLine}${auth}`;
		if (body !== undefined) {
			const data = JSON.stringify(body);
			text += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\n\r\n${data}`;
		} else {
			text += '\r\n';
		}
		withConn((c) => {
			const timer = setTimeout(() => { c.dead = true; c.sock.destroy(); }, 10000);
			c.send(text, (err, status, answer) => {
				clearTimeout(timer);
				release(c);
				if (err) return reject(err);
				let json = null;
				try { json = JSON.parse(answer); } catch { /* counted by the caller */ }
				resolve({ status, json });
			});
		});
	});
}

let recording = false;

async function timed(kind, method, path, body) {
	const t = performance.now();
	const r = await call(method, path, body);
	if (recording) samples[kind].push(performance.now() - t);
	return r;
}

function errKind(phase, r) {
	const code = r.json && r.json.error && r.json.error.code;
	return `${phase} ${r.status} ${code || ''}`.trim();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function flow(i, scheduledAt) {
	const phone = `+44${String(opt.base + i).padStart(10, '0')}`;
	try {
		let r = await timed('create', 'POST', '/v1/sessions', { phone });
		if (r.status !== 201 || !r.json || !r.json.id) return countError(errKind('create', r));
		const id = r.json.id;
		r = await timed('send', 'POST', `/v1/sessions/${id}/code`, { channel: 'sms' });
		if (r.status !== 200) return countError(errKind('send', r));
		const sentAt = performance.now();
		let code = null;
		while (code === null) {
			if (performance.now() - sentAt > 10000) return countError('poll: no SMS within 10 s');
			polls++;
			r = await timed('poll', 'GET', `/v1/dev/inbox?to=${encodeURIComponent(phone)}`);
			if (r.status !== 200 || !Array.isArray(r.json)) return countError(errKind('poll', r));
			if (r.json.length === 0) {
				pollsEmpty++;
				if (opt.pollGapMs > 0) await sleep(opt.pollGapMs);
				continue;
			}
			const m = /code: ([\d-]+)/.exec(r.json[0].text || '');
			if (!m) return countError('poll: no code in the text');
			code = m[1].replace(/-/g, '');
		}
		if (recording) samples.delivery.push(performance.now() - sentAt);
		r = await timed('check', 'PUT', `/v1/sessions/${id}/code`, { code });
		if (r.status !== 200 || !r.json || r.json.verified !== true) {
			return countError(errKind('check', r));
		}
		if (recording) samples.flow.push(performance.now() - scheduledAt);
		completed++;
	} catch (e) {
		countError(`socket: ${e.code || e.message}`);
	}
}

function pct(sorted, q) {
	if (!sorted.length) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

// Starts `total` flows at opt.rate from number index `first`; resolves when all
// were started and have finished (or opt.drainS seconds after the last start).
async function runPhase(first, total) {
	const pending = new Set();
	const t0 = performance.now();
	let next = 0;
	// Ticks every millisecond or so; starts every flow whose time has come.
	await new Promise((resolve) => {
		const tick = () => {
			const now = performance.now();
			while (next < total && t0 + (next * 1000) / opt.rate <= now) {
				const at = t0 + (next * 1000) / opt.rate;
				maxLagMs = Math.max(maxLagMs, now - at);
				const p = flow(first + next, at);
				pending.add(p);
				p.finally(() => pending.delete(p));
				next++;
				started++;
			}
			if (next >= total) return resolve();
			setTimeout(tick, 1);
		};
		tick();
	});
	const sendEnd = performance.now();
	await Promise.race([Promise.all([...pending]), sleep(opt.drainS * 1000)]);
	return { secs: (sendEnd - t0) / 1000, unfinished: pending.size };
}

async function main() {
	const warm = Math.round(opt.rate * opt.warmup);
	if (warm > 0) {
		await runPhase(0, warm);
		for (const xs of Object.values(samples)) xs.length = 0;
		errors.clear();
		started = completed = polls = pollsEmpty = 0;
		maxLagMs = 0;
	}
	recording = true;
	const total = Math.round(opt.rate * opt.duration);
	const { secs, unfinished } = await runPhase(warm, total);
	for (const c of idle) c.sock.destroy();

	console.log(`target: ${opt.rate} flows/s for ${opt.duration} s after ${opt.warmup} s of warm-up ` +
		`(open loop, ${opt.connections} keep-alive connections at most)`);
	console.log(`flows: started ${started} (${(started / secs).toFixed(1)}/s), verified ${completed}, ` +
		`unfinished ${unfinished}; inbox polls ${polls} (empty ${pollsEmpty}); ` +
		`max start lag ${maxLagMs.toFixed(1)} ms; client GC ${gcMs.toFixed(0)} ms in all, ` +
		`longest ${gcMaxMs.toFixed(1)} ms`);
	if (errors.size === 0) console.log('errors: none');
	for (const [k, v] of [...errors].sort()) console.log(`error: ${k}: ${v}`);
	console.log('call      n        p50        p90        p99        max');
	for (const [kind, xs] of Object.entries(samples)) {
		if (!xs.length) continue;
		xs.sort((a, b) => a - b);
		const f = (v) => `${v.toFixed(2)}ms`.padEnd(11);
		console.log(`${kind.padEnd(9)} ${String(xs.length).padEnd(8)} ${f(pct(xs, 0.5))}` +
			`${f(pct(xs, 0.9))}${f(pct(xs, 0.99))}${f(xs[xs.length - 1])}`);
	}
	console.log('(delivery: send-code answer to the SMS seen in the inbox; ' +
		'flow: scheduled start to check answered)');
	for (const [kind, xs] of Object.entries(samples)) {
		if (!xs.length) continue;
		console.log(`call=${kind} n=${xs.length} p50_ms=${pct(xs, 0.5).toFixed(3)} ` +
			`p99_ms=${pct(xs, 0.99).toFixed(3)} max_ms=${xs[xs.length - 1].toFixed(3)}`);
	}
	if (maxLagMs > 100) {
		console.log(`warning: the client started flows up to ${maxLagMs.toFixed(0)} ms late ` +
			'(client CPU-bound?); latencies from that stretch are understated');
	}
	process.exit(completed > 0 ? 0 : 1);
}

main().catch((e) => { console.error(`latency.mjs: ${e.stack || e}`); process.exit(1); });
