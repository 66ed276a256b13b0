// bench/slowheaders.mjs: a slow-header ("slowloris") attack against a real
// iotpd, with honest clients measured while it goes on (issue 12, finding 2).
//
//   node bench/slowheaders.mjs [--addresses 60] [--per-address 40] [--gap 2]
//                              [--duration 30] [--honest-rate 20] [--timeout 5]
//                              [--conf 'option = value\n...']
//
// It starts `iotpd --dev` on 127.0.0.1 with its defaults (plus --conf), then:
//
// Attack: --addresses client addresses (127.1.0.2, 127.2.0.2, ... — loopback
// is a whole /8, so nothing leaves this machine), each in a /24 of its own as
// a botnet's are, each open --per-address connections, fewer than
// max_connections_per_ip. --same-network puts them all in 127.0.0.0/24
// instead (127.0.0.2, 127.0.0.3, ...), beside the honest clients. Each sends a request line
// and then one more header line every --gap seconds, never the blank line
// that ends the headers. A connection the server closes is opened again at
// once, as an attacker would.
//
// Honest clients: --honest-rate new connections a second from 127.0.0.1
// (open loop: on a schedule, whatever the server's speed), each asking
// GET /healthz once; an answer later than --timeout seconds is a failure.
//
// The honest clients start once every attack connection has been opened and
// has sent its first header line, and run for --duration seconds. Prints
// served/failed, p50/p99/max latency of the honest requests, and what the
// attack connections saw, iotpd's RSS, plus one machine-readable line:
//   honest served=N failed=N p50_ms=... p99_ms=... max_ms=... attack_open=N
// Exit status: 0 when it ran (whatever the figures), 1 when it could not.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const IOTPD = process.env.IOTPD ? path.resolve(process.env.IOTPD) : path.join(here, '..', 'build', 'iotpd');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const ADDRESSES = Number(opt('--addresses', 60));
const PER_ADDRESS = Number(opt('--per-address', 40));
const GAP_MS = Number(opt('--gap', 2)) * 1000;
const DURATION_MS = Number(opt('--duration', 30)) * 1000;
const HONEST_RATE = Number(opt('--honest-rate', 20));
const TIMEOUT_MS = Number(opt('--timeout', 5)) * 1000;
const CONF = String(opt('--conf', '')).replace(/\\n/g, '\n');
const SAME_NETWORK = args.includes('--same-network');
const attackAddress = (a) => (SAME_NETWORK ? `127.0.0.${a + 2}` : `127.${a + 1}.0.2`);
if (ADDRESSES < 1 || ADDRESSES > 250) {
  console.error('--addresses must be 1..250 (127.0.0.2 .. 127.0.0.251)');
  process.exit(1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(path.join(tmpdir(), 'iotp-slowheaders-'));
const conf = path.join(dir, 'iotp.conf');
writeFileSync(conf, CONF);
const child = spawn(IOTPD, ['--dev', '--config', conf, '--listen', '127.0.0.1:0', '--data', path.join(dir, 'data')], {
  env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IOTP_'))), IOTP_API_KEY: 'dev' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stderr = '';
child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20000)));
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.on('exit', () => reject(new Error(`iotpd exited: ${stderr}`)));
});
child.stdout.resume();

// ---------------------------------------------------------------- the attack
const attack = { open: 0, opened: 0, closedByServer: 0, answers: {}, lines: 0, stopping: false };
const attackers = [];

