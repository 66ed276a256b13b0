// bench/delivery.mjs: how long from POST /v1/sessions/{id}/code until the
// SMS reaches the SMSC, through iotpd and real Kannel (bearerbox + smsbox,
// fake SMSC; the benchmark itself is the fake SMSC client and timestamps each
// line as it arrives). Kannel's own sendsms rate is measured in the same run,
// as the reference iotpd should never fall behind.
//
//   node bench/delivery.mjs                 # LIGHT=300 HEAVY=4000 CONC=32
//   DLR_MASK=0 node bench/delivery.mjs      # iotpd asks Kannel for no reports
//   IOTPD=build/iotpd node bench/delivery.mjs
//   QUICKACK=1 node bench/delivery.mjs      # (root) no delayed ACKs on loopback
//                                           # for the run: ends Kannel's ~40 ms hold
//   CPUS=split node bench/delivery.mjs      # iotpd alone on core 0; Kannel and
//                                           # this script (the clients, the fake
//                                           # SMSC) on core 1
//   DELIVERY_BATCH=4 node bench/delivery.mjs  # delivery drivers hand over rounds of 4
//   KANNEL_STDERR=0 node bench/delivery.mjs # Kannel's debug stream on its stderr
//                                           # (before 8 Dec 2026; see RESULTS)
//   ONLY=burst node bench/delivery.mjs      # only iotpd in front of Kannel (the
//                                           # burst): for A/B runs of two builds
//   PERF=/tmp/p.data node bench/delivery.mjs  # perf record -g on iotpd during
//                                           # the burst
//
// Everything runs on loopback and is stopped at the end. Session creation is
// not timed; each timed send uses a fresh session (no send waits in between).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { cleanup, startWithConfig } from '../tests/e2e/helpers.mjs';
import { iotpConfigFor, startKannel } from '../tests/e2e/kannel.mjs';

const LIGHT = Number(process.env.LIGHT ?? 300);
const HEAVY = Number(process.env.HEAVY ?? 4000);
const CONC = Number(process.env.CONC ?? 32);
const KANNEL_N = Number(process.env.KANNEL_N ?? 4000);
const SPLIT = process.env.CPUS === 'split';
const THREADS = Number(process.env.DELIVERY_THREADS ?? 64);
// Rounds of several messages per delivery driver (delivery_batch; 1 = one per thread).
const BATCH = Number(process.env.DELIVERY_BATCH ?? 1); // set only when asked: older builds know no such option
// Kannel alone with reports gets as many connections as iotpd has delivery
// threads: the same concurrency in front of smsbox.
const KCONC = Number(process.env.KCONC ?? THREADS);
const ONLY_BURST = process.env.ONLY === 'burst';
const PERF = process.env.PERF;

// CPU time (ms) a process has used so far, user + system, all threads.
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(v[11]) + Number(v[12])) * 1000) / 100; // utime, stime in USER_HZ
}
const cpuOf = (pids) => pids.reduce((t, p) => t + cpuMs(p), 0);

