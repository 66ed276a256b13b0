// Real Kannel for the end-to-end tests: bearerbox + smsbox from Debian's
// kannel package, on free loopback ports, with either the `fake` SMSC (the
// test itself is the fake SMSC client and reads every message Kannel
// delivers) or `smpp` to an SMPP simulator the test runs (smpp-sim.mjs).
// Everything is started by the test and stopped after it.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeDataDir, sleep, waitFor } from './helpers.mjs';

export const BEARERBOX = '/usr/sbin/bearerbox';
export const SMSBOX = '/usr/sbin/smsbox';

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** The token iotpd puts in a report URL: HMAC-SHA256(secret, id), 128 bits in hex. */
export function reportToken(secret, id) {
  return createHmac('sha256', secret).update(id).digest('hex').slice(0, 32);
}

/** Decodes one line of Kannel's fake SMSC protocol: "from to type data". */
export function parseFakeLine(line) {
  const parts = line.split(' ');
  const [from, to, type] = parts;
  const data = parts.slice(3).join(' ');
  let text;
  const bytes = Buffer.from(decodeURIComponent(data.replace(/\+/g, ' ')).split('').map((c) => c.charCodeAt(0)));
  if (type === 'ucs-2') {
    const be = Buffer.alloc(bytes.length);
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      be[i] = bytes[i + 1];
      be[i + 1] = bytes[i];
    }
    text = be.toString('utf16le');
  } else {
    text = bytes.toString('latin1');
  }
  return { from: decodeURIComponent(from), to: decodeURIComponent(to), type, text };
}

function spawnBox(bin, conf, logs, stderrLevel) {
  const args = stderrLevel === undefined ? [conf] : ['-v', String(stderrLevel), conf];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => (logs.out += d));
  child.stderr.on('data', (d) => (logs.out += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, exited };
}

/**
 * Starts Kannel. opts.smsc: 'fake' (default) or {smpp: port} to reach an SMPP
 * simulator. opts.stderrLevel: what the boxes write to their standard error
 * (gwlib's -v: 0 debug, the default, ... 2 warnings): a benchmark asks for 2,
 * as a daemon's standard error goes nowhere, while here a pipe that the test's
 * event loop drains late holds every Kannel thread that logs (bench/RESULTS.md).
 * opts.logLevel: both boxes' log-level (1, info, unless given).
 * Returns {sendsmsUrl, username, password, received (fake SMSC
 * messages: {from, to, type, text, at}), waitFor(pred), status(), stop()}.
 */
export async function startKannel(opts = {}) {
  try {
    return await startKannelOnce(opts);
  } catch (e) {
    // Once in a fresh-clone CI run bearerbox logged its admin server open
    // but never answered it within 10 s: start again, on new ports.
    if (!(e instanceof BearerboxSilent)) throw e;
    return startKannelOnce(opts);
  }
}

class BearerboxSilent extends Error {}

