// Helpers for the end-to-end tests: start the real iotpd binary on a free port
// with a fresh data directory, talk HTTP to it, read the dev inbox, and make
// sure nothing is left running or lying around afterwards.
//
// The binary is $IOTPD (a relative path is taken from the repository root),
// or build/iotpd at the repository root (tests/e2e/../../build/iotpd).
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

export const IOTPD = process.env.IOTPD
  ? path.resolve(repoRoot, process.env.IOTPD)
  : path.join(repoRoot, 'build', 'iotpd');

const running = new Set(); // child processes not yet reaped
const dirs = new Set(); // temp dirs to remove at cleanup

// Last resort: never leave an iotpd or a temp dir behind, even if a test
// file crashes before its after() hook runs.
process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls fn() until it returns a truthy value (returned) or timeoutMs passes
 *  (then returns the last value). The default is generous: a passing wait
 *  costs nothing, and CI's machines under ASan are slower than ours. */
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= deadline) return v;
    await sleep(intervalMs);
  }
}

/**
 * With IOTP_E2E_PG set (a libpq URI of a PostgreSQL server the tests may
 * create schemas in; scripts/test.sh starts one), every iotpd that start()
 * runs keeps its state in PostgreSQL: a schema of its own, named after its
 * data directory, so a restart on the same directory finds its state again.
 * Otherwise the SQLite file under the data directory.
 */
export const E2E_PG = process.env.IOTP_E2E_PG || '';

