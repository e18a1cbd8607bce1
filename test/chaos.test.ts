import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { removeScratchDirs, scratchDir } from './apply.support.js';
import { chaosSeed } from './chaos.support.js';
import { testClient } from './plan-fixtures.js';

/**
 * Two seeds of `npm run chaos`: three kill -9s at random moments of applies of a 170-resource
 * stack with metric points, under latency and injected faults, then an apply to completion that
 * converges: no twins, no orphans, state = manifest, every metric step once, an empty plan.
 */

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 10, jobPhaseMs: 20 });
  client = testClient(emulator.url);
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

describe('chaos: kill -9 under latency and faults, then apply to completion', () => {
  // CHAOS_SEEDS=3,4,5 explores other kill moments and fault sequences.
  const seeds = process.env.CHAOS_SEEDS ? process.env.CHAOS_SEEDS.split(',').map(Number) : [1, 2];
  for (const seed of seeds) {
    it(`converges (seed ${seed})`, async () => {
      const result = await chaosSeed(emulator, client, scratchDir(`chaos-${seed}`), seed);
      expect(result.problems).toEqual([]);
    }, 600_000);
  }
});
