import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { ADDRESS_RULE } from '../src/kinds/addresses.js';
import { canonicalJson } from '../src/plan/normalize.js';
import { lockHolder, openState } from '../src/state/index.js';
import { finished, removeScratchDirs, runCli, scratchDir, spawnCli, type CliResult } from './apply.support.js';
import { indent, stackYaml, writeFiles, yaml } from './manifest.support.js';

/**
 * Input that is wrong on purpose (issue "Hostile input"), through the real CLI: `apply
 * --auto-approve` against the emulator, the command that would write the most. Each case ends in
 * its exact one-line error and exit 1, with nothing written: no state file, no API call at all.
 */

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5 });
});
beforeEach(() => emulator.resetStats());
afterAll(async () => {
  await emulator.close();
  removeScratchDirs();
});

interface Attempt extends CliResult {
  stateDir: string;
  stateFiles: Record<string, string>;
  apiCalls: number;
}

/**
 * `vertexctl apply PATH --auto-approve` with its own state dir (empty, or holding `stateFiles`),
 * and what it left behind there: each file's content.
 */
async function applyHostile(
  paths: string[],
  { args = [], env = {}, stateFiles = {} }: { args?: string[]; env?: Record<string, string>; stateFiles?: Record<string, string> } = {},
): Promise<Attempt> {
  const state = scratchDir('hostile-state');
  for (const [name, text] of Object.entries(stateFiles)) writeFileSync(join(state, name), text);
  const child = spawnCli(['apply', ...paths, '--auto-approve', '--state', state, '--endpoint', emulator.url, ...args], env);
  child.stdin!.end();
  const result = await finished(child);
  const left = Object.fromEntries(readdirSync(state).map((name) => [name, readFileSync(join(state, name), 'utf8')]));
  return { ...result, stateDir: state, stateFiles: left, apiCalls: emulator.stats().requests.total };
}

/** Exit 1, exactly these lines on stderr, nothing on stdout, nothing written anywhere. */
function expectRefused(attempt: Attempt, lines: string[], stateBefore: Record<string, string> = {}): void {
  expect(attempt.stderr).toBe(lines.map((l) => `${l}\n`).join(''));
  expect(attempt.code).toBe(1);
  expect(attempt.stdout).toBe('');
  expect(attempt.stateFiles).toEqual(stateBefore);
  expect(attempt.apiCalls).toBe(0);
}

const tensorboard = (props: string): string =>
  indent(
    yaml`
      - name: tb
        type: google.aiplatform.tensorboards
        props:
          - name: locationsId
            value: us-central1
          - name: displayName
            value: tb
    `,
    2,
  ) + props;

const prop = (name: string, value: string): string => `      - name: ${name}\n        value: ${value}\n`;

const UNSET = (name: string): string =>
  `unset variable "${name}": define a global, pass --var ${name}=…, or set the environment variable VERTEXCTL_VAR_${name}`;

describe('templates and variables', () => {
  it('{{ toString }} is an unset variable, not a prototype member', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p') + prop('description', "'{{ toString }}'"))) });
    expectRefused(await applyHostile([dir]), [`${join(dir, 'a.yaml')}:14:16: resource "tb": props.description: ${UNSET('toString')}`]);
  });

  it('an unprefixed environment variable never reaches a template; the error names the prefix', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p') + prop('description', "'{{ CI_DEPLOY_TOKEN }}'"))) });
    const attempt = await applyHostile([dir], { env: { CI_DEPLOY_TOKEN: 'glpat-very-secret' } });
    expectRefused(attempt, [`${join(dir, 'a.yaml')}:14:16: resource "tb": props.description: ${UNSET('CI_DEPLOY_TOKEN')}`]);
    expect(attempt.stderr).not.toContain('glpat');
  });

  it('a --var value is checked where it is used: a newline in a project id is refused', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', "'{{ project }}'"))) });
    expectRefused(await applyHostile([dir], { args: ['--var', 'project=p\nInjected: yes'] }), [
      `${join(dir, 'a.yaml')}:12:16: resource "tb": props.projectsId: an id holds letters, digits, and . _ : ~ - only (no spaces, slashes or control characters)`,
    ]);
  });

  it('the same value from VERTEXCTL_VAR_project is refused alike', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', "'{{ project }}'"))) });
    expectRefused(await applyHostile([dir], { env: { VERTEXCTL_VAR_project: 'p/../../other' } }), [
      `${join(dir, 'a.yaml')}:12:16: resource "tb": props.projectsId: an id holds letters, digits, and . _ : ~ - only (no spaces, slashes or control characters)`,
    ]);
  });
});

