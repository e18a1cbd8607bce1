import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { ENV_LABEL, STACK_LABEL, isLegacyOf, labelledOwner, labelsOf, sameOwner } from '../src/kinds/labels.js';
import type { StateDoc } from '../src/state/index.js';
import { inventory, removeScratchDirs, runCli, scratchDir, type LiveItem } from './apply.support.js';
import { manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * Identity: stack and environment are separate in ownership labels and state, so stack "team"
 * in environment "x" and stack "team-x" never touch each other; state and labels of earlier
 * versions (`vertexctl-stack: team-x`, `state/team-x.json`) keep working and are migrated.
 */

/** These tests run the CLI many times over; a loaded machine (CI, parallel runs) makes each run slow. */
const CLI_TIMEOUT_MS = 240_000;

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

/** A board (server-chosen id, found by labels), an experiment and a run under it, in `project`. */
function boardStack(project: string, title: string): ResourceSpec[] {
  const where = { projectsId: project, locationsId: 'us-central1' };
  const inBoard = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  return [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: `${title} board`, labels: { team: 'vision' } } },
    { name: 'exp', type: 'google.aiplatform.experiments', props: { ...inBoard, experimentsId: 'exp', displayName: `${title} experiment` } },
    { name: 'run', type: 'google.aiplatform.runs', props: { ...inBoard, experimentsId: '{{ exp.experimentsId }}', runsId: 'run', displayName: `${title} run` } },
  ];
}

function writeStack(dir: string, file: string, name: string, specs: ResourceSpec[]): string {
  const path = join(dir, file);
  writeFileSync(path, manifestText(name, specs));
  return path;
}

async function live(project: string): Promise<LiveItem[]> {
  return [...(await inventory(client, project, 'us-central1')).values()];
}

function displayNames(items: LiveItem[]): string[] {
  return items.map((i) => String(i.body.displayName)).sort();
}

