import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Operation } from '../src/api/client.js';
import { executePlan } from '../src/apply/executor.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { ownershipLabels } from '../src/kinds/labels.js';
import { makePlan } from '../src/plan/index.js';
import type { Plan } from '../src/plan/types.js';
import { StateStore, openState } from '../src/state/index.js';
import type { StateDoc } from '../src/state/types.js';
import { stackOf, tempDir, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * The look-ahead (comparing and planning while refresh still lists) must give the plan that
 * planning after refresh gives. Stacks of a few thousand runs (several list pages), applied, then
 * changed at random in the manifest, in state and live, are planned both ways.
 */

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 1 });
  client = testClient(emulator.url);
});

afterAll(async () => {
  client.close();
  await emulator.close();
});

const RUN = 'google.aiplatform.runs';

function specs(project: string, runs: number): ResourceSpec[] {
  const where = { projectsId: project, locationsId: 'us-central1' };
  const inBoard = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  const out: ResourceSpec[] = [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'board' } },
    { name: 'e1', type: 'google.aiplatform.experiments', props: { ...inBoard, experimentsId: 'e1', displayName: 'e1' } },
    { name: 'e2', type: 'google.aiplatform.experiments', props: { ...inBoard, experimentsId: 'e2', displayName: 'e2' } },
  ];
  for (let i = 0; i < runs; i++) {
    out.push({ name: `run-${i}`, type: RUN, props: { ...inBoard, experimentsId: `{{ ${i % 5 ? 'e1' : 'e2'}.experimentsId }}`, runsId: `run-${i}`, displayName: `run ${i}` } });
  }
  return out;
}

type Change =
  | { to: 'manifest'; what: 'remove' | 'rename' | 'move' | 'retitle' | 'protect' | 'steal' | 'clone'; at: number }
  | { to: 'manifest'; what: 'add'; at: number }
  | { to: 'state'; what: 'forget' | 'pending'; at: number }
  | { to: 'live'; what: 'delete' | 'retitle' | 'orphan' | 'squat'; at: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ to: fc.constant('manifest' as const), what: fc.constantFrom('remove' as const, 'rename' as const, 'move' as const, 'retitle' as const, 'protect' as const, 'add' as const, 'steal' as const, 'clone' as const), at: fc.nat({ max: 40 }) }),
  fc.record({ to: fc.constant('state' as const), what: fc.constantFrom('forget' as const, 'pending' as const), at: fc.nat({ max: 40 }) }),
  fc.record({ to: fc.constant('live' as const), what: fc.constantFrom('delete' as const, 'retitle' as const, 'orphan' as const, 'squat' as const), at: fc.nat({ max: 40 }) }),
);

/** What a plan says, without the moment it was made. */
function said(plan: Plan): unknown {
  const { createdAt, ...rest } = plan;
  void createdAt;
  return JSON.parse(JSON.stringify(rest));
}

async function planBothWays(stack: Awaited<ReturnType<typeof stackOf>>, doc: StateDoc): Promise<[unknown, unknown]> {
  const run = (lookahead: boolean) =>
    makePlan(stack, { client, stateDoc: doc, refresh: true, lookahead }).then(said, (err: Error) => ({ error: err.message }));
  return [await run(true), await run(false)];
}

let stacks = 0;

describe('planning while refresh lists', () => {
  it('gives the plan planning after refresh gives, whatever changed in the manifest, in state and live', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2200 }), fc.array(change, { maxLength: 12 }), async (runs, changes) => {
        const name = `look-${++stacks}`;
        const dir = tempDir('lookahead');
        const base = specs(name, runs);
        const stack = await stackOf(dir, name, base);
        const store = await StateStore.open(openState(dir, name), name);
        const create = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });
        await executePlan(create, { client, store, waitJobs: false, live: new Map() }, { parallelism: 10, stepTimeoutMs: 60_000, onEvent: () => undefined });
        const doc = structuredClone(store.doc) as StateDoc;
        expect(Object.keys(doc.resources)).toHaveLength(runs + 3);

        const manifest = base.map((s) => ({ ...s, props: { ...s.props } }));
        const removed = new Set<number>();
        const runAt = (at: number) => 3 + (at % runs);
        for (const c of changes) {
          const i = runAt(c.at);
          const address = `run-${i - 3}`;
          const runName = String(doc.resources[address]?.name ?? '');
          if (c.to === 'manifest') {
            const s = manifest[i];
            if (c.what === 'remove') removed.add(i);
            if (c.what === 'rename') s.props.runsId = `${s.props.runsId}-new`;
            if (c.what === 'move') s.props.experimentsId = s.props.experimentsId === '{{ e1.experimentsId }}' ? '{{ e2.experimentsId }}' : '{{ e1.experimentsId }}';
            if (c.what === 'retitle') s.props.displayName = `${s.props.displayName} again`;
            if (c.what === 'protect') s.protected = true;
            // the id of another run: two addresses look for one resource
            if (c.what === 'steal') Object.assign(s.props, { runsId: manifest[runAt(c.at + 7)].props.runsId, experimentsId: manifest[runAt(c.at + 7)].props.experimentsId });
            // a new address for a resource another one holds
            if (c.what === 'clone') manifest.push({ ...s, name: `copy-${c.at}`, props: { ...s.props } });
            if (c.what === 'add') manifest.push({ ...s, name: `extra-${c.at}`, props: { ...s.props, runsId: `extra-${c.at}` } });
          } else if (c.to === 'state') {
            if (c.what === 'forget') delete doc.resources[address];
            else if (doc.resources[address]) doc.resources[address] = { ...doc.resources[address], pending: { action: 'update', startedAt: new Date(0).toISOString() } };
          } else if (runName) {
            const experiment = runName.slice(0, runName.indexOf('/runs/'));
            if (c.what === 'delete') await client.request({ api: 'aiplatform', method: 'DELETE', path: `v1/${runName}` }).catch(() => undefined);
            if (c.what === 'retitle') await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${runName}`, query: { updateMask: 'displayName' }, body: { displayName: 'changed live' } }).catch(() => undefined);
            if (c.what === 'orphan' || c.what === 'squat') {
              // orphan: our labels on a run nobody claims; squat: an unlabelled run under an id the manifest may ask for
              const id = c.what === 'orphan' ? `orphan-${c.at}` : `run-${(c.at + 1) % runs}-new`;
              const labels = c.what === 'orphan' ? ownershipLabels({ stack: name }, address) : { team: 'other' };
              await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${experiment}/runs`, query: { tensorboardRunId: id }, body: { displayName: id, labels } }).catch(() => undefined);
            }
          }
        }
        const changed = await stackOf(dir, name, manifest.filter((_, idx) => !removed.has(idx)));
        const [ahead, after] = await planBothWays(changed, doc);
        expect(ahead).toEqual(after);
      }),
      {
        numRuns: 6,
        seed: Number(process.env.PROPERTY_SEED ?? 20261202),
        // Two addresses looking for one resource, where only order decides who gets it.
        examples: [
          [1500, [{ to: 'manifest', what: 'clone', at: 5 }]],
          [1200, [{ to: 'state', what: 'forget', at: 3 }, { to: 'manifest', what: 'steal', at: 3 }]],
        ],
      },
    );
  }, 240_000);
});
