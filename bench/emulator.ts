/**
 * Emulator throughput: small GETs per second with N concurrent keep-alive clients, against the
 * 5,000/s target. The emulator runs as `vertexctl emulator` in its own process, as users run it.
 *
 * Two load generators: a minimal keep-alive HTTP/1.1 client on raw sockets, which costs so little
 * that it measures the emulator, and node's http.Agent (keepAlive), which is what a Node program
 * sees but on this 2-core machine runs out of CPU itself first.
 *
 *   npx tsx bench/emulator.ts
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TARGET_PER_SECOND = 5000;
const CONCURRENCY = [1, 4, 16, 64];
const MS_PER_CELL = 2000;

interface Result {
  perSecond: number;
  errors: number;
}

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

/** A tensorboard, experiment and run; the benchmark GETs the run (a ~300 byte answer). */
async function setUp(): Promise<string> {
  const agent = new Agent({ keepAlive: true });
  const loc = 'v1/projects/bench/locations/us-central1';
  const op = (await call(agent, 'POST', `${loc}/tensorboards`, { displayName: 'bench' })).json;
  let done = op;
  while (!done.done) done = (await call(agent, 'POST', `v1/${op.name}:wait`)).json;
  const tb = done.response.name as string;
  await call(agent, 'POST', `v1/${tb}/experiments?tensorboardExperimentId=e`, {});
  await call(agent, 'POST', `v1/${tb}/experiments/e/runs?tensorboardRunId=r`, { displayName: 'r', labels: { team: 'bench' } });
  agent.destroy();
  return `/v1/${tb}/experiments/e/runs/r`;
}

/** N node http clients (one shared keep-alive Agent), each sending the next GET when the answer is in. */
async function withAgent(path: string, clients: number, ms: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const deadline = Date.now() + ms;
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        if ((await call(agent, 'GET', path)).status === 200) ok++;
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { perSecond: ok / seconds, errors };
}

/** N keep-alive connections speaking HTTP/1.1 directly: one GET in flight per connection. */
async function withRawSockets(path: string, clients: number, ms: number): Promise<Result> {
  const requestText = `GET ${path} HTTP/1.1\r\nHost: ${base.host}\r\nConnection: keep-alive\r\n\r\n`;
  const deadline = Date.now() + ms;
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(Number(base.port), base.hostname, () => socket.write(requestText));
          let buffer: Buffer = Buffer.alloc(0);
          socket.on('error', reject);
          socket.on('data', (chunk: Buffer) => {
            buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
            for (;;) {
              const headEnd = buffer.indexOf('\r\n\r\n');
              if (headEnd < 0) return;
              const head = buffer.subarray(0, headEnd).toString('latin1');
              const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
              if (buffer.length < headEnd + 4 + length) return;
              buffer = buffer.subarray(headEnd + 4 + length);
              if (head.startsWith('HTTP/1.1 200')) ok++;
              else errors++;
              if (Date.now() >= deadline) {
                socket.end();
                resolve();
                return;
              }
              socket.write(requestText);
            }
          });
        }),
    ),
  );
  return { perSecond: ok / ((performance.now() - started) / 1000), errors };
}

const fmt = (r: Result) => `${Math.round(r.perSecond).toLocaleString('en-US')}${r.errors ? ` (${r.errors} errors)` : ''}`;

try {
  const path = await setUp();
  await withRawSockets(path, 4, 500); // warm-up: JIT, first-request paths
  const rows: string[] = [];
  for (const clients of CONCURRENCY) {
    const raw = await withRawSockets(path, clients, MS_PER_CELL);
    const agent = await withAgent(path, clients, MS_PER_CELL);
    const verdict = raw.perSecond >= TARGET_PER_SECOND ? 'ok' : 'BELOW TARGET';
    rows.push(`| ${clients} | ${fmt(raw)} | ${fmt(agent)} | ${TARGET_PER_SECOND.toLocaleString('en-US')} | ${verdict} |`);
  }
  process.stdout.write(
    [
      '## Emulator: small GETs per second (keep-alive, no latency, emulator in its own process)',
      '',
      '| concurrent clients | GETs/s, raw keep-alive client | GETs/s, node http.Agent client | target/s | verdict (raw) |',
      '|---:|---:|---:|---:|---|',
      ...rows,
      '',
      'The http.Agent column is bounded by the client process, which shares the machine\'s cores with the emulator.',
      '',
    ].join('\n'),
  );
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
}
