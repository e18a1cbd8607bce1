import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearSecrets, maskSecrets, registerSecret } from '../src/core/secrets.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { manifestText, type ResourceSpec } from './plan-fixtures.js';

/** Sensitive values appear in no output: state show / list, API errors quoting them, --debug. */

/** These tests run the CLI many times over; a loaded machine (CI, parallel runs) makes each run slow. */
const CLI_TIMEOUT_MS = 240_000;

let emulator: RunningEmulator;
let api: string[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
  api = ['--endpoint', emulator.url];
});
afterAll(async () => {
  await emulator.close();
  removeScratchDirs();
});

const SECRET = 'hunter2-"quoted"-run';
const NOTE = 'card 4111-1111-1111-1111';

function specs(project: string, runs: string[]): ResourceSpec[] {
  const where = { projectsId: project, locationsId: 'us-central1', tensorboardsId: '{{ board.tensorboardsId }}' };
  return [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: { projectsId: project, locationsId: 'us-central1', displayName: 'board' } },
    { name: 'exp', type: 'google.aiplatform.experiments', props: { ...where, experimentsId: 'exp' } },
    ...runs.map((id) => ({
      name: id,
      type: 'google.aiplatform.runs',
      props: { ...where, experimentsId: '{{ exp.experimentsId }}', runsId: id, displayName: SECRET, description: NOTE },
      sensitive: ['displayName', 'description'],
    })),
  ];
}

function expectClean(text: string): void {
  expect(text).not.toContain('hunter2');
  expect(text).not.toContain('4111');
}

describe('sensitive values', () => {
  it('are masked in state show, state list --json, --debug and plan output', async () => {
    const dir = scratchDir('secrets');
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, manifestText('secrets', specs('p-secrets', ['run-a'])));
    const apply = await runCli(['apply', file, '--auto-approve', '--debug', '--state', dir, ...api]);
    expect(apply.code).toBe(0);
    expect(apply.stderr).toMatch(/\[api\] POST /);
    expectClean(apply.stdout + apply.stderr);
    // State keeps the value (the next diff needs it), and records that it is sensitive.
    const doc = readFileSync(join(dir, 'secrets.json'), 'utf8');
    expect(doc).toContain('hunter2');
    expect(JSON.parse(doc).resources['run-a'].sensitive).toEqual(['displayName', 'description']);

    const show = await runCli(['state', 'show', 'run-a', '--manifests', file, '--state', dir]);
    expect(show.code).toBe(0);
    expectClean(show.stdout);
    const entry = JSON.parse(show.stdout) as { props: Record<string, unknown>; outputs: Record<string, unknown> };
    expect(entry.props.displayName).toBe('(sensitive)');
    expect(entry.outputs.description).toBe('(sensitive)');
    expect(entry.props.runsId).toBe('run-a');

    // The manifest no longer marks it sensitive, or holds another value: what state holds stays masked.
    writeFileSync(file, manifestText('secrets', specs('p-secrets', ['run-a']).map((s) => ({ ...s, sensitive: undefined, props: { ...s.props, ...(s.name === 'run-a' && { displayName: 'plain', description: 'plain' }) } }))));
    const again = await runCli(['state', 'show', 'run-a', '--manifests', file, '--state', dir]);
    expectClean(again.stdout);
    const list = await runCli(['state', 'list', file, '--json', '--state', dir]);
    expect(list.code).toBe(0);
    expectClean(list.stdout);
    const plan = await runCli(['plan', file, '--json', '--debug', '--state', dir, ...api]);
    expect(plan.code).toBe(0);
    expectClean(plan.stdout + plan.stderr);
  }, CLI_TIMEOUT_MS);

  it('are masked in an API error that quotes one, in text and --json', async () => {
    const dir = scratchDir('secrets-error');
    const file = join(dir, 'stack.yaml');
    // Two runs with one display name: the API refuses the second, quoting the name.
    writeFileSync(file, manifestText('secrets-error', specs('p-secrets-error', ['run-a', 'run-b'])));
    for (const json of [[], ['--json']]) {
      const res = await runCli(['apply', file, '--auto-approve', ...json, '--state', dir, ...api]);
      expect(res.code).toBe(1);
      expect(res.stdout + res.stderr).toMatch(/ALREADY_EXISTS: TensorboardRun with display name \\?"\(sensitive\)\\?" already exists/);
      expectClean(res.stdout + res.stderr);
    }
  }, CLI_TIMEOUT_MS);

  it('are masked wherever they appear in text, JSON-escaped too; short values are left alone', () => {
    clearSecrets();
    registerSecret({ password: 'pa$$w0rd.*', list: ['say "hi" now', 'ab'] });
    expect(maskSecrets('login pa$$w0rd.* failed')).toBe('login (sensitive) failed');
    expect(maskSecrets(JSON.stringify({ message: 'name "say "hi" now" taken' }))).toBe('{"message":"name \\"(sensitive)\\" taken"}');
    expect(maskSecrets('ab stays')).toBe('ab stays');
    clearSecrets();
    expect(maskSecrets('pa$$w0rd.*')).toBe('pa$$w0rd.*');
  });
});