describe('the example stack and its variables', () => {
  it('takes its project from VERTEXCTL_VAR_project, as the README shows, never from an unprefixed variable', async () => {
    const state = scratchDir('hostile-state');
    const projectsOf = async (env: Record<string, string>): Promise<Set<string>> => {
      const plan = await runCli(['plan', 'manifests/', '--json', '--state', state, '--endpoint', emulator.url], env);
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(0);
      const { changes } = JSON.parse(plan.stdout) as { changes: { action: string; name?: string | null }[] };
      expect(changes.map((c) => c.action)).toEqual(changes.map(() => 'create'));
      return new Set(changes.flatMap((c) => (c.name ? [c.name.split('/').slice(0, 2).join('/')] : [])));
    };
    expect(await projectsOf({ VERTEXCTL_VAR_project: 'readme-project', project: 'unprefixed' })).toEqual(new Set(['projects/readme-project']));
    expect(await projectsOf({ project: 'unprefixed', PROJECT: 'unprefixed' })).toEqual(new Set(['projects/demo-project']));
    expect(readdirSync(state)).toEqual([]);
  });
});

describe('numbers', () => {
  const job = (name: string, replicaCount: string): string =>
    indent(
      yaml`
        - name: ${name}
          type: google.aiplatform.custom_jobs
          props:
            - name: projectsId
              value: p
            - name: locationsId
              value: us-central1
            - name: displayName
              value: ${name}
            - name: jobSpec
              value:
                workerPoolSpecs:
                  - machineSpec: { machineType: n1-standard-4 }
                    replicaCount: ${replicaCount}
                    containerSpec: { imageUri: gcr.io/p/i }
      `,
      2,
    );
  const INT64 = 'must be a whole number (or a string of digits) from -9223372036854775808 to 9223372036854775807';
  const TOO_BIG = `${INT64}; beyond ±9007199254740991 write it as a string of digits (a number that large is not exact)`;

  it('int64 fields take whole numbers in range only, as numbers or strings', async () => {
    const values = ['99999999999999999999', '1e30', '"99999999999999999999"', '1.5', '"12abc"', '"9223372036854775807"', '9007199254740991'];
    const dir = writeFiles({ 'a.yaml': stackYaml(values.map((v, i) => job(`j${i}`, v)).join('')) });
    const f = join(dir, 'a.yaml');
    const at = (i: number): string => `${f}:${17 + 15 * i}:29: resource "j${i}": props.jobSpec.workerPoolSpecs[0].replicaCount`;
    expectRefused(await applyHostile([dir]), [
      `${at(0)}: ${TOO_BIG}`,
      `${at(1)}: ${TOO_BIG}`,
      `${at(2)}: ${INT64}`,
      `${at(3)}: ${INT64}`,
      `${at(4)}: ${INT64}`,
    ]);
  });
});

describe('addresses', () => {
  it('__proto__ is refused as an address, by the documented rule', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p')).replace('name: tb', 'name: __proto__')) });
    expectRefused(await applyHostile([dir]), [
      `${join(dir, 'a.yaml')}:4:11: resource "__proto__": name: an address starts with a letter or _ and holds letters, digits, _ and -, at most 128 characters (and is not __proto__)`,
    ]);
  });
});

