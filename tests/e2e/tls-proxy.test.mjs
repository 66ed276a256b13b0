// iotpd behind a real nginx terminating TLS (issue 16, docs/deploy.md): the
// test makes a self-signed certificate with openssl, starts nginx on loopback
// with the configuration docs/deploy.md gives, and talks HTTPS to it. iotpd
// trusts the proxy's address only: it sees the client's address through
// X-Forwarded-For, a client's forged X-Forwarded-For does not move it, and
// nginx's request id comes back as X-Request-Id.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { cleanup, codeFromSms, freshPhone, makeDataDir, start, waitFor } from './helpers.mjs';

let srv, nginx, port, ca;
const dir = makeDataDir('iotp-nginx-');

/** A port free right now on 127.0.0.1. */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}

/** docs/deploy.md's server block, with this test's ports and files. */
function nginxConf(upstream) {
  return `
${process.getuid() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;

    upstream iotp {
        server ${upstream};
        keepalive 16;
    }
    server {
        listen 127.0.0.1:${port} ssl;
        server_name localhost;
        ssl_certificate     ${dir}/cert.pem;
        ssl_certificate_key ${dir}/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size 16k;

        location / {
            proxy_pass http://iotp;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Id $request_id;
            proxy_next_upstream error timeout;
        }
    }
}
`;
}

/** One HTTPS request through nginx, from localAddress (a loopback address). */
function request(method, urlPath, { body, headers = {}, localAddress = '127.0.0.2' } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        method,
        path: urlPath,
        ca,
        localAddress,
        headers: {
          authorization: `Bearer ${srv.apiKey}`,
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        const tls = res.socket.getProtocol();
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined, tls }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

before(async () => {
  // A certificate for localhost and 127.0.0.1, valid a day, made here.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  ca = readFileSync(path.join(dir, 'cert.pem'));
  srv = await start({ IOTP_TRUSTED_PROXIES: '127.0.0.1', IOTP_ACCESS_LOG: 'on' });
  port = await freePort();
  writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(`127.0.0.1:${srv.port}`));
  nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  nginx.stderr.on('data', (d) => (err += d));
  const up = await waitFor(
    () =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
        s.on('error', () => resolve(false));
      }),
    { timeoutMs: 10000 },
  );
  assert.ok(up, `nginx did not start: ${err} ${(() => { try { return readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch { return ''; } })()}`);
});

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const gone = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGQUIT'); // graceful: workers finish, then the master exits
    await gone;
  }
  await cleanup();
});

test('a verification over HTTPS through nginx', async () => {
  const phone = freshPhone();
  const c = await request('POST', '/v1/sessions', { body: { phone } });
  assert.equal(c.status, 201);
  assert.match(c.tls, /^TLSv1\.[23]$/);
  // nginx's $request_id (32 hex digits) is the one iotpd logs and returns.
  assert.match(c.headers['x-request-id'], /^[0-9a-f]{32}$/);
  const s = await request('POST', `/v1/sessions/${c.body.id}/code`, { body: { channel: 'sms' } });
  assert.equal(s.status, 200);
  const [sms] = await srv.waitInbox(phone);
  const code = codeFromSms(sms.text);
  const v = await request('PUT', `/v1/sessions/${c.body.id}/code`, { body: { code } });
  assert.equal(v.status, 200);
  assert.equal(v.body.verified, true);
  await waitFor(() => srv.stderr.includes(`request_id=${c.headers['x-request-id']}`));
  assert.match(srv.stderr, new RegExp(`route=/v1/sessions status=201 .* request_id=${c.headers['x-request-id']}`));
});

test('iotpd sees the client behind the trusted proxy, not a forged X-Forwarded-For', async () => {
  const phone = freshPhone();
  await request('POST', '/v1/sessions', { body: { phone } });
  // The admin timeline logs who read it: the address iotpd took for the client.
  const r = await request('GET', `/v1/admin/numbers/${encodeURIComponent(phone)}`, {
    headers: { authorization: 'Bearer dev-admin', 'x-forwarded-for': '198.51.100.9' },
    localAddress: '127.0.0.3',
  });
  assert.equal(r.status, 200);
  await waitFor(() => /admin: timeline of \S+ read from /.test(srv.stderr));
  assert.match(srv.stderr, /admin: timeline of \S+ read from 127\.0\.0\.3$/m);
  assert.doesNotMatch(srv.stderr, /read from 198\.51\.100\.9/);
});

test('plain HTTP to the TLS port is refused by nginx, not passed on', async () => {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(r.status, 400);
  assert.doesNotMatch(srv.stderr, /route=\/healthz/);
});
