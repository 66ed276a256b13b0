// Failover and the circuit breaker with real HTTP providers on loopback: a
// provider that refuses connections, answers 503 or never answers passes the
// message to the next one at once; one that keeps failing is taken out of
// rotation, and put back after a probe succeeds. A transient failure of every
// provider is retried later.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, freshPhone, sleep, startWithConfig, waitFor } from './helpers.mjs';
import { freePort, reportToken } from './kannel.mjs';
import { startReceiver } from './receiver.mjs';

let good, slow, flaky, srv, downPort;
// A status, or a function of the request that gives one.
let flakyStatus = 503;

// Only "slow" needs a short timeout; the others keep the default, so that a
// loaded machine's late answer from a receiver here is not a failure.
const provider = (name, url, extra = '') => `
[provider ${name}]
type = http
url = ${url}/send
body = to={to}&text={text}&ref={message_id}
${extra}`;

before(async () => {
  good = await startReceiver(() => ({ status: 200, body: {} }));
  slow = await startReceiver(() => ({ hold: true }));
  flaky = await startReceiver((r) => ({ status: typeof flakyStatus === 'function' ? flakyStatus(r) : flakyStatus, body: { error: 'busy' } }));
  downPort = await freePort();
  srv = await startWithConfig(`
${provider('down', `http://127.0.0.1:${downPort}`, 'breaker_failures = 2\nbreaker_open_ms = 5000')}
${provider('slow', slow.url, 'timeout_ms = 400')}
${provider('flaky', flaky.url)}
${provider('good', good.url)}

[route default]
sms = down, good

[route FR]
sms = slow, flaky, good

[route DE]
sms = flaky
`);
});

after(async () => {
  await srv?.stop();
  for (const r of [good, slow, flaky]) await r?.close();
  await cleanup();
});

async function send(phone) {
  const c = await srv.call('POST', '/v1/sessions', { phone });
  assert.equal(c.status, 201, c.text);
  const s = await srv.call('POST', `/v1/sessions/${c.body.id}/code`, {});
  assert.equal(s.status, 200, s.text);
  return c.body.id;
}

async function settled(id, pred = (m) => m && m.status !== 'queued' && m.status !== 'sending') {
  let m;
  await waitFor(async () => pred((m = (await srv.call('GET', `/v1/sessions/${id}`)).body.timeline[0])), { timeoutMs: 8000 });
  return m;
}

const outcomes = (m) => m.hand_overs.map((h) => `${h.provider}:${h.outcome}`);

describe('failover', () => {
  test('connection refused, then 503, then no answer: the next provider takes it at once', async () => {
    const a = await settled(await send(freshPhone()));
    assert.equal(a.status, 'submitted');
    assert.equal(a.provider, 'good');
    assert.deepEqual(outcomes(a), ['down:failed', 'good:submitted']);
    assert.match(a.hand_overs[0].error, /could not connect/);

    const fr = await settled(await send('+33612345' + String(100 + (process.pid % 800)).padStart(3, '0')));
    assert.equal(fr.status, 'submitted', JSON.stringify(fr));
    assert.deepEqual(outcomes(fr), ['slow:failed', 'flaky:failed', 'good:submitted']);
    assert.match(fr.hand_overs[0].error, /no answer within 400 ms/);
    assert.match(fr.hand_overs[1].error, /flaky failed \(503\)/);
  });

  test('the breaker takes a failing provider out of rotation and a probe puts it back', async () => {
    // The previous test failed "down" once; one more failure opens it.
    const b = await settled(await send(freshPhone()));
    assert.deepEqual(outcomes(b), ['down:failed', 'good:submitted']);
    const c = await settled(await send(freshPhone()));
    assert.deepEqual(outcomes(c), ['down:skipped', 'good:submitted'], 'out of rotation: not even tried');
    assert.match(c.hand_overs[0].error, /out of rotation after 2 failures/);
    assert.match(srv.stderr, /provider down: 2 failures in a row; out of rotation/);

    // The provider comes back; after the open period a message probes it.
    const back = await startReceiver(() => ({ status: 200, body: {} }), downPort);
    try {
      await sleep(5100);
      const d = await settled(await send(freshPhone()));
      assert.deepEqual(outcomes(d), ['down:submitted'], 'the probe went to the recovered provider');
      const e = await settled(await send(freshPhone()));
      assert.deepEqual(outcomes(e), ['down:submitted'], 'and it is back in rotation');
      assert.equal(back.requests.length, 2);
    } finally {
      await back.close();
    }
  });

  test('when every provider fails transiently the message is retried later', async () => {
    // The receiver fails the first round and takes the second: flipping a
    // flag when a poll saw the first could come after the retry (0.5-1 s).
    let rounds = 0;
    flakyStatus = () => (++rounds === 1 ? 503 : 200);
    const id = await send('+4915112345' + String(100 + (process.pid % 800)).padStart(3, '0'));
    const first = await settled(id, (m) => m && m.hand_overs.length >= 1);
    if (first.hand_overs.length === 1) {
      assert.equal(first.status, 'queued', 'kept for another round');
      assert.match(first.error, /flaky failed \(503\)/);
    }
    const m = await settled(id, (x) => x && x.status === 'submitted');
    assert.equal(m.status, 'submitted');
    assert.equal(m.attempts, 2);
    assert.deepEqual(outcomes(m), ['flaky:failed', 'flaky:submitted']);
    assert.match(m.hand_overs[0].error, /flaky failed \(503\)/);
    const waited = Date.parse(m.hand_overs[1].started_at) - Date.parse(m.hand_overs[0].finished_at);
    assert.ok(waited >= 400, `retried after a backoff, not at once: ${waited} ms`);
    flakyStatus = 503;
  });

  test('when every provider refuses the message fails with the reason', async () => {
    flakyStatus = 400;
    const m = await settled(await send('+4915112346' + String(100 + (process.pid % 800)).padStart(3, '0')));
    assert.equal(m.status, 'failed');
    assert.deepEqual(outcomes(m), ['flaky:refused']);
    assert.match(m.error, /flaky refused the message \(400\)/);
    flakyStatus = 503;
  });
});

describe('a half-open provider passed over', () => {
  // Both providers of a route are out of rotation; when their rest is over, one
  // message may probe both. The first takes it, so the second is never tried:
  // its turn to probe must pass on, or it stays held back while the first is up
  // and the route loses its failover.
  test('the second provider still takes over when the first fails again', async () => {
    // Refusals (400) open the breakers too, and leave no retry behind to race the probes.
    let firstStatus = 400, secondStatus = 400;
    const first = await startReceiver(() => ({ status: firstStatus, body: {} }));
    const second = await startReceiver(() => ({ status: secondStatus, body: {} }));
    const s2 = await startWithConfig(`
sms_delays = 0,0,0
${provider('first', first.url, 'breaker_failures = 1\nbreaker_open_ms = 500')}
${provider('second', second.url, 'breaker_failures = 1\nbreaker_open_ms = 500')}

[route default]
sms = first, second
`);
    const sendOn = async () => {
      const c = await s2.call('POST', '/v1/sessions', { phone: freshPhone() });
      assert.equal(c.status, 201, c.text);
      const r = await s2.call('POST', `/v1/sessions/${c.body.id}/code`, {});
      assert.equal(r.status, 200, r.text);
      let m;
      await waitFor(async () => (m = (await s2.call('GET', `/v1/sessions/${c.body.id}`)).body.timeline[0])?.hand_overs.length > 0 && m.status !== 'sending', { timeoutMs: 8000 });
      return m;
    };
    try {
      const a = await sendOn();
      assert.deepEqual(outcomes(a), ['first:refused', 'second:refused'], 'both out of rotation');
      assert.equal(a.status, 'failed');
      firstStatus = 200;
      await sleep(600);
      const b = await sendOn();
      assert.deepEqual(outcomes(b), ['first:submitted'], 'the first probe puts the first back');
      firstStatus = 503;
      secondStatus = 200;
      const c = await sendOn();
      assert.deepEqual(outcomes(c), ['first:failed', 'second:submitted'], JSON.stringify(c.hand_overs));
      assert.equal(c.status, 'submitted');
    } finally {
      await s2.stop();
      await first.close();
      await second.close();
    }
  });
});

describe('no delivery report in time (dlr_timeout)', () => {
  test('the session\'s next send tries the other provider first; a confirmed one does not', async () => {
    const silent = await startReceiver(() => ({ status: 200, body: {} }));
    const other = await startReceiver(() => ({ status: 200, body: {} }));
    const s2 = await startWithConfig(`
sms_delays = 0,0,0
dlr_timeout = 1
${provider('silent', silent.url, 'callback_secret = silent-callback-secret-0123\ncallback_status_field = status')}
${provider('other', other.url)}

[route default]
sms = silent, other
`);
    try {
      const c = await s2.call('POST', '/v1/sessions', { phone: freshPhone() });
      const id = c.body.id;
      const sendAndWait = async (i) => {
        const r = await s2.call('POST', `/v1/sessions/${id}/code`, {});
        assert.equal(r.status, 200, r.text);
        let m;
        await waitFor(async () => (m = (await s2.call('GET', `/v1/sessions/${id}`)).body.timeline[i])?.status === 'submitted');
        return m;
      };
      const first = await sendAndWait(0);
      assert.deepEqual(outcomes(first), ['silent:submitted']);
      // The carrier confirms the first: a later resend keeps the route's order.
      const dlr = await s2.call('POST', `/v1/dlr/silent?m=${first.id}&t=${reportToken('silent-callback-secret-0123', first.id)}`, { status: 'delivered' }, { auth: false });
      assert.equal(dlr.status, 200, dlr.text);
      await sleep(1100);
      const second = await sendAndWait(1);
      assert.deepEqual(outcomes(second), ['silent:submitted']);
      // Nothing confirmed the second for more than a second: the third goes elsewhere.
      await sleep(1100);
      const third = await sendAndWait(2);
      assert.deepEqual(outcomes(third), ['other:submitted']);
      assert.match(s2.stderr, /got no delivery report in 1 s; trying the others first/);
    } finally {
      await s2.stop();
      await silent.close();
      await other.close();
    }
  });
});