describe('addresses named like Object.prototype members', () => {
  it('constructor, hasOwnProperty, toString and valueOf are ordinary addresses: apply, a clean plan, destroy', async () => {
    const child = (name: string, type: string, props: string): string =>
      indent(`- name: ${name}\n  type: google.aiplatform.${type}\n  props:\n`, 2) +
      prop('projectsId', 'p') +
      prop('locationsId', 'us-central1') +
      props;
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard(prop('projectsId', 'p')).replace('name: tb', 'name: constructor') +
          child('hasOwnProperty', 'experiments', prop('tensorboardsId', "'{{ constructor.tensorboardsId }}'") + prop('experimentsId', 'e1')) +
          child(
            'toString',
            'runs',
            prop('tensorboardsId', "'{{ constructor.tensorboardsId }}'") + prop('experimentsId', "'{{ hasOwnProperty.experimentsId }}'") + prop('runsId', 'r1') + prop('displayName', 'r1'),
          ) +
          child(
            'valueOf',
            'time_series',
            prop('tensorboardsId', "'{{ constructor.tensorboardsId }}'") +
              prop('experimentsId', "'{{ hasOwnProperty.experimentsId }}'") +
              prop('runsId', "'{{ toString.runsId }}'") +
              prop('timeSeriesId', 'loss') +
              prop('displayName', 'loss') +
              prop('valueType', 'SCALAR') +
              prop('dataPoints', '[{ step: 1, scalar: { value: 0.5 } }]'),
          ),
      ),
    });
    const state = scratchDir('hostile-state');
    const run = (...args: string[]): Promise<CliResult> => runCli([...args, '--state', state, '--endpoint', emulator.url]);
    const first = await run('apply', dir, '--auto-approve');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Apply complete: 4 created, 0 updated, 0 replaced, 0 deleted.');
    const doc = JSON.parse(readFileSync(join(state, readdirSync(state).find((f) => f.endsWith('.json'))!), 'utf8')) as { resources: object };
    expect(Object.keys(doc.resources).sort()).toEqual(['constructor', 'hasOwnProperty', 'toString', 'valueOf']);
    const again = await run('plan', dir);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('No changes. Live resources match the manifests.\n');
    const gone = await run('destroy', dir, '--auto-approve');
    expect(gone.stderr).toBe('');
    expect(gone.stdout).toContain('Destroy complete: 1 deleted; 3 more deleted with their parents.');
  });
});

describe('map keys named like Object.prototype members', () => {
  it('a label named constructor is a key like any other: removing it is an update, and after apply nothing is left to do', async () => {
    const withLabels = (labels: string): string => stackYaml(tensorboard(prop('projectsId', 'p') + prop('labels', labels)));
    const dir = writeFiles({ 'a.yaml': withLabels('{ constructor: team, tostring: x }') });
    const state = scratchDir('hostile-state');
    const run = (...args: string[]): Promise<CliResult> => runCli([...args, dir, '--state', state, '--endpoint', emulator.url]);
    expect((await run('apply', '--auto-approve')).code).toBe(0);
    writeFileSync(join(dir, 'a.yaml'), withLabels('{ tostring: x }'));
    const plan = await run('plan');
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('      - labels.constructor: "team"\n');
    expect(plan.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to destroy.');
    expect((await run('apply', '--auto-approve')).code).toBe(0);
    expect((await run('plan')).stdout).toBe('No changes. Live resources match the manifests.\n');
  });
});

describe('state documents', () => {
  const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p'))) });
  const good = { formatVersion: 1, lineage: 'l-1', serial: 4, stack: 'test-stack', resources: {} as Record<string, unknown> };
  const entry = { type: 'google.aiplatform.tensorboards', name: 'projects/p/locations/us-central1/tensorboards/1', id: '1', props: {}, outputs: {} };

  it.each([
    ['an entry that is null', { tb: null }, 'resource "tb": must be an object'],
    ['a numeric name', { tb: { ...entry, name: 7 } }, 'resource "tb": name: must be a string'],
    ['props: null', { tb: { ...entry, props: null } }, 'resource "tb": props: must be an object'],
  ])('%s is refused in one line naming the file and the address; the file is left as it is', async (_what, resources, why) => {
    const stateFiles = { 'test-stack.json': `${JSON.stringify({ ...good, resources }, null, 2)}\n` };
    const attempt = await applyHostile([dir], { stateFiles });
    expectRefused(attempt, [`${join(attempt.stateDir, 'test-stack.json')}: not a valid vertexctl state file: ${why}; the file was left as it is`], stateFiles);
  });
});

describe('plan files', () => {
  it('a plan file edited to hold the address __proto__, its digest made again, is refused before it can reach state', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p'))) });
    const state = scratchDir('hostile-state');
    const planFile = join(scratchDir('hostile-plan'), 'tb.plan');
    const plan = await runCli(['plan', dir, '--out', planFile, '--state', state, '--endpoint', emulator.url]);
    expect(plan.code, plan.stderr).toBe(0);
    const { digest: _digest, ...body } = JSON.parse(readFileSync(planFile, 'utf8')) as { digest: string; steps: { address: string }[]; fingerprints: object };
    body.steps[0].address = '__proto__';
    body.fingerprints = JSON.parse('{"__proto__": "absent"}') as object;
    writeFileSync(planFile, JSON.stringify({ ...body, digest: `sha256:${createHash('sha256').update(canonicalJson(body)).digest('hex')}` }));
    emulator.resetStats();
    const attempt = await runCli(['apply', planFile, '--auto-approve']);
    expect(attempt.stderr).toBe(
      `${planFile}: fingerprints: invalid key "__proto__": ${ADDRESS_RULE}, or such an address, # and the id of a resource it replaced; refusing the plan file\n`,
    );
    expect(attempt.code).toBe(1);
    expect(attempt.stdout).toBe('');
    expect(readdirSync(state)).toEqual([]);
    expect(emulator.stats().requests.total).toBe(0);
  });
});

