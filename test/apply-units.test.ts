import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyPlan } from '../src/plan/destroy.js';
import { writePoints } from '../src/kinds/time-series-data.js';
import { toDot, toMermaid } from '../src/apply/graph.js';
import { summaryLines } from '../src/apply/progress.js';
import type { ApplySummary } from '../src/apply/types.js';
import type { ApiClient } from '../src/api/client.js';
import { UserError } from '../src/core/errors.js';
import { parseDuration } from '../src/cli/run-apply.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { newStateDoc, type StateEntry } from '../src/state/index.js';
import { testClient } from './plan-fixtures.js';

/** The applier's smaller parts: metric point writes, the destroy plan, summaries, graphs, durations. */

describe('metric points', () => {
  let emulator: RunningEmulator;
  let client: ApiClient;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, operationDelayMs: 0 });
    client = testClient(emulator.url);
    const op = await client.request<{ name: string }>({ api: 'aiplatform', method: 'POST', path: 'v1/projects/pts/locations/us-central1/tensorboards', body: { displayName: 'tb' } });
    const tb = String((await client.waitOperation('aiplatform', op)).response!.name);
    paths.exp = `${tb}/experiments/e`;
    await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${tb}/experiments`, query: { tensorboardExperimentId: 'e' }, body: {} });
    for (const run of ['r1', 'r2']) {
      await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${paths.exp}/runs`, query: { tensorboardRunId: run }, body: { displayName: run } });
      for (const ts of ['a', 'b']) {
        await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${paths.exp}/runs/${run}/timeSeries`, query: { tensorboardTimeSeriesId: ts }, body: { displayName: ts, valueType: 'SCALAR' } });
      }
    }
  });
  afterAll(async () => {
    client.close();
    await emulator.close();
  });
  const paths = { exp: '' };
  const points = (n: number) => Array.from({ length: n }, (_, i) => ({ step: i + 1, scalar: { value: i } }));
  const count = async (series: string) =>
    ((await client.request<{ timeSeriesData: { values?: unknown[] } }>({ api: 'aiplatform', method: 'GET', path: `v1/${series}:read`, query: { maxDataPoints: -1 } })).timeSeriesData.values ?? []).length;

  it('writes at most 5000 points per call, sharing calls between series and runs of one experiment', async () => {
    emulator.resetStats();
    const all = (n: number) => ({ inline: points(n), digest: { points: n, sha256: '' }, write: [[1, n]] as [number, number][] });
    const calls = await writePoints(
      client,
      [
        { series: `${paths.exp}/runs/r1/timeSeries/a`, valueType: 'SCALAR', planned: all(12_000) },
        { series: `${paths.exp}/runs/r1/timeSeries/b`, valueType: 'SCALAR', planned: all(10) },
        { series: `${paths.exp}/runs/r2/timeSeries/a`, valueType: 'SCALAR', planned: all(20) },
      ],
      { parallelism: 2 },
    );
    // 5000 + 5000 + (2000 + 10 + 20): two runs:write calls, then one experiments:write
    expect(calls).toBe(3);
    expect(emulator.stats().requests.byMethod.POST).toBe(3);
    expect(await count(`${paths.exp}/runs/r1/timeSeries/a`)).toBe(12_000);
    expect(await count(`${paths.exp}/runs/r1/timeSeries/b`)).toBe(10);
    expect(await count(`${paths.exp}/runs/r2/timeSeries/a`)).toBe(20);
    expect(await count(`${paths.exp}/runs/r2/timeSeries/b`)).toBe(0);
  });
});

function entry(type: string, name: string, extra: Partial<StateEntry> = {}): StateEntry {
  return { type, name, id: name.slice(name.lastIndexOf('/') + 1), props: {}, outputs: {}, ...extra };
}

describe('destroy plan', () => {
  const tb = 'projects/p/locations/l/tensorboards/1';
  const doc = () => {
    const d = newStateDoc('s');
    d.resources = {
      board: entry('google.aiplatform.tensorboards', tb),
      exp: entry('google.aiplatform.experiments', `${tb}/experiments/e`, { dependsOn: ['board'] }),
      run: entry('google.aiplatform.runs', `${tb}/experiments/e/runs/r`, { dependsOn: ['board', 'exp'] }),
      job: entry('google.aiplatform.custom_jobs', 'projects/p/locations/l/customJobs/9', { dependsOn: ['board'] }),
      kept: entry('google.aiplatform.custom_jobs', 'projects/p/locations/l/customJobs/8', { deletionPolicy: 'abandon' }),
    };
    return d;
  };

  it('deletes dependents first and lets a tensorboard take what is under it along', () => {
    const plan = destroyPlan(doc());
    expect(plan.steps.map((s) => [s.address, s.action, s.after, s.reason])).toEqual([
      ['board', 'delete', ['job'], 'also deletes exp, run'],
      ['job', 'delete', [], undefined],
      ['kept', 'delete', [], 'deletionPolicy abandon: removed from state only, the resource is kept'],
    ]);
    expect(plan.summary.delete).toBe(3);
  });

  it('with --target, takes the target and what depends on it', () => {
    expect(destroyPlan(doc(), { targets: ['exp'] }).steps.map((s) => s.address)).toEqual(['exp']);
    expect(() => destroyPlan(doc(), { targets: ['nope'] })).toThrow('--target "nope": no such address in the state');
  });

  it('refuses protected resources, and abandon under a deleted parent, naming them', () => {
    const d = doc();
    d.resources.run.protected = true;
    d.resources.exp.deletionPolicy = 'abandon';
    const err = (() => {
      try {
        destroyPlan(d);
      } catch (e) {
        return e;
      }
    })() as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message.split('\n')).toEqual([
      'resource "exp": has deletionPolicy abandon, but deleting "board" would delete it too',
      'resource "run": is protected; remove `protected: true` from its manifest and apply before destroying it',
      'resource "exp": would delete protected "run" with it',
    ]);
  });
});

describe('summaries, graphs and durations', () => {
  const base: ApplySummary = { created: 3, updated: 1, replaced: 0, deleted: 1, cascaded: 0, forgotten: 0, adopted: 0, recorded: 0, waited: 0, failed: [], skipped: [], notStarted: [] };

  it('closes with one line when all went well, and lists failures with their reasons', () => {
    expect(summaryLines(base)).toEqual(['Apply complete: 3 created, 1 updated, 0 replaced, 1 deleted.']);
    expect(summaryLines({ ...base, adopted: 2, forgotten: 1 })).toEqual(['Apply complete: 3 created, 1 updated, 0 replaced, 1 deleted; 2 adopted, 1 removed from state only.']);
    expect(summaryLines({ ...base, notStarted: ['a', 'b'] })).toEqual([
      'Apply interrupted: 3 created, 1 updated, 0 replaced, 1 deleted; 2 not started.',
      '  not started: a, b',
      'Finished steps are recorded in state; run apply again to finish.',
    ]);
    expect(summaryLines({ ...base, deleted: 4, created: 0, updated: 0 }, 'Destroy')).toEqual(['Destroy complete: 4 deleted.']);
  });

  it('draws the DAG as DOT and Mermaid', () => {
    const nodes = [
      { address: 'board', type: 'google.aiplatform.tensorboards', dependsOn: [] },
      { address: 'exp "1"', type: 'google.aiplatform.experiments', dependsOn: ['board'] },
    ];
    expect(toDot('s', nodes)).toBe(
      'digraph "s" {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname="Helvetica"];\n' +
        '  "board" [label="board\\naiplatform.tensorboards"];\n  "exp \\"1\\"" [label="exp \\"1\\"\\naiplatform.experiments"];\n' +
        '  "board" -> "exp \\"1\\"";\n}\n',
    );
    expect(toMermaid(nodes)).toBe(
      'flowchart LR\n  n0["board<br/><small>aiplatform.tensorboards</small>"]\n  n1["exp #quot;1#quot;<br/><small>aiplatform.experiments</small>"]\n  n0 --> n1\n',
    );
  });

  it('reads durations', () => {
    expect([parseDuration('0'), parseDuration('500ms'), parseDuration('30s'), parseDuration('2m'), parseDuration('1.5h')]).toEqual([0, 500, 30_000, 120_000, 5_400_000]);
    expect(() => parseDuration('soon')).toThrow('expected a duration such as 30s, 5m or 500ms, got "soon"');
  });
});
