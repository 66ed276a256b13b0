// A local HTTP server that plays an aggregator's REST API (or a voice or
// messaging platform's) for the http provider's tests: it records every
// request and answers with what the test's handler says.
import http from 'node:http';

/**
 * Starts a receiver on 127.0.0.1 (port 0 picks a free one, or give one).
 * handler(req) returns {status, body (object or string), delayMs, hold} or
 * undefined for 200 {}. hold: never answer (until close()).
 * Returns {port, url, requests: [{method, url, headers, body, json}], close()}.
 */
export async function startReceiver(handler = () => undefined, port = 0) {
  const requests = [];
  const held = new Set();
  const srv = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      let json;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r = { method: req.method, url: req.url, headers: req.headers, body, json };
      requests.push(r);
      const a = (await handler(r)) ?? {};
      if (a.hold) {
        held.add(res);
        return;
      }
      if (a.delayMs) await new Promise((resolve) => setTimeout(resolve, a.delayMs));
      const payload = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
      res.end(payload);
    });
  });
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', resolve);
  });
  const actual = srv.address().port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    requests,
    async close() {
      for (const res of held) res.destroy();
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    },
  };
}