function attackConnection(address, k) {
  if (attack.stopping) return;
  const sock = net.connect({ host: '127.0.0.1', port, localAddress: address });
  let timer = null;
  let open = false;
  let n = 0;
  sock.setNoDelay(true);
  sock.on('connect', () => {
    open = true;
    attack.open++;
    attack.opened++;
    sock.write(`GET /healthz?a=${address}-${k} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    attack.lines++;
    // Staggered, so the lines do not all arrive in the same millisecond.
    timer = setTimeout(function tick() {
      sock.write(`X-Slow-${n++}: ${'x'.repeat(8)}\r\n`);
      attack.lines++;
      timer = setTimeout(tick, GAP_MS);
    }, Math.floor(Math.random() * GAP_MS));
  });
  sock.on('data', (d) => {
    const m = /^HTTP\/1\.1 (\d+)/.exec(d.toString('latin1'));
    if (m) attack.answers[m[1]] = (attack.answers[m[1]] ?? 0) + 1;
  });
  sock.on('error', () => {});
  sock.on('close', () => {
    clearTimeout(timer);
    if (open) {
      attack.open--;
      if (!attack.stopping) attack.closedByServer++;
    }
    attackers[attackers.indexOf(sock)] = null;
    if (!attack.stopping) setTimeout(() => attackConnection(address, k), 50);
  });
  attackers.push(sock);
}

// ------------------------------------------------------------ honest clients
const honest = { served: 0, failed: 0, statuses: {}, errors: {}, ms: [] };

function honestRequest() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (ok) {
        honest.served++;
        honest.ms.push(performance.now() - t0);
      } else {
        honest.failed++;
        honest.errors[why] = (honest.errors[why] ?? 0) + 1;
      }
      resolve();
    };
    const timer = setTimeout(() => finish(false, 'timeout'), TIMEOUT_MS);
    sock.setNoDelay(true);
    sock.on('connect', () => sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d+)/.exec(buf);
      if (m && buf.includes('\r\n\r\n')) {
        honest.statuses[m[1]] = (honest.statuses[m[1]] ?? 0) + 1;
        finish(m[1] === '200', `status ${m[1]}`);
      }
    });
    sock.on('error', (e) => finish(false, e.code ?? 'error'));
    sock.on('close', () => finish(false, 'closed without an answer'));
  });
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);

let code = 0;
try {
  const total = ADDRESSES * PER_ADDRESS;
  console.log(`iotpd on 127.0.0.1:${port}; attack: ${ADDRESSES} addresses × ${PER_ADDRESS} connections = ${total}, ` +
    `one header line every ${GAP_MS / 1000} s`);
  for (let a = 0; a < ADDRESSES; a++) {
    for (let k = 0; k < PER_ADDRESS; k++) attackConnection(attackAddress(a), k);
    await sleep(20); // a ramp, not a burst: the listen backlog is not what is tested
  }
  const ramp = performance.now();
  while (attack.opened < total && performance.now() - ramp < 20000) await sleep(100);
  await sleep(GAP_MS + 500);
  console.log(`attack in place: ${attack.open} connections open (client side), ${attack.closedByServer} closed by the server so far`);

  const started = [];
  const t0 = performance.now();
  for (let i = 0; ; i++) {
    const due = t0 + (i * 1000) / HONEST_RATE;
    if (due - t0 >= DURATION_MS) break;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    started.push(honestRequest());
  }
  await Promise.all(started);
  const openAtEnd = attack.open;
  let rss = 'n/a';
  try {
    rss = `${Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024)} MiB`;
  } catch {
    /* not Linux */
  }
  const sorted = honest.ms.sort((x, y) => x - y);
  const f = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
  console.log(`honest: ${honest.served} served, ${honest.failed} failed of ${started.length} ` +
    `(statuses ${JSON.stringify(honest.statuses)}, failures ${JSON.stringify(honest.errors)})`);
  console.log(`honest latency: p50 ${f(pct(sorted, 50))} ms, p99 ${f(pct(sorted, 99))} ms, max ${f(sorted.at(-1))} ms`);
  console.log(`attack: ${openAtEnd} connections open at the end, ${attack.closedByServer} closed by the server ` +
    `(and reopened), answers to the attackers ${JSON.stringify(attack.answers)}, ${attack.lines} lines sent`);
  console.log(`iotpd RSS under attack: ${rss}`);
  console.log(`honest served=${honest.served} failed=${honest.failed} p50_ms=${f(pct(sorted, 50))} ` +
    `p99_ms=${f(pct(sorted, 99))} max_ms=${f(sorted.at(-1))} attack_open=${openAtEnd} attack_closed=${attack.closedByServer}`);
} catch (e) {
  console.error(`slowheaders: ${e.message}`);
  code = 1;
} finally {
  attack.stopping = true;
  for (const s of attackers) s?.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
