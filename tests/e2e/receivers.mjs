// Real receivers on loopback for what iotpd sends out: an HTTP webhook
// receiver that checks signatures and can be told to fail, and Debian's
// aiosmtpd as the SMTP server that gets iotp's e-mails.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

import { makeDataDir, sleep, waitFor } from './helpers.mjs';

/** Checks an Iotp-Signature header the way docs/accounts.md tells apps to. */
export function signatureValid(header, body, secret, { toleranceS = 300 } = {}) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > toleranceS) return false;
  const want = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(want, Buffer.from(m[2], 'hex'));
}

/**
 * Starts a webhook receiver. failFirst: how many deliveries to answer 503
 * before accepting; failAll: answer 503 to everything until recover(); hold:
 * take each request and answer nothing until release(). Returns {url,
 * deliveries (every request: {id, type, body, signature, status, at}; status
 * 'held' while unanswered), accepted (events answered 2xx), held() (requests
 * waiting for an answer), release(), recover(), close()}.
 */
export async function startWebhookReceiver({ failFirst = 0, failAll = false, hold = false } = {}) {
  const deliveries = [];
  const waiting = [];
  let failuresLeft = failFirst;
  let failing = failAll;
  let holding = hold;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const d = { id: req.headers['iotp-event-id'], type: body?.type, body, raw, signature: req.headers['iotp-signature'], at: Date.now() };
      deliveries.push(d);
      if (holding) {
        d.status = 'held';
        waiting.push({ d, res });
        return;
      }
      d.status = failing || failuresLeft > 0 ? 503 : 204;
      if (failuresLeft > 0) failuresLeft--;
      res.writeHead(d.status).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hooks/iotp`,
    deliveries,
    accepted: () => deliveries.filter((d) => d.status < 300),
    held: () => waiting.length,
    /** Answers the held requests 204, and every later one at once. */
    release() {
      holding = false;
      for (const { d, res } of waiting.splice(0)) {
        d.status = 204;
        res.writeHead(204).end();
      }
    },
    /** Stops answering 503 (failAll). */
    recover() {
      failing = false;
    },
    /** Waits for an accepted event of type (and matching pred) and returns it. */
    async waitEvent(type, pred = () => true, timeoutMs = 8000) {
      let hit;
      await waitFor(() => (hit = deliveries.find((d) => d.status < 300 && d.type === type && pred(d.body))), { timeoutMs });
      if (!hit) throw new Error(`no ${type} event; got ${JSON.stringify(deliveries.map((d) => [d.type, d.status]))}`);
      return hit;
    },
    close() {
      this.release();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * Makes a self-signed certificate for 127.0.0.1 with Debian's openssl, as an
 * operator would for a private mail relay. Returns {cert, key} (file paths).
 */
export function makeSelfSignedCert() {
  const dir = makeDataDir('iotp-cert-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
  { stdio: 'ignore' });
  return { cert, key };
}

/**
 * Starts Debian's aiosmtpd on loopback, storing mail in a Maildir. With tls
 * ({cert, key}) it offers STARTTLS and refuses mail before it (aiosmtpd's
 * require-TLS default). Returns {url (for smtp_url), messages() (texts
 * received), waitMessage(), stop()}.
 */
export async function startSmtpServer({ tls } = {}) {
  const port = await freePort();
  const maildir = path.join(makeDataDir('iotp-smtp-'), 'Maildir');
  const tlsArgs = tls ? ['--tlscert', tls.cert, '--tlskey', tls.key] : [];
  const child = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`,
    ...tlsArgs, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const up = await waitFor(() => new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  }), { timeoutMs: 10000, intervalMs: 100 });
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`aiosmtpd did not start: ${stderr}`);
  }
  const messages = () => {
    const out = [];
    for (const sub of ['new', 'cur']) {
      let names = [];
      try {
        names = readdirSync(path.join(maildir, sub));
      } catch {
        continue;
      }
      for (const n of names) out.push(readFileSync(path.join(maildir, sub, n), 'utf8'));
    }
    return out;
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async waitMessage(count = 1, timeoutMs = 8000) {
      await waitFor(() => messages().length >= count, { timeoutMs });
      return messages();
    },
    async stop() {
      child.kill('SIGTERM');
      await sleep(50);
    },
  };
}
