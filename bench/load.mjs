#!/usr/bin/env node
// bench/load.mjs: a fixed amount of work for iotpd, for counting what it costs
// (bench/instructions.sh): N refused session creations for one number, or N
// verified flows (create -> send code -> poll the dev inbox until the SMS is
// there -> check), over 8 keep-alive sockets, as fast as the server answers.
// In front of a gateway (bench/kannel-up.mjs): "sessions" creates N sessions
// and writes their ids to the file --ids; "codes" asks a code by SMS for each
// session in that file, then waits until the gateway has reported every one
// delivered (iotpd's metrics, read with --metrics-token) and a second more, for
// the reports that the "delivered" one overtook.
//
// Usage: node bench/load.mjs --url http://127.0.0.1:PORT --kind refusals|flows --n N
//          [--base NATIONAL_NUMBER] [--key dev]
//        node bench/load.mjs --url URL --kind sessions --n N --ids FILE [--base N]
//        node bench/load.mjs --url URL --kind codes --ids FILE --metrics-token T
// Exit status 1 when an answer is not what the kind expects (a flow that does
// not verify, a refusal that is not a 201 or 429, a code not reported
// delivered within a minute).

import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';

const opt = { url: '', kind: '', n: 0, base: 7481000000, key: process.env.IOTP_BENCH_KEY || 'dev', ids: '', metricsToken: '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const [a, v] = [process.argv[i], process.argv[i + 1]];
  if (a === '--url') opt.url = v;
  else if (a === '--kind') opt.kind = v;
  else if (a === '--n') opt.n = Number(v);
  else if (a === '--base') opt.base = Number(v);
  else if (a === '--key') opt.key = v;
  else if (a === '--ids') opt.ids = v;
  else if (a === '--metrics-token') opt.metricsToken = v;
  else { console.error(`load.mjs: unknown argument ${a}`); process.exit(1); }
}
const ids = opt.kind === 'codes' && opt.ids ? JSON.parse(readFileSync(opt.ids, 'utf8')) : null;
if (ids) opt.n = ids.length;
const usable = {
  refusals: true,
  flows: true,
  sessions: !!opt.ids,
  codes: !!ids && !!opt.metricsToken,
};
if (!opt.url || !usable[opt.kind] || !(opt.n > 0)) {
  console.error('usage: node bench/load.mjs --url URL --kind refusals|flows --n N [--base N] [--key K]\n' +
    '       node bench/load.mjs --url URL --kind sessions --n N --ids FILE [--base N]\n' +
    '       node bench/load.mjs --url URL --kind codes --ids FILE --metrics-token T');
  process.exit(1);
}
const u = new URL(opt.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function call(method, path, body, key = opt.key) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { Authorization: `Bearer ${key}` };
    if (data) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
    const r = http.request({ host: u.hostname, port: u.port, path, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try { json = JSON.parse(text); } catch { /* checked by the caller */ }
        resolve({ status: res.statusCode, json, text });
      });
    });
    r.on('error', reject);
    r.end(data);
  });
}

const fail = (what, r) => { throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`); };

async function refusal() {
  const r = await call('POST', '/v1/sessions', { phone: '+447400123456' });
  if (r.status !== 201 && r.status !== 429) fail('create', r);
}

async function flow(i) {
  const phone = `+44${String(opt.base + i).padStart(10, '0')}`;
  let r = await call('POST', '/v1/sessions', { phone });
  if (r.status !== 201) fail('create', r);
  const id = r.json.id;
  r = await call('POST', `/v1/sessions/${id}/code`, { channel: 'sms' });
  if (r.status !== 200) fail('send', r);
  let code = null;
  while (!code) {
    r = await call('GET', `/v1/dev/inbox?to=${encodeURIComponent(phone)}`);
    if (r.status !== 200) fail('poll', r);
    if (r.json.length) code = /code: ([\d-]+)/.exec(r.json[0].text)[1].replace(/-/g, '');
    else await new Promise((s) => setTimeout(s, 1));
  }
  r = await call('PUT', `/v1/sessions/${id}/code`, { code });
  if (r.status !== 200 || r.json.verified !== true) fail('check', r);
}

const made = [];
async function session(i) {
  const r = await call('POST', '/v1/sessions', { phone: `+44${String(opt.base + i).padStart(10, '0')}` });
  if (r.status !== 201) fail('create', r);
  made.push(r.json.id);
}

async function code(i) {
  const r = await call('POST', `/v1/sessions/${ids[i]}/code`, { channel: 'sms' });
  if (r.status !== 200) fail('send', r);
}

// Messages reported delivered so far, by every provider.
async function delivered() {
  const r = await call('GET', '/metrics', undefined, opt.metricsToken);
  if (r.status !== 200) fail('metrics', r);
  let n = 0;
  for (const m of r.text.matchAll(/^iotp_delivery_reports_total\{[^}]*state="delivered"[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

const unit = { flows: flow, refusals: refusal, sessions: session, codes: code }[opt.kind];
const before = opt.kind === 'codes' ? await delivered() : 0;
let next = 0;
async function worker() {
  while (next < opt.n) {
    const i = next++;
    await unit(i);
  }
}
try {
  await Promise.all(Array.from({ length: 8 }, worker));
} catch (e) {
  console.error(`load.mjs: ${e.message}`);
  process.exit(1);
}
if (opt.kind === 'sessions') writeFileSync(opt.ids, JSON.stringify(made));
if (opt.kind === 'codes') {
  const until = Date.now() + 60000;
  let n;
  while ((n = (await delivered()) - before) < opt.n) {
    if (Date.now() > until) {
      console.error(`load.mjs: ${n} of ${opt.n} codes reported delivered after a minute`);
      process.exit(1);
    }
    await new Promise((s) => setTimeout(s, 200));
  }
  await new Promise((s) => setTimeout(s, 1000));
}
agent.destroy();
console.log(`${opt.kind}: ${opt.n} done`);