describe('what a reviewer reads', () => {
  it('control and bidi characters in values are shown escaped in the plan text and Markdown', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p') + prop('description', '"ok \\u202Eevil\\u2066 x\\nInjected: yes\\u0007"'))),
    });
    const state = scratchDir('hostile-state');
    const child = spawnCli(['plan', dir, '--state', state, '--endpoint', emulator.url]);
    child.stdin!.end();
    const plan = await finished(child);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('      + description: "ok \\u202eevil\\u2066 x\\nInjected: yes\\u0007"\n');
    expect(plan.stdout).not.toMatch(/[\u202e\u2066\u0007]/);
    expect(plan.stdout.split('\n').filter((l) => l.includes('Injected'))).toHaveLength(1);
    const mdChild = spawnCli(['plan', dir, '--format', 'markdown', '--state', state, '--endpoint', emulator.url]);
    mdChild.stdin!.end();
    const markdown = await finished(mdChild);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain('+ description: "ok \\u202eevil\\u2066 x\\nInjected: yes\\u0007"\n');
    expect(markdown.stdout).not.toMatch(/[\u202e\u2066\u0007]/);
    expect(readdirSync(state)).toEqual([]);
    const { byMethod } = emulator.stats().requests;
    expect(Object.keys(byMethod).filter((m) => m !== 'GET')).toEqual([]);
  });

  it('a problem that quotes user text stays one line, its invisible characters escaped', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p')).replace('type: google.aiplatform.tensorboards', 'type: "google.aiplatform.tensor\\u202Eboards\\nX"')) });
    expectRefused(await applyHostile([dir]), [
      `${join(dir, 'a.yaml')}:5:11: resource "tb": unknown resource type "google.aiplatform.tensor\\u202eboards\\nX" (did you mean "google.aiplatform.tensorboards"?)`,
    ]);
  });
});

describe('every problem of a run at once', () => {
  it('an unknown resource type hides nothing: format and props problems of every file are reported together, each at its line:col', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard(prop('projectsId', 'p')).replace('type: google.aiplatform.tensorboards', 'type: google.aiplatform.tensorbord') +
          indent(
            yaml`
              - name: exp
                type: google.aiplatform.experiments
                props:
                  - name: projectsId
                    value: p
                  - name: locationsId
                    value: '{{ region }}'
                  - name: tensorboardsId
                    value: '{{ tb.tensorboardsId }}'
                  - name: experimentsId
                    value: 'Bad Id'
                dependsOn: [tb, nope]
            `,
            2,
          ),
        'globals:\n  - name: region\n    valu: us-central1\n',
      ),
      'b.yaml': `version: 1\nextra: true\nresources:\n${tensorboard(prop('projectsId', 'p') + prop('description', '5')).replace('name: tb', 'name: tb2')}`,
    });
    const [a, b] = [join(dir, 'a.yaml'), join(dir, 'b.yaml')];
    expectRefused(await applyHostile([dir]), [
      `${a}:4:5: globals[0]: missing "value" or "values"`,
      `${a}:5:5: globals[0]: unknown field "valu" (did you mean "value"?)`,
      `${a}:8:11: resource "tb": unknown resource type "google.aiplatform.tensorbord" (did you mean "google.aiplatform.tensorboards"?)`,
      `${a}:26:16: resource "exp": props.experimentsId: not a valid id: 1-128 characters of [a-z0-9-]`,
      `${a}:27:21: resource "exp": dependsOn: unknown resource address "nope"`,
      `${b}:2:1: unknown field "extra"`,
      `${b}:14:16: resource "tb2": props.description: must be string`,
    ]);
  });

  it('a YAML indentation error points at the misindented line and its first character', async () => {
    const lines = yaml`
      version: 1
      name: test-stack
      resources:
        - name: tb
          type: google.aiplatform.tensorboards
          props:
            - name: projectsId
              value: p
    `.split('\n');
    const shifted = (line: number, by: number): string => lines.map((l, i) => (i === line - 1 ? ' '.repeat(by) + l : l)).join('\n');
    const outdented = (line: number): string => lines.map((l, i) => (i === line - 1 ? l.slice(1) : l)).join('\n');
    const dir = writeFiles({ 'a.yaml': shifted(8, 2), 'b.yaml': outdented(6), 'c.yaml': shifted(6, 1), 'd.yaml': lines.join('\n').replace('      - name', '\t- name') });
    expectRefused(await applyHostile([dir]), [
      `${join(dir, 'a.yaml')}:8:11: invalid YAML: bad indentation of a mapping entry`,
      `${join(dir, 'b.yaml')}:6:4: invalid YAML: bad indentation of a sequence entry`,
      `${join(dir, 'c.yaml')}:6:6: invalid YAML: bad indentation of a mapping entry`,
      `${join(dir, 'd.yaml')}:7:1: invalid YAML: tab characters must not be used in indentation`,
    ]);
  });
});

