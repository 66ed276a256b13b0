// Real Prometheus for the end-to-end tests (Debian's prometheus package):
// scrapes one target on loopback every second with a bearer token, and
// answers PromQL through its HTTP API. Started by the test, stopped after it.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeDataDir, waitFor } from './helpers.mjs';
import { freePort } from './kannel.mjs';

export const PROMETHEUS = '/usr/bin/prometheus';

/**
 * Starts Prometheus scraping http://127.0.0.1:<port>/metrics with token.
 * Returns {query(expr) -> [{metric, value}], target() -> scrape state, stop()}.
 */
export async function startPrometheus({ port, token }) {
  const dir = makeDataDir('iotp-prom-');
  const conf = path.join(dir, 'prometheus.yml');
  writeFileSync(
    conf,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: iotp
    authorization:
      credentials: ${token}
    static_configs:
      - targets: ['127.0.0.1:${port}']
`,
  );
  const web = await freePort();
  let log = '';
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${conf}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${web}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const base = `http://127.0.0.1:${web}`;

  async function api(p) {
    const r = await fetch(base + p);
    const body = await r.json();
    if (body.status !== 'success') throw new Error(`prometheus ${p}: ${JSON.stringify(body)}`);
    return body.data;
  }
  /** An instant query: [{metric: {labels}, value: number}]. */
  async function query(expr) {
    const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }
  /** The iotp target's last scrape: {health, lastError, lastScrape}. */
  async function target() {
    const data = await api('/api/v1/targets');
    return data.activeTargets.find((t) => t.labels.job === 'iotp');
  }
  async function stop() {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(timer);
  }

  const ready = await waitFor(
    async () => {
      try {
        return (await fetch(`${base}/-/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs: 20000 },
  );
  if (!ready) {
    await stop();
    throw new Error(`Prometheus did not start:\n${log}`);
  }
  return { query, target, stop, get log() { return log; } };
}
