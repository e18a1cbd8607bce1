import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Operation } from '../src/api/client.js';
import { executePlan } from '../src/apply/index.js';
import { importHint } from '../src/cli/hints.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import { StateStore, openState } from '../src/state/index.js';
import { changesOf, inventory, planNow, removeScratchDirs, runCli, scratchDir, type CliResult } from './apply.support.js';
import { allKinds, manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * Saved plans are strict (schema, edges, digest) and remember where they go; every command the
 * CLI prints as a hint is run here exactly as printed.
 */

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

function inProject(project: string, specs: ResourceSpec[]): ResourceSpec[] {
  return specs.map((r) => ({ ...r, props: { ...r.props, projectsId: project } }));
}

/** Splits a printed command line as a POSIX shell would (plain words and '…' quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]);
  return words;
}

/** Runs a hint the CLI printed, exactly as printed (`vertexctl …`). */
function runHint(hint: string): Promise<CliResult> {
  const [bin, ...args] = shellWords(hint);
  expect(bin).toBe('vertexctl');
  return runCli(args);
}

function hintIn(text: string, lead: RegExp): string {
  const m = new RegExp(`${lead.source}(vertexctl .*)$`, 'm').exec(text);
  expect(m, text).not.toBeNull();
  return m![1];
}

const writes = () => {
  const { byMethod } = emulator.stats().requests;
  return (byMethod.POST ?? 0) + (byMethod.PATCH ?? 0) + (byMethod.DELETE ?? 0);
};

describe('a saved plan', () => {
  describe('that was tampered with is refused in one line naming the file (and the step), before any API call', () => {
    let dir: string;
    let text: string;
    beforeAll(async () => {
      dir = scratchDir('tamper');
      writeFileSync(join(dir, 'stack.yaml'), manifestText('tamper', inProject('tamper', allKinds().slice(0, 2))));
      const planned = await runCli(['plan', dir, '--out', join(dir, 'good.plan'), '--state', dir, ...api]);
      expect(planned.code).toBe(0);
      text = readFileSync(join(dir, 'good.plan'), 'utf8');
    });

    type PlanFile = { stack: string; steps: { address: string; action: string; type: string; after: string[]; desired?: { props: Record<string, unknown> } }[] };
    const cases: [string, (p: PlanFile) => void, RegExp][] = [
      ['an edited value', (p) => (p.steps[1].desired!.props.displayName = 'not what was reviewed'), /: its content does not match its digest \(edited after `plan --out` wrote it\); refusing the plan file$/],
      ['an unknown action', (p) => (p.steps[0].action = 'destroy'), /: step 1 \("training"\): action must be one of .*; refusing the plan file$/],
      ['a missing desired', (p) => delete p.steps[0].desired, /: step 1 \("training"\):.*desired.*; refusing the plan file$/],
      ['an unknown type', (p) => (p.steps[1].type = 'google.aiplatform.bogus'), /: step 2 \("baseline"\): type must be one of .*; refusing the plan file$/],
      ['a step that references no resource', (p) => p.steps[1].after.push('ghost'), /: step 2 \("baseline"\): comes after "ghost", which has no step in the plan; refusing the plan file$/],
      ["another stack's name", (p) => (p.stack = 'someone-else'), /: its content does not match its digest/],
    ];
    for (const [what, edit, message] of cases) {
      it(what, async () => {
        const file = join(dir, `${what.replace(/\W+/g, '-')}.plan`);
        const plan = JSON.parse(text) as PlanFile;
        edit(plan);
        writeFileSync(file, JSON.stringify(plan, null, 2));
        emulator.resetStats();
        const res = await runCli(['apply', file, '--auto-approve']);
        expect(res.code).toBe(1);
        expect(res.stderr.split('\n')).toHaveLength(2);
        expect(res.stderr.trimEnd()).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${message.source}`));
        expect(emulator.stats().requests.total).toBe(0);
      });
    }

    it('a truncated file', async () => {
      const file = join(dir, 'truncated.plan');
      writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
      emulator.resetStats();
      const res = await runCli(['apply', file, '--auto-approve']);
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(`${file}: not a vertexctl plan file (not JSON; truncated?); refusing the plan file\n`);
      expect(emulator.stats().requests.total).toBe(0);
      const shown = await runCli(['show', file]);
      expect(shown).toMatchObject({ code: 1, stderr: res.stderr });
    });

    it("another stack's plan, applied against this stack's state", async () => {
      const other = scratchDir('tamper-other');
      writeFileSync(join(other, 'stack.yaml'), manifestText('other', inProject('tamper-other', allKinds().slice(0, 1))));
      const file = join(other, 'other.plan');
      expect((await runCli(['plan', other, '--out', file, '--state', other, ...api])).code).toBe(0);
      emulator.resetStats();
      const res = await runCli(['apply', file, '--auto-approve', '--state', dir]);
      expect(res.code).toBe(1);
      expect(res.stderr.split('\n')[0]).toBe(`${file}: the plan was made against the state at ${other}, not --state ${dir}`);
      expect(writes()).toBe(0);
      expect(emulator.stats().requests.total).toBe(0);
    });
  });
  it('remembers its endpoint and state: the printed apply command works as pasted; contradicting flags are refused', async () => {
    const dir = scratchDir('remember');
    const state = join(dir, 'state');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('remember', inProject('remember', allKinds().slice(0, 2))));
    const out = join(dir, 'p.plan');
    const planned = await runCli(['plan', dir, '--out', out, '--state', state, ...api]);
    expect(planned.code).toBe(0);
    const hint = hintIn(planned.stdout, /apply it with: /);
    expect(hint).toBe(`vertexctl apply ${out}`);
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { target: unknown; digest: string };
    expect(saved.target).toEqual({ endpoint: emulator.url, state });
    expect(saved.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const elsewhere = await runCli(['apply', out, '--auto-approve', '--state', join(dir, 'other')]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toBe(
      `${out}: the plan was made against the state at ${state}, not --state ${join(dir, 'other')}\n` +
        `${out}: nothing was changed; drop the flag, or plan again with it\n`,
    );
    const otherEndpoint = await runCli(['apply', out, '--auto-approve', '--endpoint', 'http://127.0.0.1:9/']);
    expect(otherEndpoint.code).toBe(1);
    expect(otherEndpoint.stderr).toContain(`${out}: the plan was made for --endpoint ${emulator.url}, not --endpoint http://127.0.0.1:9/\n`);

    const shown = await runCli(['show', out]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('+ training (google.aiplatform.tensorboards) will be created');
    expect(hintIn(shown.stdout, /Apply it with: /)).toBe(hint);
    const shownJson = JSON.parse((await runCli(['show', out, '--json'])).stdout) as { formatVersion: number; summary: Record<string, number> };
    expect(shownJson).toMatchObject({ formatVersion: 2, summary: { create: 2 } });

    const applied = await runHint(hint);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect((await inventory(client, 'remember', 'us-central1')).size).toBe(2);
    expect(changesOf(await planNow([dir], state, client))).toEqual([]);
  });

});

describe('every hint the CLI prints works when pasted', () => {
  it('force-unlock names the stack and the state', async () => {
    const dir = scratchDir('unlock');
    const state = join(dir, 'elsewhere');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('unlock', inProject('unlock', allKinds().slice(0, 1))));
    expect((await runCli(['apply', dir, '--auto-approve', '--state', state, ...api])).code).toBe(0);
    // A run on another machine holds the lock (so it is not broken as stale).
    const lock = { id: 'f00d-cafe', who: 'someone', host: 'another-host', pid: 1, command: 'vertexctl apply', created: new Date().toISOString() };
    writeFileSync(join(state, 'unlock.lock'), JSON.stringify(lock));
    const locked = await runCli(['apply', dir, '--auto-approve', '--state', state, ...api]);
    expect(locked.code).toBe(1);
    const hint = hintIn(locked.stderr, /release it with: /);
    expect(hint).toBe(`vertexctl force-unlock f00d-cafe --stack unlock --state ${state}`);
    const released = await runHint(hint);
    expect(released.stderr).toBe('');
    expect(released.code).toBe(0);
    expect((await runCli(['apply', dir, '--auto-approve', '--state', state, ...api])).code).toBe(0);
  });

  it('state rm, to re-import an address', async () => {
    const dir = scratchDir('hints');
    const state = join(dir, 'st');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('hints', inProject('hints', allKinds().slice(0, 1))));
    const op = await client.request<{ name: string }>({ api: 'aiplatform', method: 'POST', path: 'v1/projects/hints/locations/us-central1/tensorboards', body: { displayName: 'by hand' } });
    const name = String((await client.waitOperation('aiplatform', op)).response!.name);
    const importArgs = ['import', 'training', name, dir, '--state', state, ...api];
    expect((await runCli(importArgs)).code).toBe(0);
    const again = await runCli(importArgs);
    expect(again.code).toBe(1);
    const rmHint = hintIn(again.stderr, /first run: /);
    expect(rmHint).toBe(`vertexctl state rm training --stack hints --state ${state}`);
    const removed = await runHint(rmHint);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect((await openState(state, 'hints').read())!.resources.training).toBeUndefined();
    expect((await runCli(importArgs)).code).toBe(0);
  });

  it('import, when a create finds its name taken by a resource this stack does not own', async () => {
    const dir = scratchDir('import-hint');
    const state = join(dir, 'st');
    const job = inProject('import-hint', allKinds().filter((r) => r.name === 'nightly-eval'));
    writeFileSync(join(dir, 'stack.yaml'), manifestText('import-hint', job));
    // Planned while the name was free; someone takes it by hand before the apply.
    const stack = await loadStack([dir], { environment: {} });
    const plan = await makePlan(stack, { client, stateDoc: null, refresh: true });
    const { notebookExecutionJobsId, projectsId, locationsId, ...body } = job[0].props;
    const parent = `projects/${String(projectsId)}/locations/${String(locationsId)}`;
    const op = await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${parent}/notebookExecutionJobs`, query: { notebookExecutionJobId: String(notebookExecutionJobsId) }, body });
    await client.waitOperation('aiplatform', op);
    const backend = openState(state, 'import-hint');
    const store = await StateStore.open(backend, 'import-hint');
    const hintFor = (address: string, name: string) => importHint(address, name, [dir], { state, endpoint: emulator.url });
    const summary = await executePlan(plan, { client, store, waitJobs: false, live: new Map(), importHint: hintFor }, { parallelism: 2, stepTimeoutMs: 60_000, onEvent: () => undefined });
    expect(summary.failed).toHaveLength(1);
    const hint = hintIn(summary.failed[0].error, /to manage it, run: /);
    expect(hint).toBe(`vertexctl import nightly-eval ${parent}/notebookExecutionJobs/nightly-eval ${dir} --state ${state} --endpoint ${emulator.url}`);
    const imported = await runHint(hint);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect((await openState(state, 'import-hint').read())!.resources['nightly-eval'].name).toBe(`${parent}/notebookExecutionJobs/nightly-eval`);
  });
});