describe('apply --json when it fails early', () => {
  const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p'))) });

  /** Exit 1, nothing on stderr, one `error` event on stdout saying exactly these lines, nothing written. */
  function expectErrorEvent(attempt: Attempt, lines: string[], stateBefore: Record<string, string> = {}): void {
    expect(attempt.stderr).toBe('');
    expect(attempt.code).toBe(1);
    const events = attempt.stdout.split('\n').filter(Boolean);
    expect(events).toHaveLength(1);
    const event = JSON.parse(events[0]) as { event: string; error: string; problems: unknown[]; time: string };
    expect(event).toEqual({ event: 'error', error: lines.join('\n'), problems: expect.any(Array), time: expect.any(String) });
    expect(event.problems).toHaveLength(lines.length);
    expect(attempt.stateFiles).toEqual(stateBefore);
    expect(attempt.apiCalls).toBe(0);
  }

  it('a bad manifest: one error event with every problem, each with its file, line, column and address', async () => {
    const bad = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p') + prop('description', '5'))) });
    const f = join(bad, 'a.yaml');
    const attempt = await applyHostile([bad], { args: ['--json'] });
    expectErrorEvent(attempt, [`${f}:14:16: resource "tb": props.description: must be string`]);
    expect(JSON.parse(attempt.stdout).problems).toEqual([{ file: f, line: 14, col: 16, address: 'tb', message: 'props.description: must be string' }]);
  });

  it('a bad state document', async () => {
    const stateFiles = { 'test-stack.json': '{"formatVersion": 1, "resources": []}\n' };
    const attempt = await applyHostile([dir], { args: ['--json'], stateFiles });
    expectErrorEvent(attempt, [`${join(attempt.stateDir, 'test-stack.json')}: not a valid vertexctl state file: missing "lineage"; the file was left as it is`], stateFiles);
  });

  it('an endpoint that refuses connections', async () => {
    const closed = createServer();
    await once(closed.listen(0, '127.0.0.1'), 'listening');
    const port = (closed.address() as { port: number }).port;
    closed.close();
    const attempt = await applyHostile([dir], { args: ['--json', '--endpoint', `http://127.0.0.1:${port}/`] });
    expectErrorEvent(attempt, [
      `refresh failed: cannot list google.aiplatform.tensorboards in projects/p/locations/us-central1: cannot reach http://127.0.0.1:${port}/: ECONNREFUSED (gave up after 3 attempts)`,
    ]);
  });
});

