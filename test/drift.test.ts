import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { detectDrift } from '../src/drift/index.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { makePlan } from '../src/plan/index.js';
import { allKinds, createDirect, stackOf, stateFor, tempDir, testClient, withProps } from './plan-fixtures.js';

/** detectDrift in this process: what plan would refuse (a protected resource's replace) is reported. */

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
  client = testClient(emulator.url);
});
afterAll(async () => {
  client.close();
  await emulator.close();
});

describe('detectDrift', () => {
  it('reports an immutable field of a protected resource as modified where plan refuses to replace it', async () => {
    const dir = tempDir('drift-protected');
    const specs = allKinds().slice(0, 2).map((r) => ({ ...r, props: { ...r.props, projectsId: 'drift-protected' } }));
    const applied = await stackOf(dir, 'guarded', specs);
    const doc = stateFor(applied, await createDirect(client, applied));
    const changed = withProps(specs, 'baseline', (p) => (p.source = 'vertex')).map((r) => (r.name === 'baseline' ? { ...r, protected: true } : r));
    const stack = await stackOf(dir, 'guarded', changed);
    await expect(makePlan(stack, { client, stateDoc: doc, refresh: true })).rejects.toThrow(/is protected; it would be replaced/);
    emulator.resetStats();
    const report = await detectDrift([{ stack, stateDoc: doc }], { client });
    expect(report.resources.find((r) => r.address === 'baseline')).toMatchObject({
      status: 'modified',
      fields: [{ path: 'source', expected: 'vertex', actual: 'notebook' }],
    });
    expect(report.resources.find((r) => r.address === 'training')?.status).toBe('in-sync');
    expect(Object.keys(emulator.stats().requests.byMethod)).toEqual(['GET']);
  });
});