describe('stack "team" in environment "x" and stack "team-x"', () => {
  it('never adopt, change or delete each other: apply, plan, destroy', async () => {
    const dir = scratchDir('identity');
    const team = writeStack(dir, 'team.yaml', 'team', boardStack('p-ident', 'team'));
    const teamX = writeStack(dir, 'team-x.yaml', 'team-x', boardStack('p-ident', 'team-x'));
    const state = ['--state', dir, ...api];

    const first = await runCli(['apply', team, '--env', 'x', '--auto-approve', ...state]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('Plan: 3 to create, 0 to update, 0 to replace, 0 to destroy.');

    // team-x sees team's labelled board in the same project, and leaves it alone: all creates.
    const plan = await runCli(['plan', teamX, '--json', ...state]);
    expect(plan.code).toBe(0);
    const changes = (JSON.parse(plan.stdout) as { changes: { address: string; action: string }[] }).changes;
    expect(changes.map((c) => `${c.action} ${c.address}`)).toEqual(['create board', 'create exp', 'create run']);

    const second = await runCli(['apply', teamX, '--auto-approve', ...state]);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('Plan: 3 to create, 0 to update, 0 to replace, 0 to destroy.');
    expect(displayNames(await live('p-ident'))).toEqual(['team board', 'team experiment', 'team run', 'team-x board', 'team-x experiment', 'team-x run']);

    // Separate state files, each naming its stack and environment.
    const teamDoc = JSON.parse(readFileSync(join(dir, 'team.x.json'), 'utf8')) as StateDoc;
    const teamXDoc = JSON.parse(readFileSync(join(dir, 'team-x.json'), 'utf8')) as StateDoc;
    expect([teamDoc.stack, teamDoc.env, teamXDoc.stack, teamXDoc.env]).toEqual(['team', 'x', 'team-x', undefined]);
    // Labels: stack and environment apart.
    const boards = (await live('p-ident')).filter((i) => i.kind.type === 'google.aiplatform.tensorboards');
    expect(boards.map((b) => [labelsOf(b.kind, b.body)![STACK_LABEL], labelsOf(b.kind, b.body)![ENV_LABEL]]).sort()).toEqual([
      ['team', 'x'],
      ['team-x', ''],
    ]);

    for (const args of [[team, '--env', 'x'], [teamX]]) {
      const again = await runCli(['plan', ...args, '--detailed-exitcode', ...state]);
      expect(again.stdout).toBe('No changes. Live resources match the manifests.\n');
      expect(again.code).toBe(0);
    }

    const destroyed = await runCli(['destroy', teamX, '--auto-approve', ...state]);
    expect(destroyed.stderr).toBe('');
    expect(destroyed.code).toBe(0);
    expect(displayNames(await live('p-ident'))).toEqual(['team board', 'team experiment', 'team run']);
    const after = await runCli(['plan', team, '--env', 'x', '--detailed-exitcode', ...state]);
    expect(after.stdout).toBe('No changes. Live resources match the manifests.\n');
    // And team-x, its state empty, plans to create its own again, never to take team's.
    const fresh = await runCli(['plan', teamX, '--json', ...state]);
    expect((JSON.parse(fresh.stdout) as { summary: Record<string, number> }).summary).toMatchObject({ create: 3, update: 0, delete: 0 });
  }, CLI_TIMEOUT_MS);

  it('a state file holding another stack or environment is refused, naming both', async () => {
    const dir = scratchDir('identity-doc');
    const team = writeStack(dir, 'team.yaml', 'team', boardStack('p-ident-doc', 'team'));
    const applied = await runCli(['apply', team, '--env', 'x', '--auto-approve', '--state', dir, ...api]);
    expect(applied.code).toBe(0);
    // Copied by hand to where stack "team" without environment keeps its state.
    writeFileSync(join(dir, 'team.json'), readFileSync(join(dir, 'team.x.json')));
    const res = await runCli(['plan', team, '--state', dir, ...api]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `${join(dir, 'team.json')} holds the state of stack "team", environment "x", not of stack "team" without environment; refusing to use it (pass the right --env, or another --state)\n`,
    );
  }, CLI_TIMEOUT_MS);
});

describe('state and labels of earlier versions', () => {
  it('keep working, and the next apply migrates them, saying so', async () => {
    const dir = scratchDir('identity-legacy');
    const file = writeStack(dir, 'old.yaml', 'old', boardStack('p-legacy', 'old'));
    const applied = await runCli(['apply', file, '--env', 'x', '--auto-approve', '--state', dir, ...api]);
    expect(applied.code).toBe(0);
    // Turn it into what vertexctl 0.1 wrote: `old-x.json`, and `vertexctl-stack: old-x` without vertexctl-env.
    renameSync(join(dir, 'old.x.json'), join(dir, 'old-x.json'));
    for (const item of await live('p-legacy')) {
      const labels = { ...labelsOf(item.kind, item.body)! };
      delete labels[ENV_LABEL];
      labels[STACK_LABEL] = 'old-x';
      await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${item.name}`, query: { updateMask: 'labels' }, body: { labels } });
    }

    const plan = await runCli(['plan', file, '--env', 'x', '--state', dir, ...api]);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('ownership labels written by an earlier vertexctl are rewritten with stack and environment apart');
    expect(plan.stdout).toContain('Plan: 0 to create, 3 to update, 0 to replace, 0 to destroy.');
    expect(existsSync(join(dir, 'old-x.json'))).toBe(true);

    const migrated = await runCli(['apply', file, '--env', 'x', '--auto-approve', '--state', dir, ...api]);
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toBe(`State moved from ${join(dir, 'old-x.json')} to ${join(dir, 'old.x.json')}: state files now name the stack and the environment apart.\n`);
    expect(existsSync(join(dir, 'old-x.json'))).toBe(false);
    for (const item of await live('p-legacy')) {
      expect(labelsOf(item.kind, item.body)).toMatchObject({ [STACK_LABEL]: 'old', [ENV_LABEL]: 'x', ...(item.kind.type.endsWith('tensorboards') && { team: 'vision' }) });
    }
    const again = await runCli(['plan', file, '--env', 'x', '--detailed-exitcode', '--state', dir, ...api]);
    expect(again.stdout).toBe('No changes. Live resources match the manifests.\n');
    expect(again.code).toBe(0);
  }, CLI_TIMEOUT_MS);

  it('an old `team-x.json` of stack "team" in environment "x" is never read as stack "team-x"', async () => {
    const dir = scratchDir('identity-legacy-clash');
    const team = writeStack(dir, 'team.yaml', 'team', boardStack('p-clash', 'team'));
    const teamX = writeStack(dir, 'team-x.yaml', 'team-x', boardStack('p-clash', 'team-x'));
    expect((await runCli(['apply', team, '--env', 'x', '--auto-approve', '--state', dir, ...api])).code).toBe(0);
    renameSync(join(dir, 'team.x.json'), join(dir, 'team-x.json'));
    const res = await runCli(['plan', teamX, '--state', dir, ...api]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `Error: ${join(dir, 'team-x.json')} holds the state of stack "team", environment "x", named the way earlier versions did; ` +
        'apply stack "team" with --env x once (it moves its state to team.x.json), or use another --state\n',
    );
  }, CLI_TIMEOUT_MS);

  it('labels name the owner: exactly, as an earlier version did, or not at all', () => {
    const team = { stack: 'team', env: 'x' };
    expect(sameOwner(labelledOwner({ [STACK_LABEL]: 'team', [ENV_LABEL]: 'x' }), team)).toBe(true);
    expect(sameOwner(labelledOwner({ [STACK_LABEL]: 'team-x', [ENV_LABEL]: '' }), team)).toBe(false);
    expect(sameOwner(labelledOwner({ [STACK_LABEL]: 'team-x' }), team)).toBe(false);
    expect(sameOwner(labelledOwner({ [STACK_LABEL]: 'team-x' }), { stack: 'team-x' })).toBe(false);
    expect(isLegacyOf(labelledOwner({ [STACK_LABEL]: 'team-x' }), team)).toBe(true);
    expect(isLegacyOf(labelledOwner({ [STACK_LABEL]: 'team-x', [ENV_LABEL]: '' }), team)).toBe(false);
    expect(labelledOwner({ team: 'vision' })).toBeUndefined();
  });
});
