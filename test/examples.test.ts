import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { openState } from '../src/state/index.js';
import { ROOT, inventory, removeScratchDirs, scratchDir } from './apply.support.js';
import { testClient } from './plan-fixtures.js';

/**
 * The GitHub Actions examples: the `run:` steps of each workflow are executed as written (bash,
 * the workflow's env, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY), with `vertexctl` on the PATH and
 * VERTEXCTL_ENDPOINT pointing at the emulator; the steps that `uses:` an action are what the test
 * stands in for (checkout: a copy of the repository's manifests; artifacts: files left in place).
 */

const EXAMPLES = join(ROOT, 'examples/github-actions');

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
}
interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, { env?: Record<string, string>; steps: Step[] }>;
}

interface StepResult {
  step: string;
  ran: boolean;
  code?: number;
  stdout?: string;
  stderr?: string;
}

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
  client = testClient(emulator.url);
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

function workflow(file: string): Workflow {
  return load(readFileSync(join(EXAMPLES, file), 'utf8')) as Workflow;
}

/** A `vertexctl` command on the PATH: this checkout's CLI. */
function binDir(): string {
  const dir = scratchDir('bin');
  const loader = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  writeFileSync(join(dir, 'vertexctl'), `#!/bin/sh\nexec "${process.execPath}" --import "${loader}" "${join(ROOT, 'src/cli/main.ts')}" "$@"\n`);
  chmodSync(join(dir, 'vertexctl'), 0o755);
  return dir;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Runs the workflow's job as GitHub would run its `run:` steps. `env` replaces every workflow env
 * value that GitHub fills in from an expression (`${{ vars.X }}`).
 */
async function runWorkflow(file: string, repo: string, env: Record<string, string>): Promise<StepResult[]> {
  const wf = workflow(file);
  const [job] = Object.values(wf.jobs);
  const vars: Record<string, string> = { ...wf.env, ...job.env };
  for (const [k, v] of Object.entries(vars)) {
    if (String(v).includes('${{')) {
      if (!(k in env)) throw new Error(`${file}: env ${k} comes from an expression; the test must give it`);
      vars[k] = env[k];
    }
  }
  const summary = join(repo, 'step-summary.md');
  const outputs: Record<string, Record<string, string>> = {};
  const results: StepResult[] = [];
  let failed = false;
  for (const step of job.steps) {
    const name = step.name ?? step.uses ?? '?';
    const condition = step.if;
    let wanted: boolean;
    if (condition === undefined) wanted = !failed;
    else if (condition === 'always()') wanted = true;
    else {
      const m = /^steps\.([\w-]+)\.outputs\.([\w-]+) == '([^']*)'$/.exec(condition);
      if (!m) throw new Error(`${file}: step "${name}": the test cannot evaluate if: ${condition}`);
      wanted = !failed && outputs[m[1]]?.[m[2]] === m[3];
    }
    if (!step.run || step.uses || /^Install vertexctl/.test(name) || !wanted) {
      results.push({ step: name, ran: false });
      continue;
    }
    expect(step.run, `${file}: step "${name}" must take values from env, not expressions`).not.toContain('${{');
    const outputFile = join(repo, `output-${results.length}`);
    writeFileSync(outputFile, '');
    const res = await bash(step.run, repo, {
      ...process.env,
      ...vars,
      PATH: `${binDir()}:${process.env.PATH}`,
      NO_COLOR: '1',
      VERTEXCTL_ENDPOINT: emulator.url,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summary,
    });
    if (step.id) {
      outputs[step.id] = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    }
    if (res.code !== 0) failed = true;
    results.push({ step: name, ran: true, ...res });
  }
  return results;
}

const ranStep = (results: StepResult[], name: string) => results.find((r) => r.step === name);

