import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { GITHUB_COMMENT_LIMIT } from '../src/core/markdown.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { makePlan, renderPlanMarkdown, type PlannedStep } from '../src/plan/index.js';
import { inventory, removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { allKinds, createDirect, manifestText, stackOf, stateFor, testClient, withProps } from './plan-fixtures.js';

/** `plan --format markdown` (for pull-request comments) and `plan --destroy`. */

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

describe('renderPlanMarkdown', () => {
  it('a table of the changes, each change\'s fields in a collapsible diff, sensitive values masked', async () => {
    const dir = scratchDir('plan-md');
    const specs = allKinds().slice(0, 3).map((r) => ({ ...r, props: { ...r.props, projectsId: 'plan-md' } }));
    const applied = await stackOf(dir, 'plan-md', specs);
    const created = await createDirect(client, applied);
    const doc = stateFor(applied, created);
    const changed = withProps(
      withProps(specs, 'training', (p) => (p.displayName = 'renamed | piped')),
      'baseline',
      (p) => (p.description = 'secret-token-123'),
    );
    changed[1] = { ...changed[1], sensitive: ['description'] };
    const stack = await stackOf(dir, 'plan-md', changed);
    const plan = await makePlan(stack, { client, stateDoc: doc, refresh: true });
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('## vertexctl plan: `plan-md`\n\n**Plan:** 0 to create, 2 to update, 0 to replace, 0 to destroy. 1 unchanged.');
    expect(md).toContain(`| 🟡 update | \`training\` | \`google.aiplatform.tensorboards\` | \`${created.get('training')!.name}\` |  |`);
    expect(md).toContain('<details><summary>🟡 update <code>training</code>: 1 field</summary>\n\n```diff\n- displayName: "training"\n+ displayName: "renamed | piped"\n```\n\n</details>');
    expect(md).toContain('<details><summary>🟡 update <code>baseline</code>: 1 field</summary>\n\n```diff\n+ description: (sensitive)\n```');
    expect(md).not.toContain('secret-token-123');
    expect(md).not.toContain('run-a'); // unchanged resources are counted, not listed
  });

  it('a plan too long for a comment is cut between rows, below the limit, with a note', () => {
    const steps: PlannedStep[] = [];
    for (let i = 0; i < 2000; i++) {
      steps.push({
        address: `run-${i}`,
        type: 'google.aiplatform.runs',
        action: 'create',
        name: `projects/p/locations/us-central1/tensorboards/1/experiments/e/runs/run-${i}`,
        fields: [{ path: 'displayName', after: `run number ${i}` }],
        after: [],
        inState: false,
      });
    }
    const md = renderPlanMarkdown({ stack: 'big', steps });
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(md).toContain('**Plan:** 2000 to create, 0 to update, 0 to replace, 0 to destroy.');
    const rows = md.split('\n').filter((l) => l.startsWith('| 🟢 create |')).length;
    expect(rows).toBeGreaterThan(100);
    expect(md.trimEnd().split('\n').slice(-2).join('\n')).toBe(
      `> [!NOTE]\n> Truncated to stay below GitHub's 65,536-character limit: ${2000 - rows} changes, 2000 field lists not shown. \`vertexctl show PLANFILE\` prints the whole plan.`,
    );
  });
});

describe('vertexctl plan --format / --destroy', () => {
  it('--format markdown prints the Markdown plan; --format json is --json; both at once is an error', async () => {
    const dir = scratchDir('plan-format');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('fmt', allKinds().slice(0, 1).map((r) => ({ ...r, props: { ...r.props, projectsId: 'plan-format' } }))));
    const args = ['plan', dir, '--state', dir, ...api];
    const [md, json, short, both] = await Promise.all([
      runCli([...args, '--format', 'markdown']),
      runCli([...args, '--format', 'json']),
      runCli([...args, '--json']),
      runCli([...args, '--json', '--format', 'markdown']),
    ]);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^## vertexctl plan: `fmt`\n\n\*\*Plan:\*\* 1 to create, 0 to update, 0 to replace, 0 to destroy\.\n/);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(short.stdout));
    expect(both.code).toBe(1);
    expect(both.stderr).toBe('--json and --format markdown ask for two outputs; give one\n');
  }, 120_000);

  it('--destroy plans the deletion of everything in state; the saved plan is applied like any other', async () => {
    const dir = scratchDir('plan-destroy');
    const specs = allKinds().slice(0, 3).map((r) => ({ ...r, props: { ...r.props, projectsId: 'plan-destroy' } }));
    writeFileSync(join(dir, 'stack.yaml'), manifestText('doomed', specs));
    const base = [dir, '--state', dir, ...api];
    const nothing = await runCli(['plan', ...base, '--destroy']);
    expect(nothing.stdout).toBe('Nothing to destroy: the state of stack "doomed" is empty.\n');
    expect((await runCli(['apply', ...base, '--auto-approve'])).code).toBe(0);
    expect((await inventory(client, 'plan-destroy', 'us-central1')).size).toBe(3);

    const planFile = join(dir, 'destroy.plan');
    const planned = await runCli(['plan', ...base, '--destroy', '--out', planFile, '--detailed-exitcode']);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain('training (google.aiplatform.tensorboards) will be destroyed (also deletes baseline, run-a)');
    expect(planned.stdout).toContain('Plan: 0 to create, 0 to update, 0 to replace, 1 to destroy.');
    expect((await inventory(client, 'plan-destroy', 'us-central1')).size).toBe(3);
    expect(JSON.parse(readFileSync(planFile, 'utf8'))).toMatchObject({ kind: 'vertexctl-plan', stack: 'doomed' });

    const applied = await runCli(['apply', planFile, '--auto-approve', '--state', dir, ...api]);
    expect(applied.code).toBe(0);
    expect((await inventory(client, 'plan-destroy', 'us-central1')).size).toBe(0);
    expect(existsSync(join(dir, 'doomed.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'doomed.json'), 'utf8')).resources).toEqual({});
  }, 180_000);
});

