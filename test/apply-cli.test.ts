import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Operation } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan, writePlanFile } from '../src/plan/index.js';
import { openState } from '../src/state/index.js';
import { changesOf, inventory, planNow, removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { allKinds, manifestText, testClient, withProps } from './plan-fixtures.js';

/** `vertexctl apply` and its companions as child processes, against the emulator of this process. */

let emulator: RunningEmulator;
let client: ApiClient;
let api: string[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
  client = testClient(emulator.url);
  api = ['--endpoint', emulator.url];
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

describe('the example stack (manifests/)', () => {
  const state = scratchDir('example');
  const vars = ['--var', 'project=example-cli'];

  it('is applied, and then a new plan has no changes', async () => {
    const first = await runCli(['apply', 'manifests', '--auto-approve', '--state', state, ...vars, ...api]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Plan: 8 to create, 0 to update, 0 to replace, 0 to destroy.');
    expect(first.stdout.trimEnd().split('\n').pop()).toBe('Apply complete: 8 created, 0 updated, 0 replaced, 0 deleted.');
    const stack = await loadStack(['manifests'], { vars: { project: 'example-cli' }, environment: {} });
    const doc = await openState(state, stack.name).read();
    expect(changesOf(await makePlan(stack, { client, stateDoc: doc, refresh: true }))).toEqual([]);
    expect((await inventory(client, 'example-cli', 'us-central1')).size).toBe(8);

    const again = await runCli(['apply', 'manifests', '--state', state, ...vars, ...api]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('No changes. Live resources match the manifests.\n');
  });
});

describe('apply', () => {
  it('refuses to run without --auto-approve when there is no terminal, changing nothing', async () => {
    const dir = scratchDir('noterm');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('noterm', allKinds().slice(0, 1).map((r) => ({ ...r, props: { ...r.props, projectsId: 'noterm' } }))));
    const res = await runCli(['apply', dir, '--state', dir, ...api]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('apply needs --auto-approve when not run from a terminal; nothing was changed\n');
    expect((await inventory(client, 'noterm', 'us-central1')).size).toBe(0);
  });

  it('--target of destroy says it takes what depends on the address, unlike apply', async () => {
    const [apply, destroy] = await Promise.all([runCli(['apply', '--help']), runCli(['destroy', '--help'])]);
    expect(apply.stdout).toMatch(/--target <address> +only this address and what it depends on \(repeatable\)/);
    expect(destroy.stdout).toMatch(/--target <address> +only this address and what depends on it or lives under it\s+\(repeatable\)/);
  });

  it('--json writes one JSON event per line: the plan, each step, and the summary', async () => {
    const dir = scratchDir('json');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('json', allKinds().slice(0, 3).map((r) => ({ ...r, props: { ...r.props, projectsId: 'json' } }))));
    const res = await runCli(['apply', dir, '--auto-approve', '--json', '--state', dir, ...api]);
    expect(res.code).toBe(0);
    const events = res.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ event: 'plan', summary: { create: 3 } });
    expect(events.filter((e) => e.event === 'step-done').map((e) => e.address)).toEqual(['training', 'baseline', 'run-a']);
    expect(events.at(-1)).toMatchObject({ event: 'apply-done', ok: true, summary: { created: 3, failed: [] } });
  });

  it('applies a saved plan, and refuses one that went stale, saying why', async () => {
    const dir = scratchDir('planfile');
    const file = join(dir, 'stack.yaml');
    let specs = allKinds().slice(0, 2).map((r) => ({ ...r, props: { ...r.props, projectsId: 'planfile' } }));
    writeFileSync(file, manifestText('planfile', specs));
    const plan = async (out: string) => {
      const stack = await loadStack([file], { environment: {} });
      const p = await makePlan(stack, { client, stateDoc: await openState(dir, 'planfile').read(), refresh: true });
      await writePlanFile(out, { ...p, target: { endpoint: emulator.url, state: dir } });
    };
    await plan(join(dir, 'first.plan'));
    const applied = await runCli(['apply', join(dir, 'first.plan'), '--auto-approve', '--state', dir, ...api]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Apply complete: 2 created, 0 updated, 0 replaced, 0 deleted.');

    specs = withProps(specs, 'baseline', (p) => (p.displayName = 'Baseline v2'));
    writeFileSync(file, manifestText('planfile', specs));
    await plan(join(dir, 'second.plan'));
    const serial = (await openState(dir, 'planfile').read())!.serial;
    // Someone else changes the experiment after the plan was made (and state moves on too).
    const doc = JSON.parse(readFileSync(join(dir, 'planfile.json'), 'utf8')) as { serial: number };
    await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${String((await openState(dir, 'planfile').read())!.resources.baseline.name)}`, query: { updateMask: 'description' }, body: { description: 'edited by hand' } });
    writeFileSync(join(dir, 'planfile.json'), JSON.stringify({ ...doc, serial: doc.serial + 1 }));
    const stale = await runCli(['apply', join(dir, 'second.plan'), '--auto-approve', '--state', dir, ...api]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(
      [
        `${join(dir, 'second.plan')}: stale plan: the state changed since the plan was made (serial ${serial}, now ${serial + 1})`,
        `${join(dir, 'second.plan')}: stale plan: resource "baseline" changed since the plan was made`,
        `${join(dir, 'second.plan')}: nothing was changed; run plan again`,
        '',
      ].join('\n'),
    );
  });
});

describe('import, state, force-unlock, graph', () => {
  it('imports an existing resource; state list/show/rm; force-unlock; graph as DOT', async () => {
    const dir = scratchDir('import');
    const specs = allKinds().slice(0, 1).map((r) => ({ ...r, props: { ...r.props, projectsId: 'imports', displayName: 'wanted name' } }));
    writeFileSync(join(dir, 'stack.yaml'), manifestText('imports', specs));
    const op = await client.request<{ name: string }>({ api: 'aiplatform', method: 'POST', path: 'v1/projects/imports/locations/us-central1/tensorboards', body: { displayName: 'made by hand' } });
    const done = await client.waitOperation('aiplatform', op);
    const name = String(done.response!.name);

    const imported = await runCli(['import', 'training', name, dir, '--state', dir, ...api]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toBe(`Imported ${name} as "training". Run plan to see how it differs from the manifests.\n`);
    const plan = await planNow([dir], dir, client);
    expect(plan.steps.map((s) => [s.address, s.action, s.inState])).toEqual([['training', 'update', true]]);
    expect(plan.steps[0].fields?.find((f) => f.path === 'displayName')).toMatchObject({ before: 'made by hand', after: 'wanted name' });

    const again = await runCli(['import', 'training', name, dir, '--state', dir, ...api]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`"training" is already in state as ${name}; to re-import, first run: vertexctl state rm training --stack imports --state ${dir}\n`);

    const list = await runCli(['state', 'list', '--manifests', dir, '--state', dir]);
    expect(list.stdout).toBe(`training  google.aiplatform.tensorboards  ${name}\n`);
    const show = await runCli(['state', 'show', 'training', '--stack', 'imports', '--state', dir]);
    expect(JSON.parse(show.stdout)).toMatchObject({ address: 'training', type: 'google.aiplatform.tensorboards', name, props: { displayName: 'made by hand' } });
    const rm = await runCli(['state', 'rm', 'training', '--stack', 'imports', '--state', dir]);
    expect(rm.stdout).toBe('Removed training from state; the resource itself is kept.\n');
    expect((await openState(dir, 'imports').read())!.resources).toEqual({});
    expect((await inventory(client, 'imports', 'us-central1')).has(name)).toBe(true);

    writeFileSync(join(dir, 'imports.lock'), JSON.stringify({ id: 'ci-42', who: 'ci', host: 'runner-7', pid: 1, command: 'vertexctl apply', created: '2024-05-01T00:00:00Z' }));
    const unlock = await runCli(['force-unlock', 'ci-42', '--stack', 'imports', '--state', dir]);
    expect(unlock.stdout).toBe(`Lock ci-42 of ${join(dir, 'imports.json')} released.\n`);
    expect(existsSync(join(dir, 'imports.lock'))).toBe(false);

    const graph = await runCli(['graph', 'manifests']);
    expect(graph.code).toBe(0);
    expect(graph.stdout).toMatch(/^digraph "vision-team" \{\n/);
    expect(graph.stdout).toContain('"training" -> "baseline";');
  });
});

describe('what the manifests no longer manage is left alone', () => {
  /** A tensorboard, an experiment, run-z and (last) run-a with `extra` options, in project `project`. */
  const board = (project: string, extra: Partial<Record<string, unknown>> = {}) => {
    const [training, baseline, run] = allKinds().map((r) => ({ ...r, props: { ...r.props, projectsId: project } }));
    const sibling = { ...run, name: 'run-z', props: { ...run.props, runsId: 'run-z', displayName: 'z' } };
    return [training, baseline, sibling, { ...run, ...extra }];
  };
  const apply = async (dir: string) => {
    const res = await runCli(['apply', dir, '--auto-approve', '--state', dir, ...api]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    return res;
  };
  const runName = async (dir: string, stack: string) => String((await openState(dir, stack).read())!.resources['run-a'].name);

  it('protected and deletionPolicy added to an unchanged resource are recorded, and honoured once it leaves the manifests', async () => {
    const dir = scratchDir('options');
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, manifestText('options', board('options')));
    await apply(dir);
    const run = await runName(dir, 'options');

    writeFileSync(file, manifestText('options', board('options', { protected: true })));
    await apply(dir);
    expect((await openState(dir, 'options').read())!.resources['run-a'].protected).toBe(true);
    writeFileSync(file, manifestText('options', board('options').slice(0, 3)));
    const refused = await runCli(['plan', dir, '--state', dir, ...api]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('resource "run-a": is protected; it would be deleted because it was removed from the manifests\n');

    writeFileSync(file, manifestText('options', board('options', { deletionPolicy: 'abandon' })));
    await apply(dir);
    writeFileSync(file, manifestText('options', board('options').slice(0, 3)));
    expect((await apply(dir)).stdout).toContain('1 removed from state only');
    expect((await inventory(client, 'options', 'us-central1')).has(run)).toBe(true);
  });

  it('an abandoned or `state rm`-ed resource keeps its ownership labels but is never pruned as unclaimed', async () => {
    const dir = scratchDir('abandon');
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, manifestText('abandon', board('abandon', { deletionPolicy: 'abandon' })));
    await apply(dir);
    const abandoned = await runName(dir, 'abandon');
    writeFileSync(file, manifestText('abandon', board('abandon').slice(0, 3)));
    await apply(dir);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);

    // The same with `state rm`: a run under another id, forgotten, then dropped from the manifests.
    // Run display names are unique in an experiment: the API's conflict is what the user reads.
    writeFileSync(file, manifestText('abandon', withProps(board('abandon'), 'run-a', (p) => (p.runsId = 'run-b'))));
    const clash = await runCli(['apply', dir, '--auto-approve', '--state', dir, ...api]);
    expect(clash.code).toBe(1);
    expect(clash.stdout).toContain(`run-a: 409 ALREADY_EXISTS: TensorboardRun with display name "lr=0.01" already exists in ${abandoned.slice(0, abandoned.lastIndexOf('/runs/'))}.\n`);
    writeFileSync(file, manifestText('abandon', withProps(board('abandon'), 'run-a', (p) => Object.assign(p, { runsId: 'run-b', displayName: 'b' }))));
    await apply(dir);
    const removed = await runName(dir, 'abandon');
    expect((await runCli(['state', 'rm', 'run-a', '--stack', 'abandon', '--state', dir])).code).toBe(0);
    writeFileSync(file, manifestText('abandon', board('abandon').slice(0, 3)));
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
    const live = await inventory(client, 'abandon', 'us-central1');
    expect([live.has(abandoned), live.has(removed)]).toEqual([true, true]);
  });

  it('a patch of labels keeps the live keys the plan does not remove: ignored ones, and all of them on an imported resource', async () => {
    const dir = scratchDir('labels');
    const file = join(dir, 'stack.yaml');
    const training = (labels: Record<string, string>) => [{ ...allKinds()[0], props: { ...allKinds()[0].props, projectsId: 'labels', labels }, ignoreChanges: ['labels.owner'] }];
    writeFileSync(file, manifestText('labels', training({ team: 'vision' })));
    await apply(dir);
    const name = String((await openState(dir, 'labels').read())!.resources.training.name);
    const labelsNow = async () => (await client.request<{ labels: Record<string, string> }>({ api: 'aiplatform', method: 'GET', path: `v1/${name}` })).labels;
    const op = await client.request<Operation>({ api: 'aiplatform', method: 'PATCH', path: `v1/${name}`, query: { updateMask: 'labels' }, body: { labels: { ...(await labelsNow()), owner: 'alice' } } });
    await client.waitOperation('aiplatform', op);
    writeFileSync(file, manifestText('labels', training({ team: 'vision', tier: 'dev' })));
    await apply(dir);
    expect(await labelsNow()).toEqual({ team: 'vision', tier: 'dev', owner: 'alice', 'vertexctl-stack': 'labels', 'vertexctl-env': '', 'vertexctl-address': 'training' });

    // A resource made by hand, imported under an address whose manifest sets no labels.
    const made = await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: 'v1/projects/labels/locations/us-central1/tensorboards', body: { displayName: 'by hand', labels: { owner: 'bob' } } });
    const handMade = String((await client.waitOperation('aiplatform', made)).response!.name);
    const specs = [...training({ team: 'vision', tier: 'dev' }), { ...allKinds()[0], name: 'imported', props: { projectsId: 'labels', locationsId: 'us-central1', displayName: 'now managed' } }];
    writeFileSync(file, manifestText('labels', specs));
    expect((await runCli(['import', 'imported', handMade, dir, '--state', dir, ...api])).code).toBe(0);
    await apply(dir);
    const after = await client.request<{ displayName: string; labels: Record<string, string> }>({ api: 'aiplatform', method: 'GET', path: `v1/${handMade}` });
    expect(after).toMatchObject({ displayName: 'now managed', labels: { owner: 'bob', 'vertexctl-stack': 'labels', 'vertexctl-env': '', 'vertexctl-address': 'imported' } });
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });
});
