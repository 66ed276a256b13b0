// cpu_scheduling: iotpd's threads run under SCHED_BATCH by default (no
// wake-up preemption between its own threads; bench/RESULTS.md), under the
// kernel's default policy with cpu_scheduling = normal, and a value that is
// neither is refused at start. Read from /proc, as `chrt -p` would.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';

import { cleanup, freshPhone, runIotpd, start } from './helpers.mjs';

after(cleanup);

const SCHED_OTHER = 0;
const SCHED_BATCH = 3;

/** The scheduling policy of each thread of pid, by thread name. */
function policies(pid) {
  const out = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // Fields after the name start at field 3; policy is field 41.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ name, policy: Number(fields[41 - 3]) });
  }
  return out;
}

/** A started server that has served a session and sent its code, so the
 * threads that start on demand have started too. */
async function busyServer(env) {
  const srv = await start(env);
  const created = await srv.call('POST', '/v1/sessions', { phone: freshPhone() });
  assert.equal(created.status, 201);
  const sent = await srv.call('POST', `/v1/sessions/${created.body.id}/code`, {});
  assert.equal(sent.status, 200);
  return srv;
}

test('by default every thread of iotpd runs under SCHED_BATCH', async () => {
  const srv = await busyServer();
  try {
    const threads = policies(srv.pid);
    assert.ok(threads.length > 4, `only ${threads.length} threads`);
    const names = new Set(threads.map((t) => t.name));
    assert.ok(names.has('MHD-worker'), `no HTTP worker among ${[...names]}`);
    for (const t of threads) assert.equal(t.policy, SCHED_BATCH, `thread ${t.name} runs under policy ${t.policy}`);
  } finally {
    await srv.stop();
  }
});

test('cpu_scheduling = normal leaves every thread under the default policy', async () => {
  const srv = await busyServer({ IOTP_CPU_SCHEDULING: 'normal' });
  try {
    const threads = policies(srv.pid);
    assert.ok(threads.length > 4, `only ${threads.length} threads`);
    for (const t of threads) assert.equal(t.policy, SCHED_OTHER, `thread ${t.name} runs under policy ${t.policy}`);
  } finally {
    await srv.stop();
  }
});

test('a cpu_scheduling that is neither batch nor normal stops iotpd at start, saying which values it takes', async () => {
  const r = await runIotpd(['--dev', '--listen', '127.0.0.1:0', '--data', '/nonexistent/never-made'], {
    IOTP_CPU_SCHEDULING: 'realtime',
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cpu_scheduling \(IOTP_CPU_SCHEDULING\): 'realtime' is not batch or normal/);
});