describe('examples/github-actions', () => {
  it('pins every action to a commit (with its version) and Node to an exact version; authenticates by workload identity federation', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'));
    expect(files.sort()).toEqual(['vertexctl-apply.yml', 'vertexctl-drift.yml', 'vertexctl-plan.yml']);
    for (const file of files) {
      const text = readFileSync(join(EXAMPLES, file), 'utf8');
      const uses = text.split('\n').filter((l) => /^\s*(- )?uses:/.test(l));
      expect(uses.length).toBeGreaterThan(2);
      for (const line of uses) expect(line, file).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      expect(text).toMatch(/node-version: \d+\.\d+\.\d+\n/);
      expect(text).toContain('uses: google-github-actions/auth@');
      expect(text).toContain('workload_identity_provider: ${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}');
      expect(text).toContain('id-token: write');
      expect(text).not.toMatch(/credentials_json|GOOGLE_APPLICATION_CREDENTIALS/);
    }
  });

  it('plan on a pull request, apply of the reviewed plan file on merge, nightly drift failing on drift: the same commands, against the emulator', async () => {
    const repo = scratchDir('gha-repo');
    cpSync(join(ROOT, 'manifests'), join(repo, 'manifests'), { recursive: true });
    const state = join(repo, 'shared-state');
    const env = { VERTEXCTL_STATE: state };

    // Pull request: validate, plan (Markdown for the comment, plan file for the artifact).
    const plan = await runWorkflow('vertexctl-plan.yml', repo, env);
    expect(ranStep(plan, 'Validate')).toMatchObject({ ran: true, code: 0 });
    expect(ranStep(plan, 'Plan')).toMatchObject({ ran: true, code: 0 });
    const md = readFileSync(join(repo, 'plan.md'), 'utf8');
    expect(md).toContain('**Plan:** 8 to create, 0 to update, 0 to replace, 0 to destroy.');
    expect(md).toContain('| 🟢 create | `training` | `google.aiplatform.tensorboards` |');
    expect(existsSync(join(repo, 'vertexctl.plan'))).toBe(true);
    expect((await inventory(client, 'demo-project', 'us-central1')).size).toBe(0);

    // Merge: the reviewed plan file (downloaded as the artifact) is applied as it is.
    const apply = await runWorkflow('vertexctl-apply.yml', repo, env);
    expect(ranStep(apply, 'Apply the reviewed plan')).toMatchObject({ ran: true, code: 0 });
    expect(ranStep(apply, 'Apply the reviewed plan')?.stdout).toContain('Apply complete: 8 created, 0 updated, 0 replaced, 0 deleted.');
    expect((await inventory(client, 'demo-project', 'us-central1')).size).toBe(8);

    // Nightly: in sync, the run passes; the summary is the Markdown report.
    let drift = await runWorkflow('vertexctl-drift.yml', repo, env);
    expect(ranStep(drift, 'Drift report')).toMatchObject({ ran: true, code: 0 });
    expect(ranStep(drift, 'Fail on drift')?.ran).toBe(false);
    expect(readFileSync(join(repo, 'step-summary.md'), 'utf8')).toContain('**No drift:** 8 resources in sync; coverage 100%.');
    expect(readFileSync(join(repo, 'drift.html'), 'utf8')).toContain('<title>vertexctl drift report</title>');

    // Someone renames the TensorBoard by hand: the report names it and the run fails.
    const board = (await openState(state, 'vision-team', 'prd').read())!.resources.training.name;
    await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${board}`, query: { updateMask: 'displayName' }, body: { displayName: 'renamed by hand' } });
    drift = await runWorkflow('vertexctl-drift.yml', repo, env);
    expect(ranStep(drift, 'Drift report')).toMatchObject({ ran: true, code: 0 });
    expect(ranStep(drift, 'Fail on drift')).toMatchObject({ ran: true, code: 1 });
    expect(readFileSync(join(repo, 'step-summary.md'), 'utf8')).toContain('**Drift detected:** 1 modified; 7 in sync; coverage 100%.');
    expect(JSON.parse(readFileSync(join(repo, 'drift.json'), 'utf8'))).toMatchObject({ drifted: true, summary: { modified: 1 } });
  }, 300_000);
});
