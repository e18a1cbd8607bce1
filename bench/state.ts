/**
 * State backends side by side: lock acquire (+ release) and state write latency on PostgreSQL
 * (a throw-away local server with fsync on, scripts/postgres-server.ts) and Cloud Storage (the emulator's JSON
 * API on loopback) beside the local-file backend, the baseline. Writes are of a small state
 * (10 addresses) and a big one (1,000), each the stored serial + 1, as apply writes them.
 */
import { hostname } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/index.js';
import { closeOpenBackends, newStateDoc, openState, type OpenStateOptions, type StateDoc } from '../src/state/index.js';
import { startPostgres } from '../scripts/postgres-server.js';

const LOCKS = 200;
const WRITES = 200;

function doc(stack: string, size: number): StateDoc {
  const d = newStateDoc(stack);
  for (let i = 0; i < size; i++) {
    d.resources[`run-${i}`] = {
      type: 'google.aiplatform.runs',
      name: `projects/bench/locations/us-central1/tensorboards/1/experiments/e/runs/run-${i}`,
      id: `run-${i}`,
      props: { displayName: `run ${i}`, description: 'x'.repeat(40) },
      outputs: { runsId: `run-${i}` },
    };
  }
  return d;
}

function stats(samples: number[]): { p50: number; p95: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function measure(name: string, spec: string, opts: OpenStateOptions): Promise<string[]> {
  const rows: string[] = [];
  const holder = { who: 'bench', host: hostname(), pid: process.pid, command: 'bench', created: new Date().toISOString() };
  const lockTimes: number[] = [];
  const backend = openState(spec, `bench-lock`, undefined, opts);
  await backend.unlock('warm-up').catch(() => undefined);
  for (let i = 0; i < LOCKS; i++) {
    const t = performance.now();
    const lock = await backend.lock(holder, 0);
    lockTimes.push(performance.now() - t);
    await backend.unlock(lock.id);
  }
  const l = stats(lockTimes);
  rows.push(`| ${name} | lock acquire | ${l.p50.toFixed(2)} | ${l.p95.toFixed(2)} | ${l.mean.toFixed(2)} |`);
  for (const size of [10, 1000]) {
    const writer = openState(spec, `bench-write-${size}`, undefined, opts);
    const base = doc(`bench-write-${size}`, size);
    const times: number[] = [];
    for (let serial = 1; serial <= WRITES; serial++) {
      base.serial = serial;
      const t = performance.now();
      await writer.write(base);
      times.push(performance.now() - t);
    }
    const w = stats(times);
    rows.push(`| ${name} | write, ${size} addresses (${Math.round(JSON.stringify(base).length / 1024)} KB) | ${w.p50.toFixed(2)} | ${w.p95.toFixed(2)} | ${w.mean.toFixed(2)} |`);
  }
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'vertexctl-bench-state-'));
const pg = await startPostgres({ durable: true });
const emulator = await startEmulator({ port: 0, quiet: true });
try {
  const rows = [
    ...(await measure('local (baseline)', join(dir, 'state'), {})),
    ...(await measure('PostgreSQL', pg.url, {})),
    ...(await measure('Cloud Storage (emulator)', 'gs://bench-state/prefix', { storage: { endpoint: emulator.url } })),
  ];
  process.stdout.write(`State backends: ${LOCKS} lock cycles, ${WRITES} writes per size; milliseconds\n\n`);
  process.stdout.write('| backend | operation | p50 | p95 | mean |\n|---|---|---|---|---|\n');
  process.stdout.write(`${rows.join('\n')}\n`);
  process.stdout.write(
    '\nPostgreSQL runs on this machine (loopback, fsync on); the emulator keeps objects in memory. ' +
      'A real database or bucket adds its network round trips (a lock is 2–3 of them, a write 1 transaction or 2 uploads).\n',
  );
} finally {
  await closeOpenBackends();
  await emulator.close();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
