#!/usr/bin/env node
// bench/kannel-up.mjs DIR: a real Kannel (Debian's bearerbox and smsbox, fake
// SMSC) on loopback for as long as this process lives, for a benchmark written
// in shell (bench/instructions.sh codes). Writes DIR/iotpd.conf, iotpd's
// configuration in front of it (limits off, as bench/delivery.mjs runs it; the
// metrics token "bench-metrics-token-0"), then DIR/ready; stops Kannel on
// SIGTERM or SIGINT.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { iotpConfigFor, startKannel } from '../tests/e2e/kannel.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/kannel-up.mjs DIR');
  process.exit(1);
}
// Warnings only, in the logs and on standard error, as a daemon runs: Kannel's
// debug stream slows it (bench/RESULTS.md) and carries the codes.
const kannel = await startKannel({ stderrLevel: 2, logLevel: 2 });
const head = `limits = off
max_connections_per_ip = 4096
sms_delays = 0,0,0
metrics_token = bench-metrics-token-0
`;
writeFileSync(path.join(dir, 'iotpd.conf'), iotpConfigFor(kannel, { head, secret: 'bench-callback-secret-0123456789' }));
writeFileSync(path.join(dir, 'ready'), `${kannel.sendsmsUrl}\n`);
const stop = async () => {
  await kannel.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