// Context switches so far, voluntary and not, summed over a process's threads:
// on a virtual machine each costs more than most of what a message needs.
function switches(pid) {
  let n = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      for (const m of st.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) n += Number(m[1]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return n;
}

// QUICKACK=1: Linux's quickack route attribute on the loopback routes, so no
// ACK is delayed and Kannel's smsbox->bearerbox Nagle hold (bench/RESULTS.md)
// ends at once. The routes are put back as they were at the end.
const QUICKACK = process.env.QUICKACK === '1';
// KANNEL_STDERR=0: Kannel's debug stream on its standard error, as before 8 Dec 2026.
const KANNEL_STDERR = Number(process.env.KANNEL_STDERR ?? 2);
function quickack(on) {
  for (const dst of ['127.0.0.0/8', '127.0.0.1']) {
    const args = ['route', 'change', 'local', dst, 'dev', 'lo', 'proto', 'kernel', 'scope', 'host', 'src', '127.0.0.1', 'table', 'local'];
    const r = spawnSync('ip', on ? [...args, 'quickack', '1'] : args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip route (QUICKACK needs root): ${r.stderr}`);
  }
}

// Pins every thread of a process (and those it starts later) to one core.
function pin(pid, cpu) {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset ${pid}: ${r.stderr}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(64, CONC, KCONC) });

function request(url, { method = 'GET', body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode, text: data }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;
const kRateFmt = (r) => `${r.toFixed(0)} codes/s`;

let counter = 0;
const phone = () => `+4474${String(10000000 + counter++).slice(-8)}`;

async function main() {
  if (QUICKACK) quickack(true);
  // Kannel's standard error at warnings, as a daemon's: its debug stream read
  // through a pipe by this busy process held Kannel up (bench/RESULTS.md).
  const kannel = await startKannel({ stderrLevel: KANNEL_STDERR });
  if (SPLIT) {
    for (const pid of kannel.pids) pin(pid, 1);
    pin(process.pid, 1);
  }
  const arrived = new Map(); // to -> time the SMSC got it
  const seen = kannel.received.length;
  const waiters = new Map();
  // Index arrivals as they come (the harness appends to kannel.received).
  const poll = setInterval(() => {}, 1000);
  const origPush = kannel.received.push.bind(kannel.received);
  kannel.received.push = (m) => {
    arrived.set(m.to, m.at);
    const w = waiters.get(m.to);
    if (w) {
      waiters.delete(m.to);
      w(m.at);
    }
    return origPush(m);
  };
  const arrival = (to) =>
    arrived.has(to) ? Promise.resolve(arrived.get(to)) : new Promise((resolve) => waiters.set(to, resolve));
  void seen;

  // 1. Kannel alone: sendsms straight to smsbox, CONC keep-alive connections.
  const kStart = performance.now();
  let kNext = ONLY_BURST ? KANNEL_N : 0;
  const kLat = [];
  async function kWorker() {
    while (kNext < KANNEL_N) {
      kNext++;
      const to = phone();
      const t0 = performance.now();
      const q = new URLSearchParams({ username: kannel.username, password: kannel.password, to, from: 'iotp', text: 'Your iotp code: 123-456.', charset: 'UTF-8' });
      const r = await request(`${kannel.sendsmsUrl}?${q}`);
      if (r.status !== 202) throw new Error(`sendsms: ${r.status} ${r.text}`);
      kLat.push((await arrival(to)) - t0);
    }
  }
  await Promise.all(Array.from({ length: CONC }, kWorker));
  const kSecs = (performance.now() - kStart) / 1000;
  const kRate = KANNEL_N / kSecs;

  // 1b. Kannel alone asked for delivery reports (as iotpd asks), to a local
  // receiver that answers 200: one at a time, then CONC at once.
  const dlrSink = http.createServer((q, r) => r.end('ok'));
  await new Promise((r) => dlrSink.listen(0, '127.0.0.1', r));
  const dlrUrl = `http://127.0.0.1:${dlrSink.address().port}/dlr?type=%d`;
  async function kSend(lat) {
    const to = phone();
    const t0 = performance.now();
    const q = new URLSearchParams({ username: kannel.username, password: kannel.password, to, from: 'iotp', text: 'Your iotp code: 123-456.', charset: 'UTF-8', 'dlr-mask': '31', 'dlr-url': dlrUrl });
    const r = await request(`${kannel.sendsmsUrl}?${q}`);
    if (r.status !== 202) throw new Error(`sendsms: ${r.status} ${r.text}`);
    lat.push((await arrival(to)) - t0);
  }
  const kdLight = [];
  for (let i = 0; i < (ONLY_BURST ? 0 : LIGHT); i++) await kSend(kdLight);
  const kdLat = [];
  let kdNext = ONLY_BURST ? KANNEL_N : 0;
  const kdStart = performance.now();
  const kdCpu0 = cpuOf(kannel.pids);
  await Promise.all(
    Array.from({ length: KCONC }, async () => {
      while (kdNext++ < KANNEL_N) await kSend(kdLat);
    }),
  );
  const kdRate = KANNEL_N / ((performance.now() - kdStart) / 1000);
  const kdCpu = (cpuOf(kannel.pids) - kdCpu0) / KANNEL_N;

  // 2. iotpd in front of the same Kannel.
  // Dev mode for limits = off, and a high max_connections_per_ip: the benchmark
  // is one address asking thousands of codes. Kannel's reports come in on their
  // own listener, as docs/delivery.md recommends.
  const head = `limits = off
max_connections_per_ip = 4096
callback_listen = 127.0.0.1:0
sms_delays = 0,0,0
http_threads = 8
delivery_threads = ${THREADS}
${process.env.DELIVERY_BATCH ? `delivery_batch = ${BATCH}\n` : ''}`;
  const srv = await startWithConfig(
    iotpConfigFor(kannel, { head, name: 'kannel', secret: 'bench-callback-secret-0123456789', provider: `dlr_mask = ${process.env.DLR_MASK ?? 31}\n` }),
    {},
    { dev: true },
  );
  if (SPLIT) pin(srv.pid, 0);
  const auth = { authorization: `Bearer ${srv.apiKey}`, 'content-type': 'application/json' };
  async function session() {
    const to = phone();
    const r = await request(`${srv.base}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ phone: to }) });
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
    return { id: JSON.parse(r.text).id, to };
  }
  async function timedSend(s) {
    const t0 = performance.now();
    const r = await request(`${srv.base}/v1/sessions/${s.id}/code`, { method: 'POST', headers: auth, body: '{}' });
    if (r.status !== 200) throw new Error(`send: ${r.status} ${r.text}`);
    const answered = performance.now() - t0;
    return { answered, smsc: (await arrival(s.to)) - t0 };
  }

  // Light load: one send at a time.
  const light = [];
  for (let i = 0; i < (ONLY_BURST ? 0 : LIGHT); i++) light.push(await timedSend(await session()));

  // Heavy load: CONC clients, each sending as soon as its last SMS arrived.
  const pre = [];
  for (let i = 0; i < (ONLY_BURST ? 0 : HEAVY); i++) pre.push(await session());
  const heavy = [];
  let next = 0;
  const hStart = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < pre.length) heavy.push(await timedSend(pre[next++]));
    }),
  );
  const hSecs = (performance.now() - hStart) / 1000;
  const hRate = pre.length / hSecs;

  // Throughput in front of Kannel: CONC clients post codes as fast as iotpd
  // answers (they do not wait for the SMS); iotpd's outbox and delivery threads
  // feed Kannel. Rate = codes / time from the first POST to the last arrival.
  const burst = [];
  for (let i = 0; i < HEAVY; i++) burst.push(await session());
  let bNext = 0;
  let perf;
  if (PERF) {
    perf = spawn('perf', ['record', ...(process.env.PERF_ARGS ?? '-g').split(' '), '-q', '-o', PERF, '-p', String(srv.pid)], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
  }
  const bCpu0 = [cpuMs(srv.pid), cpuOf(kannel.pids)];
  const bSw0 = switches(srv.pid);
  const bStart = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (bNext < burst.length) {
        const s = burst[bNext++];
        const r = await request(`${srv.base}/v1/sessions/${s.id}/code`, { method: 'POST', headers: auth, body: '{}' });
        if (r.status !== 200) throw new Error(`send: ${r.status} ${r.text}`);
      }
    }),
  );
  const bPosted = (performance.now() - bStart) / 1000;
  const bLast = Math.max(...(await Promise.all(burst.map((s) => arrival(s.to)))));
  const bRate = HEAVY / ((bLast - bStart) / 1000);
  await new Promise((r) => setTimeout(r, 500)); // the last reports
  const bCpu = [(cpuMs(srv.pid) - bCpu0[0]) / HEAVY, (cpuOf(kannel.pids) - bCpu0[1]) / HEAVY];
  const bSw = (switches(srv.pid) - bSw0) / HEAVY;
  if (perf) {
    const done = new Promise((r) => perf.on('exit', r));
    perf.kill('SIGINT');
    await done;
  }

  // Delivery reports: Kannel's fake SMSC reports every message delivered.
  await new Promise((r) => setTimeout(r, 2000));
  const path = await import('node:path');
  const { IOTPD } = await import('../tests/e2e/helpers.mjs');
  const st = spawnSync(path.join(path.dirname(IOTPD), 'iotpctl'), ['--config', srv.configFile, '--data', srv.dataDir, 'stats'], {
    encoding: 'utf8',
    env: { ...process.env, IOTP_API_KEY: srv.apiKey },
  });

  if (!ONLY_BURST) {
    console.log(`Kannel alone (sendsms, ${CONC} keep-alive connections, ${KANNEL_N} messages): ${kRate.toFixed(0)} msg/s; send -> SMSC p50 ${fmt(pct(kLat, 50))}, p99 ${fmt(pct(kLat, 99))}`);
    console.log(`Kannel alone with DLRs asked: 1 at a time send -> SMSC p50 ${fmt(pct(kdLight, 50))}, p99 ${fmt(pct(kdLight, 99))}; ${KCONC} connections ${kdRate.toFixed(0)} msg/s, p50 ${fmt(pct(kdLat, 50))}, p99 ${fmt(pct(kdLat, 99))}`);
    console.log(`iotpd light load (1 at a time, ${LIGHT} codes): POST answered p50 ${fmt(pct(light.map((x) => x.answered), 50))}, p99 ${fmt(pct(light.map((x) => x.answered), 99))}; POST -> SMSC p50 ${fmt(pct(light.map((x) => x.smsc), 50))}, p99 ${fmt(pct(light.map((x) => x.smsc), 99))}`);
    console.log(`iotpd heavy load (${CONC} clients, each waiting for its SMS, ${HEAVY} codes): ${hRate.toFixed(0)} codes/s; POST -> SMSC p50 ${fmt(pct(heavy.map((x) => x.smsc), 50))}, p99 ${fmt(pct(heavy.map((x) => x.smsc), 99))}`);
  }
  console.log(`iotpd in front of Kannel (${CONC} clients post ${HEAVY} codes without waiting for the SMS): all posted in ${bPosted.toFixed(2)} s, all at the SMSC at ${kRateFmt(bRate)}${ONLY_BURST ? '' : ` (${((100 * bRate) / kdRate).toFixed(0)}% of Kannel alone with DLRs)`}`);
  console.log(`CPU per message: ${ONLY_BURST ? '' : `Kannel alone (bearerbox + smsbox) ${(kdCpu * 1000).toFixed(0)} µs; `}in front of Kannel: iotpd ${(bCpu[0] * 1000).toFixed(0)} µs, Kannel ${(bCpu[1] * 1000).toFixed(0)} µs (iotpd busy ${((100 * bCpu[0] * bRate) / 1000).toFixed(0)}% of one core, Kannel ${((100 * bCpu[1] * bRate) / 1000).toFixed(0)}%); iotpd context switches per message ${bSw.toFixed(1)}`);
  console.log(st.stdout.split('\n').filter((l) => l.startsWith('delivery') || l.startsWith('messages')).join('\n'));

  clearInterval(poll);
  dlrSink.close();
  agent.destroy();
  await srv.stop();
  await kannel.stop();
  await cleanup();
  if (QUICKACK) quickack(false);
}

main().catch(async (e) => {
  console.error(e);
  await cleanup();
  if (QUICKACK) quickack(false);
  process.exit(1);
});
