// bench/pow-browser.mjs: how long the proof-of-work of docs/fraud.md takes
// to solve in a real browser, and on a slow phone (the same browser with its
// CPU slowed down by the DevTools protocol, as Lighthouse does for mobile).
//
//   node --experimental-websocket bench/pow-browser.mjs [--chromium PATH] [--samples N]
//
// It starts headless Chromium, and in a page runs the solver an app would
// write with the browser's own SHA-256 (crypto.subtle.digest), on random
// challenges, for each difficulty from 16 to 20 bits; it prints the hash rate
// and the time per solution (mean, as difficulty d takes 2^d hashes on average).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const arg = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const CHROMIUM = arg('--chromium', '/usr/bin/chromium');
const HASHES = Number(arg('--hashes', 200000)); // per measurement

// crypto.subtle needs a secure context: a page from 127.0.0.1 is one.
const server = http.createServer((req, res) => res.end('<!doctype html><title>pow</title>'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const profile = mkdtempSync(path.join(tmpdir(), 'iotp-pow-'));
const chrome = spawn(CHROMIUM, ['--headless=new', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`,
  '--remote-debugging-port=0', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
const wsUrl = await new Promise((resolve, reject) => {
  let err = '';
  chrome.stderr.on('data', (d) => {
    err += d;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
    if (m) resolve(m[1]);
  });
  chrome.on('exit', () => reject(new Error(`chromium exited: ${err}`)));
});
const port = new URL(wsUrl).port;
const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const page = targets.find((t) => t.type === 'page');
const ws = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener('open', r));
let next = 1;
const waiting = new Map();
ws.addEventListener('message', (e) => {
  const m = JSON.parse(e.data);
  if (m.id && waiting.has(m.id)) {
    waiting.get(m.id)(m);
    waiting.delete(m.id);
  }
});
const cdp = (method, params = {}) => new Promise((resolve) => {
  const id = next++;
  waiting.set(id, resolve);
  ws.send(JSON.stringify({ id, method, params }));
});

// The solver as an app would write it: a decimal counter, the browser's SHA-256.
const SOLVER = `async (hashes) => {
  const enc = new TextEncoder();
  const challenge = crypto.getRandomValues(new Uint8Array(16)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '');
  const t0 = performance.now();
  let best = 0;
  for (let n = 0; n < hashes; n++) {
    const h = new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(challenge + ':' + n)));
    let bits = 0;
    for (const b of h) { if (b === 0) { bits += 8; continue; } bits += Math.clz32(b) - 24; break; }
    if (bits > best) best = bits;
  }
  return (performance.now() - t0);
}`;

// The same in plain JavaScript (a small SHA-256, as a solver library ships):
// no promise per hash, so many times faster than crypto.subtle.
const SOLVER_JS = `async (hashes) => {
  const K = new Uint32Array([0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,
    0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,
    0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,
    0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,
    0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2]);
  const W = new Uint32Array(64), buf = new Uint8Array(128);
  function first32(str) { // SHA-256 of an ASCII string; returns its first 32 bits
    const n = str.length, blocks = n + 9 <= 64 ? 1 : 2;
    buf.fill(0);
    for (let i = 0; i < n; i++) buf[i] = str.charCodeAt(i);
    buf[n] = 0x80;
    const bitsLen = n * 8, end = blocks * 64;
    buf[end - 2] = bitsLen >>> 8; buf[end - 1] = bitsLen & 255;
    let h0=0x6a09e667,h1=0xbb67ae85,h2=0x3c6ef372,h3=0xa54ff53a,h4=0x510e527f,h5=0x9b05688c,h6=0x1f83d9ab,h7=0x5be0cd19;
    for (let b = 0; b < blocks; b++) {
      for (let i = 0; i < 16; i++) { const o = b * 64 + i * 4; W[i] = (buf[o] << 24) | (buf[o+1] << 16) | (buf[o+2] << 8) | buf[o+3]; }
      for (let i = 16; i < 64; i++) {
        const x = W[i-15], y = W[i-2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[i] = (W[i-16] + s0 + W[i-7] + s1) | 0;
      }
      let a=h0,bb=h1,c=h2,d=h3,e=h4,f=h5,g=h6,h=h7;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h0=(h0+a)|0;h1=(h1+bb)|0;h2=(h2+c)|0;h3=(h3+d)|0;h4=(h4+e)|0;h5=(h5+f)|0;h6=(h6+g)|0;h7=(h7+h)|0;
    }
    return h0 >>> 0;
  }
  const challenge = crypto.getRandomValues(new Uint8Array(16)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '');
  const t0 = performance.now();
  let best = 0;
  for (let n = 0; n < hashes; n++) { const z = Math.clz32(first32(challenge + ':' + n)); if (z > best) best = z; }
  return (performance.now() - t0);
}`;

async function rate(label, solver = SOLVER, hashes = HASHES) {
  const r = await cdp('Runtime.evaluate', { expression: `(${solver})(${hashes})`, awaitPromise: true, returnByValue: true });
  const ms = r.result.result.value;
  if (typeof ms !== 'number') throw new Error(JSON.stringify(r.result));
  const perSecond = hashes / (ms / 1000);
  const row = [16, 18, 20].map((d) => `${d} bits: ${((2 ** d / perSecond) * 1000).toFixed(0)} ms`).join(', ');
  console.log(`${label.padEnd(34)} ${(perSecond / 1000).toFixed(0)} k hashes/s; mean time to solve ${row}`);
}

await cdp('Page.enable');
await cdp('Page.navigate', { url: `http://127.0.0.1:${server.address().port}/` });
await new Promise((r) => setTimeout(r, 1000));
console.log(`Chromium ${(await cdp('Browser.getVersion')).result.product}, ${HASHES} hashes per measurement`);
for (const [name, solver, n] of [['crypto.subtle', SOLVER, HASHES], ['plain JS SHA-256', SOLVER_JS, HASHES * 10]]) {
  console.log(`solver: ${name}`);
  await cdp('Emulation.setCPUThrottlingRate', { rate: 1 });
  await rate('  desktop (this machine, 1 core)', solver, n);
  await cdp('Emulation.setCPUThrottlingRate', { rate: 4 });
  await rate('  slow phone (CPU slowed 4x)', solver, n / 4);
  await cdp('Emulation.setCPUThrottlingRate', { rate: 10 });
  await rate('  very slow phone (CPU slowed 10x)', solver, n / 10);
}
ws.close();
chrome.kill('SIGTERM');
await new Promise((r) => chrome.once('exit', r));
rmSync(profile, { recursive: true, force: true });
server.close();