/** The store URL of an iotpd started on dataDir (creating its schema). */
export function storeFor(dataDir, schema) {
  if (!E2E_PG) return `sqlite:${dataDir}/iotp.db`;
  const name = schema ?? `e2e_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  pgAdmin(`CREATE SCHEMA IF NOT EXISTS ${name}`);
  return `${E2E_PG}${E2E_PG.includes('?') ? '&' : '?'}options=-csearch_path%3D${name}`;
}

/** Runs one SQL statement on the IOTP_E2E_PG server (psql, quietly). */
export function pgAdmin(sql) {
  execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-c', `SET client_min_messages = warning; ${sql}`, E2E_PG], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** A fresh temp directory, removed by cleanup(). */
export function makeDataDir(prefix = 'iotp-e2e-') {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/** The environment for a child: ours without any IOTP_* variable (so the
 *  caller's shell cannot change what a test sees), plus overrides. */
function childEnv(overrides = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IOTP_')) env[k] = v;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

function watch(child) {
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s) => (out.stdout += s));
  child.stderr.on('data', (s) => (out.stderr += s));
  running.add(child);
  // 'close', not 'exit': by then the child's output has all been read.
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      running.delete(child);
      resolve({ code: null, signal: null, error: err });
    });
  });
  return { out, exited };
}

/**
 * Runs iotpd with args to completion (for start-up failures). If it is still
 * running after timeoutMs it is killed and timedOut is true.
 */
export async function runIotpd(args, envOverrides = {}, { timeoutMs = 10000 } = {}) {
  const child = spawn(IOTPD, args, { env: childEnv(envOverrides), stdio: ['ignore', 'pipe', 'pipe'] });
  const { out, exited } = watch(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const res = await exited;
  clearTimeout(timer);
  return { ...res, timedOut, stdout: out.stdout, stderr: out.stderr };
}

/**
 * Starts `iotpd --dev --listen 127.0.0.1:0 --data <dir>` and waits for its
 * "listening on http://HOST:PORT" line.
 *
 * env: IOTP_* overrides (IOTP_API_KEY defaults to a random key).
 * opts.dataDir: reuse a directory (e.g. for a restart); else a fresh one.
 * opts.args: replaces the default mode arguments (['--dev']).
 */
export async function start(env = {}, opts = {}) {
  const dataDir = opts.dataDir ?? makeDataDir();
  const apiKey = env.IOTP_API_KEY ?? `e2e-${randomBytes(12).toString('hex')}`;
  const args = [...(opts.args ?? ['--dev']), '--listen', '127.0.0.1:0', '--data', dataDir];
  const store = env.IOTP_STORE ?? storeFor(dataDir, opts.schema);
  const pgEnv = {};
  if (E2E_PG && env.IOTP_STORE === undefined) {
    pgEnv.IOTP_STORE = store;
    // Nodes sharing a database share a secret; one per data directory here, so
    // a restart on it unseals what it sealed before.
    if (!args.includes('--dev') && env.IOTP_SECRET === undefined)
      pgEnv.IOTP_SECRET = createHash('sha256').update(`secret:${opts.secretOf ?? dataDir}`).digest('hex');
  }
  // Tests start bursts of sessions from one address and verify few of them:
  // what the pressure measure and the distinct-numbers-per-site signal
  // (docs/fraud.md) take for pumping, and so does the spread measure once a
  // country has verifications. They stay out of the way unless a test sets
  // IOTP_FRAUD_PRESSURE_FLOOR, IOTP_POW_NETWORK_NUMBERS or IOTP_FRAUD_SPREAD_FLOOR itself.
  const child = spawn(IOTPD, args, {
    env: childEnv({ IOTP_API_KEY: apiKey, IOTP_FRAUD_PRESSURE_FLOOR: '10000000', IOTP_POW_NETWORK_NUMBERS: '0', IOTP_FRAUD_SPREAD_FLOOR: '0', ...pgEnv, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { out, exited } = watch(child);
  let exitInfo = null;
  exited.then((r) => (exitInfo = r));

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`iotpd did not print "listening on" within 10 s\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`));
    }, 10000);
    const onData = () => {
      const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(out.stdout);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    exited.then((r) => {
      clearTimeout(timer);
      reject(new Error(`iotpd exited before listening (${JSON.stringify(r)})\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;

  /**
   * One HTTP request. body (any JSON value) is sent as JSON; rawBody (string
   * or Buffer) is sent as is, with only the headers given. auth: true (the
   * server's key), false (no Authorization header) or a string (another key).
   * Each call uses a fresh connection (Connection: close) unless keepAlive:
   * a pooled idle connection can be closed by the server's idle timeout just
   * as it is reused, which would fail a test for the harness's sake (the raw
   * socket tests cover keep-alive).
   * signal: an AbortSignal that gives up the request.
   * Returns {status, headers, body (parsed JSON or undefined), text}.
   */
  async function call(method, urlPath, body, { auth = true, headers = {}, rawBody, keepAlive = false, signal } = {}) {
    const h = keepAlive ? {} : { connection: 'close' };
    if (auth === true) h.authorization = `Bearer ${apiKey}`;
    else if (typeof auth === 'string') h.authorization = `Bearer ${auth}`;
    let payload;
    if (rawBody !== undefined) payload = rawBody;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined || v === null) delete h[k.toLowerCase()];
      else h[k.toLowerCase()] = v;
    }
    const res = await fetch(base + urlPath, { method, headers: h, body: payload, signal });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json, text };
  }

  /** The dev inbox of a number (newest first). */
  async function inbox(phone) {
    const r = await call('GET', `/v1/dev/inbox?to=${encodeURIComponent(phone)}`);
    if (r.status !== 200) throw new Error(`inbox: ${r.status} ${r.text}`);
    return r.body;
  }

  /** Polls the inbox until it holds at least count messages (or timeoutMs). */
  async function waitInbox(phone, count = 1, timeoutMs = 10000) {
    let list = [];
    await waitFor(async () => (list = await inbox(phone)).length >= count, { timeoutMs });
    return list;
  }

  /** Sends signal (SIGTERM by default) and waits for the exit: {code, signal}. */
  async function stop(signal = 'SIGTERM', timeoutMs = 15000) {
    if (exitInfo) return exitInfo;
    child.kill(signal);
    let timer;
    const r = await Promise.race([
      exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!r) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`iotpd did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return r;
  }

  return {
    base,
    port,
    apiKey,
    dataDir,
    store,
    /** iotpctl's arguments to open this server's store. */
    storeArgs: ['--store', store],
    pid: child.pid,
    child,
    exited,
    call,
    inbox,
    waitInbox,
    stop,
    kill: () => stop('SIGKILL'),
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
  };
}

/** Kills every iotpd still running (SIGKILL) and removes the temp dirs. */
export async function cleanup() {
  const waits = [];
  for (const child of running) {
    waits.push(new Promise((resolve) => child.once('exit', resolve)));
    child.kill('SIGKILL');
  }
  await Promise.all(waits);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** The code as an SMS text ("Your iotp code: 123-456. ...") shows it ("123-456"). */
export function codeAsShown(text) {
  const m = /code: ([\d-]+)\./.exec(text);
  if (!m) throw new Error(`no code in ${JSON.stringify(text)}`);
  return m[1];
}

/** The code an SMS text carries, as a person types it ("123456"). */
export function codeFromSms(text) {
  return codeAsShown(text).replace(/-/g, '');
}

export const SMS_RE =
  /^Your iotp code: \d{3}-\d{3}\. Don't share this code with anyone\. It expires in \d+ minutes?\.$/;

let phoneCounter = 0;
/** A distinct valid GB mobile number for each call in this process
 *  (+44 74ab cdefgh), so tests sharing a server never share an inbox. Each
 *  call moves to another range (abc), so a test's codes that are never
 *  verified do not look like SMS pumping into one range (docs/fraud.md). */
export function freshPhone() {
  phoneCounter++;
  const range = phoneCounter % 900; // 900 ranges: 740..744, 746..749 (745 is partly unassigned)
  const a = [0, 1, 2, 3, 4, 6, 7, 8, 9][Math.floor(range / 100)];
  const bc = String(range % 100).padStart(2, '0');
  const tail = String((process.pid * 37 + Math.floor(phoneCounter / 900)) % 100000).padStart(5, '0');
  return `+4474${a}${bc}${tail}`;
}

/** A wrong code of the same length that differs from code. */
export function wrongCode(code, salt = 1) {
  const n = code.length;
  let w;
  do {
    w = String((Number(code) + salt * 7919 + Math.floor(Math.random() * 1000)) % 10 ** n).padStart(n, '0');
  } while (w === code);
  return w;
}

/**
 * A raw TCP connection speaking HTTP/1.1 by hand, for what fetch cannot do
 * (hold connections open, send half a request). request() writes text and
 * resolves with the next response on this connection.
 */
export async function rawConnect(port) {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  let waiter = null;
  let closed = false;
  const closedP = new Promise((resolve) => sock.once('close', () => {
    closed = true;
    resolve();
    if (waiter) waiter();
  }));
  sock.on('error', () => {});
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (waiter) waiter();
  });

  function tryParse() {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const head = buf.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(head[0].split(' ')[1]);
    const headers = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    if (buf.length < end + 4 + len) return null;
    const text = buf.subarray(end + 4, end + 4 + len).toString('utf8');
    buf = buf.subarray(end + 4 + len);
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status, headers, text, body };
  }

  /** Resolves with the next full response, or null if the connection closes first. */
  function response(timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = null;
        reject(new Error('no response on raw connection'));
      }, timeoutMs);
      const check = () => {
        const r = tryParse();
        if (r || closed) {
          clearTimeout(timer);
          waiter = null;
          resolve(r);
        }
      };
      waiter = check;
      check();
    });
  }

  return {
    socket: sock,
    write: (data) => sock.write(data),
    async request(text, timeoutMs) {
      sock.write(text);
      return response(timeoutMs);
    },
    response,
    closed: closedP,
    get isClosed() {
      return closed;
    },
    /** Bytes received and not yet parsed as a response. */
    get pending() {
      return buf;
    },
    close() {
      sock.destroy();
      return closedP;
    },
  };
}

/** The text of a simple HTTP/1.1 request. */
export function httpRequest(method, urlPath, { headers = {}, body = '' } = {}) {
  const lines = [`${method} ${urlPath} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body || method === 'POST' || method === 'PUT') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Starts iotpd in production mode with a configuration file holding text
 * (options and [kind name] sections; listen and data_dir come from start()).
 * opts as for start(); opts.dev adds --dev (for the dev inbox).
 */
export async function startWithConfig(text, env = {}, opts = {}) {
  const { writeFileSync } = await import('node:fs');
  const confDir = makeDataDir('iotp-conf-');
  const file = path.join(confDir, 'iotp.conf');
  // Production mode allows no country until [geo] says so (docs/fraud.md).
  writeFileSync(file, /^\[geo\]/m.test(text) ? text : `${text}\n[geo]\nallow = *\n`);
  const args = [...(opts.dev ? ['--dev'] : []), '--config', file];
  const srv = await start(env, { ...opts, args });
  srv.configFile = file;
  return srv;
}
