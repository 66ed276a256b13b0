// GET /metrics, read by a real Prometheus (Debian's) that scrapes iotpd every
// second: codes that went out through real Kannel (fake SMSC), came back as
// delivery reports, and were checked show up in PromQL as an operator's
// dashboard would ask for them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, codeFromSms, freshPhone, runIotpd, start, startWithConfig, waitFor } from './helpers.mjs';
import { iotpConfigFor, reportToken, startKannel } from './kannel.mjs';
import { startPrometheus } from './prometheus.mjs';

const SECRET = 'kannel-callback-secret-0123456789';
const TOKEN = 'metrics-token-0123456789abcdef';
let kannel;
let srv;
let prom;

before(async () => {
  kannel = await startKannel();
  srv = await startWithConfig(
    iotpConfigFor(kannel, { head: `metrics_token = ${TOKEN}\n`, name: 'kannel-m', secret: SECRET }),
  );
  prom = await startPrometheus({ port: srv.port, token: TOKEN });
});

after(async () => {
  await prom?.stop();
  await srv?.stop();
  await kannel?.stop();
  await cleanup();
});

/** The value PromQL gives expr once Prometheus has scraped it (null: no series). */
async function promValue(expr, want) {
  let got = null;
  await waitFor(
    async () => {
      const r = await prom.query(expr);
      assert.ok(r.length <= 1, `${expr}: one series, got ${JSON.stringify(r)}`);
      got = r.length ? r[0].value : null;
      return got === want;
    },
    { timeoutMs: 30000, intervalMs: 250 },
  );
  if (got !== want) console.log(`${expr}: the last scrape: ${JSON.stringify(await prom.target())}`);
  return got;
}
async function deliveredSession(phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, { channel: 'sms' });
  assert.equal(s.status, 200, s.text);
  const m = await kannel.waitMessage((r) => r.to === phone, 15000);
  assert.ok(m, `the SMSC got the code for ${phone}`);
  await waitFor(
    async () => (await srv.call('GET', `/v1/sessions/${c.body.id}`)).body.timeline[0]?.status === 'delivered',
    { timeoutMs: 15000 },
  );
  return { id: c.body.id, code: codeFromSms(m.text) };
}

describe('GET /metrics, scraped by Prometheus', () => {
  test('Prometheus scrapes iotpd with the token and accepts every line', async () => {
    let t;
    await waitFor(async () => (t = await prom.target())?.health === 'up', { timeoutMs: 30000 });
    assert.equal(t?.health, 'up', `${JSON.stringify(t)}\n${prom.log}`);
    assert.equal(t.lastError, '');
    const r = await srv.call('GET', '/metrics', undefined, { auth: TOKEN });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(r.text, /^# TYPE iotp_message_deliver_seconds histogram$/m);
  });

  test('codes sent, hand-overs, delivery reports and their times, checks', async () => {
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push(await deliveredSession(freshPhone()));
    const wrongCode = sessions[1].code === '000000' ? '111111' : '000000';
    assert.equal((await srv.call('PUT', `/v1/sessions/${sessions[1].id}/code`, { code: wrongCode })).status, 400);
    assert.equal((await srv.call('PUT', `/v1/sessions/${sessions[0].id}/code`, { code: sessions[0].code })).status, 200);

    const gb = 'country="GB"';
    const k = 'provider="kannel-m"';
    const expect = [
      [`iotp_codes_sent_total{app="default",${gb},channel="sms"}`, 3],
      [`iotp_messages_total{${k},${gb},channel="sms",outcome="submitted"}`, 3],
      [`iotp_handovers_total{${k},outcome="submitted"}`, 3],
      // Only reports that moved a message on count: Kannel's "accepted" can reach
      // iotpd after "delivered" (its callbacks run in parallel), and is then late.
      [`iotp_delivery_reports_total{${k},state="delivered"}`, 3],
      [`iotp_code_checks_total{app="default",${gb},result="right"}`, 1],
      [`iotp_code_checks_total{app="default",${gb},result="wrong"}`, 1],
      [`iotp_message_submit_seconds_count{${k},${gb}}`, 3],
      [`iotp_message_deliver_seconds_count{${k},${gb}}`, 3],
      [`iotp_message_deliver_seconds_bucket{${k},${gb},le="+Inf"}`, 3],
      // The conversion a dashboard watches for SMS pumping: right checks per code sent.
      [`sum(iotp_code_checks_total{result="right"}) / sum(iotp_codes_sent_total)`, 1 / 3],
    ];
    for (const [expr, want] of expect) assert.equal(await promValue(expr, want), want, expr);
    const [p99] = await prom.query(`histogram_quantile(0.99, sum by (le) (iotp_message_deliver_seconds_bucket{${k}}))`);
    assert.ok(p99 && Number.isFinite(p99.value) && p99.value > 0, JSON.stringify(p99));
  });

  test('refused delivery reports are counted by reason, never by a made-up provider name', async () => {
    const f = await srv.call('GET', `/v1/dlr/kannel-m?m=nope&t=${'0'.repeat(32)}&type=1`, undefined, { auth: false });
    assert.equal(f.status, 403, f.text);
    const u = await srv.call('GET', `/v1/dlr/made-up-name?m=nope&t=${reportToken(SECRET, 'nope')}&type=1`, undefined, {
      auth: false,
    });
    assert.equal(u.status, 404, u.text);
    const forged = 'iotp_delivery_reports_refused_total{provider="kannel-m",reason="forged"}';
    assert.equal(await promValue(forged, 1), 1);
    const unknown = 'iotp_delivery_reports_refused_total{provider="",reason="unknown_provider"}';
    assert.equal(await promValue(unknown, 1), 1);
    assert.deepEqual(await prom.query('iotp_delivery_reports_refused_total{provider="made-up-name"}'), []);
  });
  test('the scraper needs the token; an API key is not one', async () => {
    for (const auth of [false, 'wrong-token-0123456789abcdef', true]) {
      const r = await srv.call('GET', '/metrics', undefined, { auth });
      assert.equal(r.status, 401, `${auth}: ${r.text}`);
      assert.equal(r.body.error.code, 'unauthorized');
      assert.match(r.body.error.message, /metrics_token/);
    }
  });

  test('off without metrics_token; a short one is refused at start-up', async () => {
    const plain = await start();
    try {
      const r = await plain.call('GET', '/metrics', undefined, { auth: TOKEN });
      assert.equal(r.status, 404, r.text);
    } finally {
      await plain.stop();
    }
    const bad = await runIotpd(['--dev', '--listen', '127.0.0.1:0'], { IOTP_METRICS_TOKEN: 'short' });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /option metrics_token \(IOTP_METRICS_TOKEN\): set a token of at least 16 characters/);
  });
});
