/**
 * Emulator throughput: small GETs per second with N concurrent keep-alive clients, against the
 * 5,000/s target. The emulator runs as `vertexctl emulator` in its own process, as users run it,
 * so the load generator does not share its event loop.
 *
 *   npx tsx bench/emulator.ts
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TARGET_PER_SECOND = 5000;
const CONCURRENCY = [1, 4, 16, 64];
const SECONDS_PER_ROW = 3;
const WARMUP_MS = 500;

const root = fileURLToPath(new URL('..', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--port', '0', '--quiet'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [firstLine] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
const base = new URL(firstLine.trim());

function call(agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, base), { method, agent, headers: text ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function setUp(agent: Agent): Promise<string> {
  const loc = 'v1/projects/bench/locations/us-central1';
  const op = await call(agent, 'POST', `${loc}/tensorboards`, { displayName: 'bench' });
  let tb = op.json.response?.name as string | undefined;
  while (!tb) tb = (await call(agent, 'POST', `v1/${op.json.name}:wait`)).json.response?.name;
  await call(agent, 'POST', `v1/${tb}/experiments?tensorboardExperimentId=e`, {});
  await call(agent, 'POST', `v1/${tb}/experiments/e/runs?tensorboardRunId=r`, { displayName: 'r', labels: { team: 'bench' } });
  return `v1/${tb}/experiments/e/runs/r`;
}

/** N clients, each sending the next GET as soon as the previous answer arrived. */
async function measure(path: string, clients: number, ms: number): Promise<{ perSecond: number; errors: number; p99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const deadline = Date.now() + ms;
  let done = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const t = performance.now();
        const { status } = await call(agent, 'GET', path);
        latencies.push(performance.now() - t);
        if (status === 200) done++;
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { perSecond: done / seconds, errors, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

try {
  const setupAgent = new Agent({ keepAlive: true });
  const path = await setUp(setupAgent);
  setupAgent.destroy();
  await measure(path, 4, WARMUP_MS);
  const rows: string[] = [];
  for (const clients of CONCURRENCY) {
    const r = await measure(path, clients, SECONDS_PER_ROW * 1000);
    const verdict = r.perSecond >= TARGET_PER_SECOND ? 'ok' : 'BELOW TARGET';
    rows.push(`| ${clients} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.p99.toFixed(2)} | ${r.errors} | ${TARGET_PER_SECOND.toLocaleString('en-US')} | ${verdict} |`);
  }
  process.stdout.write(
    [
      '## Emulator: small GETs per second (keep-alive, no latency, emulator in its own process)',
      '',
      '| concurrent clients | GETs/s | p99 ms | errors | target/s | verdict |',
      '|---:|---:|---:|---:|---:|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
}
