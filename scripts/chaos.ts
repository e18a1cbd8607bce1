/**
 * `npm run chaos [-- --seeds 1,2,3,4,5]`: the chaos run of test/chaos.support.ts over several
 * seeds (default 1–5), one line per seed, exit 1 when any seed did not converge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/index.js';
import { CHAOS_FAULTS, CHAOS_LATENCY, chaosSeed, type SeedResult } from '../test/chaos.support.js';
import { testClient } from '../test/plan-fixtures.js';

function seedsFromArgs(argv: string[]): number[] {
  const i = argv.indexOf('--seeds');
  const list = i >= 0 ? argv[i + 1] : undefined;
  if (!list) return [1, 2, 3, 4, 5];
  const seeds = list.split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds takes whole numbers separated by commas, got "${list}"`);
  return seeds;
}

async function main(): Promise<number> {
  const seeds = seedsFromArgs(process.argv.slice(2));
  const emulator = await startEmulator({ port: 0, operationDelayMs: 10, jobPhaseMs: 20 });
  const client = testClient(emulator.url);
  const faults = `${CHAOS_FAULTS.rate503 * 100}% 503, ${CHAOS_FAULTS.rate429 * 100}% 429, ${CHAOS_FAULTS.rateReset * 100}% resets`;
  const latency = `${CHAOS_LATENCY.latencyMs}–${CHAOS_LATENCY.latencyMs + CHAOS_LATENCY.jitterMs} ms`;
  process.stdout.write(`chaos: 170 resources, 3 kill -9 per seed, ${latency}, ${faults}; seeds ${seeds.join(', ')}\n\n`);
  process.stdout.write(`${'seed'.padEnd(6)}${'kills'.padEnd(7)}${'requests'.padEnd(10)}${'seconds'.padEnd(9)}result\n`);
  const results: SeedResult[] = [];
  try {
    for (const seed of seeds) {
      const dir = mkdtempSync(join(tmpdir(), `vertexctl-chaos-${seed}-`));
      try {
        const r = await chaosSeed(emulator, client, dir, seed);
        results.push(r);
        const result = r.problems.length ? `FAILED: ${r.problems.join('; ')}` : 'converged';
        process.stdout.write(`${String(seed).padEnd(6)}${String(r.kills).padEnd(7)}${String(r.requests).padEnd(10)}${String(r.seconds).padEnd(9)}${result}\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    client.close();
    await emulator.close();
  }
  const failed = results.filter((r) => r.problems.length);
  process.stdout.write(`\n${results.length - failed.length} of ${results.length} seeds converged (no twins, no orphans, state = manifest, every metric step once, empty plan).\n`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