async function startKannelOnce(opts) {
  const dir = makeDataDir('iotp-kannel-');
  mkdirSync(path.join(dir, 'log'), { recursive: true });
  const [admin, boxPort, sendsms, fakePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const username = 'iotp';
  const password = 'kannel-test-pass';
  const adminPassword = 'adm-' + Math.random().toString(36).slice(2);
  const smsc = opts.smsc?.smpp
    ? [
        'group = smsc',
        'smsc = smpp',
        'smsc-id = sim',
        'host = 127.0.0.1',
        `port = ${opts.smsc.smpp}`,
        'transceiver-mode = true',
        'system-id = kannel',
        'smsc-password = simpass',
        'system-type = ""',
        'msg-id-type = 0x00', // the simulator's ids are decimal in both PDUs
        'reconnect-delay = 1',
      ]
    : ['group = smsc', 'smsc = fake', 'smsc-id = fake', `port = ${fakePort}`, 'connect-allow-ip = 127.0.0.1'];
  const conf = [
    'group = core',
    `admin-port = ${admin}`,
    'admin-interface = 127.0.0.1',
    `admin-password = ${adminPassword}`,
    `smsbox-port = ${boxPort}`,
    'smsbox-interface = 127.0.0.1',
    'box-allow-ip = 127.0.0.1',
    'dlr-storage = internal',
    `log-file = ${dir}/log/bearerbox.log`,
    `log-level = ${opts.logLevel ?? 1}`,
    '',
    'group = smsbox',
    'bearerbox-host = 127.0.0.1',
    `bearerbox-port = ${boxPort}`,
    `sendsms-port = ${sendsms}`,
    'sendsms-interface = 127.0.0.1',
    'http-request-retry = 3',
    `log-file = ${dir}/log/smsbox.log`,
    `log-level = ${opts.logLevel ?? 1}`,
    '',
    'group = sendsms-user',
    `username = ${username}`,
    `password = ${password}`,
    ...(opts.sendsmsUser ?? []),
    '',
    ...smsc,
    '',
  ].join('\n');
  const confPath = path.join(dir, 'kannel.conf');
  writeFileSync(confPath, conf);
  const logs = { out: '' };
  const statusUrl = `http://127.0.0.1:${admin}/status.txt?password=${adminPassword}`;
  const status = async () => {
    try {
      const r = await fetch(statusUrl, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2000) });
      return await r.text();
    } catch {
      return '';
    }
  };

  const bb = spawnBox(BEARERBOX, confPath, logs, opts.stderrLevel);
  if (!(await waitFor(status, { timeoutMs: 10000 }))) {
    bb.child.kill('SIGKILL');
    await bb.exited;
    throw new BearerboxSilent(`bearerbox did not start:\n${logs.out}`);
  }

  // The fake SMSC: the test is the client Kannel delivers to, one line each.
  // opts.smscLater: not connected until connectSmsc() (Kannel queues meanwhile).
  const received = [];
  let sock = null;
  async function connectSmsc() {
    sock = await waitFor(
      () =>
        new Promise((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: fakePort });
          s.once('connect', () => resolve(s));
          s.once('error', () => resolve(null));
        }),
      { timeoutMs: 5000 },
    );
    if (!sock) throw new Error('could not connect to the fake SMSC port');
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (line) received.push({ ...parseFakeLine(line), at: performance.now() });
      }
    });
    sock.on('error', () => {});
  }
  if (!opts.smsc?.smpp && !opts.smscLater) await connectSmsc();

  const sb = spawnBox(SMSBOX, confPath, logs, opts.stderrLevel);
  const ready = await waitFor(
    async () => {
      const s = await status();
      return /smsbox:.*on-line/.test(s) && (opts.smscLater || /\(online/.test(s));
    },
    { timeoutMs: 15000 },
  );
  if (!ready) throw new Error(`Kannel did not become ready:\n${await status()}\n${logs.out}`);

  async function stop() {
    try {
      await fetch(`http://127.0.0.1:${admin}/shutdown?password=${adminPassword}`, { headers: { connection: 'close' } });
    } catch {
      /* already down */
    }
    const done = Promise.all([bb.exited, sb.exited]);
    const timer = setTimeout(() => {
      bb.child.kill('SIGKILL');
      sb.child.kill('SIGKILL');
    }, 8000);
    if (sock) sock.destroy();
    await done;
    clearTimeout(timer);
  }

  return {
    sendsmsUrl: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms`,
    sendsmsPort: sendsms,
    /** bearerbox's and smsbox's process ids (the benchmark pins them to a core). */
    pids: [bb.child.pid, sb.child.pid],
    username,
    password,
    received,
    status,
    connectSmsc,
    /** Waits for a fake-SMSC message matching pred; returns it or undefined. */
    async waitMessage(pred, timeoutMs = 5000) {
      return waitFor(() => received.find(pred), { timeoutMs, intervalMs: 10 });
    },
    stop,
    logs,
    logDir: path.join(dir, 'log'),
  };
}

/**
 * A [provider name] section for Kannel k, with callback_secret secret; password
 * (k's own unless given) and further lines (lines) for the tests that need them.
 */
export function kannelProvider(k, { name = 'kannel-a', secret, password = k.password, lines = '' }) {
  return `[provider ${name}]
type = kannel
url = ${k.sendsmsUrl}
username = ${k.username}
password = ${password}
callback_secret = ${secret}
${lines}`;
}

/**
 * iotpd's configuration in front of Kannel k: head (options first), then
 * kannelProvider(k, {name, secret, lines: provider}), the default sender
 * (sender: its lines) and a default route sending SMS through it.
 */
export function iotpConfigFor(k, { head = '', name = 'kannel-a', secret, provider = '', sender = 'alpha = iotp' }) {
  return `${head}
${kannelProvider(k, { name, secret, lines: provider })}
[sender default]
${sender}

[route default]
sms = ${name}
`;
}

export { sleep };
