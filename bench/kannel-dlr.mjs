// bench/kannel-dlr.mjs: Kannel alone (no iotpd), one sendsms at a time, with
// delivery reports asked, varying the dlr-mask and the pause between one
// message reaching the (fake) SMSC and the next sendsms. Shows where the
// ~40 ms of bench/delivery.mjs's "POST -> SMSC" with dlr_mask = 31 come from:
// two reports per message (8 "SMSC accepted" and 1 "delivered", which the
// fake SMSC emits together) make smsbox write two small acknowledgements to
// bearerbox back to back; Kannel's box connection has Nagle's algorithm on
// (gwlib sets no TCP_NODELAY), so the second waits for bearerbox's delayed
// ACK (40 ms on Linux) and the next sendsms's message queues behind it.
//
// The p50 flips between ~1 ms and ~40 ms from run to run (it depends on how
// the sends fall against the reports), hence the share of sends over 20 ms.
// With TCP_NODELAY forced on Kannel's sockets (bench/kannel-nodelay.c) every
// cell drops to a few ms.
//
//   node bench/kannel-dlr.mjs          # N=100 per cell
import http from 'node:http';
import { cleanup } from '../tests/e2e/helpers.mjs';
import { startKannel } from '../tests/e2e/kannel.mjs';

const N = Number(process.env.N ?? 100);
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const get = (url) =>
  new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
      .on('error', reject);
  });
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main() {
  const kannel = await startKannel({ stderrLevel: 2 }); // as in bench/delivery.mjs
  const waiters = new Map();
  const push = kannel.received.push.bind(kannel.received);
  kannel.received.push = (m) => {
    waiters.get(m.to)?.(m.at);
    waiters.delete(m.to);
    return push(m);
  };
  const sink = http.createServer((q, r) => r.end('ok'));
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const dlrUrl = `http://127.0.0.1:${sink.address().port}/dlr?type=%d`;
  let n = 0;
  console.log('dlr-mask  pause after arrival  send -> SMSC p50 / p99  (sends over 20 ms)');
  for (const pause of [0, 2, 5, 10])
    for (const mask of ['31', '8', '1']) {
      const lat = [];
      for (let i = 0; i < N; i++) {
        const to = `+4475${String(10000000 + n++).slice(-8)}`;
        const arrived = new Promise((r) => waiters.set(to, r));
        const t0 = performance.now();
        const q = new URLSearchParams({ username: kannel.username, password: kannel.password, to, from: 'iotp', text: 'Your iotp code: 123-456.', 'dlr-mask': mask, 'dlr-url': dlrUrl });
        const status = await get(`${kannel.sendsmsUrl}?${q}`);
        if (status !== 202) throw new Error(`sendsms: ${status}`);
        lat.push((await arrived) - t0);
        await new Promise((r) => setTimeout(r, pause));
      }
      console.log(`${mask.padStart(8)}  ${String(pause).padStart(16)} ms  ${pct(lat, 50).toFixed(2)} ms / ${pct(lat, 99).toFixed(2)} ms  (${Math.round((100 * lat.filter((x) => x > 20).length) / lat.length)} %)`);
    }
  sink.close();
  agent.destroy();
  await kannel.stop();
  await cleanup();
}

main().catch(async (e) => {
  console.error(e);
  await cleanup();
  process.exit(1);
});
