#!/usr/bin/env node
// bench/load.mjs: a fixed amount of work for iotpd, for counting what it costs
// (bench/instructions.sh): N refused session creations for one number, or N
// verified flows (create -> send code -> poll the dev inbox until the SMS is
// there -> check), over 8 keep-alive sockets, as fast as the server answers.
//
// Usage: node bench/load.mjs --url http://127.0.0.1:PORT --kind refusals|flows --n N
//          [--base NATIONAL_NUMBER] [--key dev]
// Exit status 1 when an answer is not what the kind expects (a flow that does
// not verify, a refusal that is not a 201 or 429).

import http from 'node:http';

const opt = { url: '', kind: '', n: 0, base: 7481000000, key: process.env.IOTP_BENCH_KEY || 'dev' };
for (let i = 2; i < process.argv.length; i += 2) {
  const [a, v] = [process.argv[i], process.argv[i + 1]];
  if (a === '--url') opt.url = v;
  else if (a === '--kind') opt.kind = v;
  else if (a === '--n') opt.n = Number(v);
  else if (a === '--base') opt.base = Number(v);
  else if (a === '--key') opt.key = v;
  else { console.error(`load.mjs: unknown argument ${a}`); process.exit(1); }
}
if (!opt.url || !['refusals', 'flows'].includes(opt.kind) || !(opt.n > 0)) {
  console.error('usage: node bench/load.mjs --url URL --kind refusals|flows --n N [--base N] [--key K]');
  process.exit(1);
}
const u = new URL(opt.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { Authorization: `Bearer ${opt.key}` };
    if (data) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
    const r = http.request({ host: u.hostname, port: u.port, path, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(Buffer.concat(chunks).toString()); } catch { /* checked by the caller */ }
        resolve({ status: res.statusCode, json });
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

let next = 0;
async function worker() {
  while (next < opt.n) {
    const i = next++;
    await (opt.kind === 'flows' ? flow(i) : refusal());
  }
}
try {
  await Promise.all(Array.from({ length: 8 }, worker));
} catch (e) {
  console.error(`load.mjs: ${e.message}`);
  process.exit(1);
}
agent.destroy();
console.log(`${opt.kind}: ${opt.n} done`);