describe('a state lock held by another run', () => {
  const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p'))) });

  /** Holds the stack's state lock in `state` as a live process of this host (this test's), and returns the lock file and the state file it guards. */
  async function holdLock(state: string): Promise<{ lockFile: string; stateFile: string; holder: string }> {
    const info = await openState(state, 'test-stack').lock({ ...lockHolder('vertexctl apply manifests'), who: 'alice', created: '2026-12-01T09:00:00.000Z' }, 0);
    const lockFile = readdirSync(state).find((f) => f.endsWith('.lock'))!;
    const holder = `alice@${hostname()} (pid ${process.pid}, "vertexctl apply manifests", since 2026-12-01T09:00:00.000Z, lock id ${info.id})`;
    return { lockFile, stateFile: join(state, lockFile.replace(/\.lock$/, '.json')), holder };
  }

  it('--lock-timeout says once that it waits, and for whom; then fails naming the holder, nothing written', async () => {
    const state = scratchDir('hostile-state');
    const { lockFile, stateFile, holder } = await holdLock(state);
    const lockBefore = readFileSync(join(state, lockFile), 'utf8');
    const child = spawnCli(['apply', dir, '--auto-approve', '--lock-timeout', '1500ms', '--state', state, '--endpoint', emulator.url]);
    child.stdin!.end();
    const attempt = await finished(child);
    expect(attempt.stderr).toBe(
      `State ${stateFile} is locked by ${holder}; waiting up to 2s for it (--lock-timeout).\n` +
        `state ${stateFile} is locked by ${holder} after waiting 2s; if that run is gone, release it with: vertexctl force-unlock ${holder.match(/lock id (\S+)\)$/)![1]} --stack test-stack --state ${state}\n`,
    );
    expect(attempt.code).toBe(1);
    expect(attempt.stdout).toBe('');
    expect(readdirSync(state)).toEqual([lockFile]);
    expect(readFileSync(join(state, lockFile), 'utf8')).toBe(lockBefore);
    expect(emulator.stats().requests.total).toBe(0);
  });

  it('with --json the refusal is one error event, the waiting notice stays on stderr', async () => {
    const state = scratchDir('hostile-state');
    const { lockFile, stateFile, holder } = await holdLock(state);
    const child = spawnCli(['apply', dir, '--auto-approve', '--json', '--lock-timeout', '300ms', '--state', state, '--endpoint', emulator.url]);
    child.stdin!.end();
    const attempt = await finished(child);
    expect(attempt.stderr).toBe(`State ${stateFile} is locked by ${holder}; waiting up to 300ms for it (--lock-timeout).\n`);
    expect(attempt.code).toBe(1);
    const events = attempt.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; error: string });
    expect(events.map((e) => e.event)).toEqual(['error']);
    expect(events[0].error).toMatch(new RegExp(`^state ${stateFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is locked by .* after waiting 0s; if that run is gone, release it with: vertexctl force-unlock `));
    expect(readdirSync(state)).toEqual([lockFile]);
    expect(emulator.stats().requests.total).toBe(0);
  });
});

describe('manifest files', () => {
  const ONLY_REGULAR = 'not a regular file; only regular files (or symlinks to them) are read';

  it('a symlink to /dev/zero, a FIFO and a socket are refused by name, without blocking or reading', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard(prop('projectsId', 'p'))) });
    symlinkSync('/dev/zero', join(dir, 'b-zero.yaml'));
    execFileSync('mkfifo', [join(dir, 'c-fifo.yaml')]);
    const socket = createServer().listen(join(dir, 'd-socket.yaml'));
    await once(socket, 'listening');
    try {
      expectRefused(await applyHostile([dir]), [
        `${join(dir, 'b-zero.yaml')}:1:1: a character device, ${ONLY_REGULAR}`,
        `${join(dir, 'c-fifo.yaml')}:1:1: a FIFO (named pipe), ${ONLY_REGULAR}`,
        `${join(dir, 'd-socket.yaml')}:1:1: a socket or device without a reader, ${ONLY_REGULAR}`,
      ]);
    } finally {
      socket.close();
    }
  });

  it('nesting deeper than the documented limit is refused where it happens, before the parser can overflow', async () => {
    const flow = `${stackYaml(tensorboard(prop('projectsId', 'p')))}deep: ${'['.repeat(900)}${']'.repeat(900)}\n`;
    let block = `${stackYaml(tensorboard(prop('projectsId', 'p')))}deep:\n`;
    for (let i = 1; i < 900; i++) block += `${' '.repeat(i)}k:\n`;
    let chained = `${stackYaml(tensorboard(prop('projectsId', 'p')))}x0: &x0 [1]\n`;
    for (let i = 1; i < 3000; i++) chained += `x${i}: &x${i} [*x${i - 1}]\n`;
    const dir = writeFiles({ 'a-flow.yaml': flow, 'b-block.yaml': block, 'c-aliases.yaml': chained });
    expectRefused(await applyHostile([dir]), [
      `${join(dir, 'a-flow.yaml')}:13:106: nested deeper than 100 levels; refusing to load`,
      `${join(dir, 'b-block.yaml')}:113:101: nested deeper than 100 levels; refusing to load`,
      `${join(dir, 'c-aliases.yaml')}:1:1: YAML aliases make a value that is nested deeper than 100 levels; refusing to load`,
    ]);
  });
});
