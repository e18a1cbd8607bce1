import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { readPlanFile } from '../src/plan/index.js';
import type { PlanJson } from '../src/plan/types.js';
import { allKinds, createDirect, manifestText, saveState, stackOf, stateFor, tempDir, testClient, withProps } from './plan-fixtures.js';

/** `vertexctl plan` run as a user runs it: a child process talking HTTP to the emulator. */

const ROOT = join(import.meta.dirname, '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function vertexctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', VERTEXCTL_ENDPOINT: '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 2, jobPhaseMs: 2 });
  client = testClient(emulator.url);
});

afterAll(async () => {
  client.close();
  await emulator.close();
});

describe('vertexctl plan', () => {
  it('--json writes only the plan JSON; --detailed-exitcode says 2 for changes, 0 for none', async () => {
    const dir = tempDir('plan-cli');
    const stateDir = join(dir, 'state');
    const specs = allKinds().map((s) => ({ ...s, props: { ...s.props, projectsId: 'cli-1' } }));
    const stack = await stackOf(dir, 'cli', specs);
    const manifest = join(dir, 'stack.yaml');

    emulator.resetStats();
    const fresh = await vertexctl(['plan', manifest, '--json', '--detailed-exitcode', '--endpoint', emulator.url, '--state', stateDir]);
    expect(fresh.stderr).toBe('');
    expect(fresh.code).toBe(2);
    const json = JSON.parse(fresh.stdout) as PlanJson;
    expect(json.formatVersion).toBe(2);
    expect(json.summary).toEqual({ create: 7, update: 0, replace: 0, delete: 0, record: 0, adopt: 0, 'no-op': 0 });
    expect(Object.keys(emulator.stats().requests.byMethod)).toEqual(['GET']);

    await saveState(stateDir, stateFor(stack, await createDirect(client, stack)));
    const same = await vertexctl(['plan', manifest, '--detailed-exitcode', '--endpoint', emulator.url, '--state', stateDir]);
    expect(same).toMatchObject({ code: 0, stderr: '' });
    expect(same.stdout).toBe('No changes. Live resources match the manifests.\n');

    // From state alone: the renamed run is an update, and the emulator hears nothing.
    await stackOf(dir, 'cli', withProps(specs, 'run-a', (p) => (p.displayName = 'renamed')));
    emulator.resetStats();
    const planFile = join(dir, 'plan.json');
    const offline = await vertexctl(['plan', manifest, '--refresh=false', '--out', planFile, '--endpoint', emulator.url, '--state', stateDir]);
    expect(offline.code).toBe(0);
    expect(emulator.stats().requests.total).toBe(0);
    expect(offline.stdout).toContain('~ run-a (google.aiplatform.runs) will be updated in-place');
    expect(offline.stdout).toContain('~ displayName: "lr=0.01" → "renamed"');
    expect(offline.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to destroy.');
    const saved = await readPlanFile(planFile);
    expect(saved).toMatchObject({ kind: 'vertexctl-plan', stack: 'cli', state: { serial: 1 }, summary: { update: 1, 'no-op': 6 } });
  });

  it('--target plans only that address and its dependencies', async () => {
    const dir = tempDir('plan-cli');
    await stackOf(dir, 'cli-target', allKinds().map((s) => ({ ...s, props: { ...s.props, projectsId: 'cli-2' } })));
    const run = await vertexctl(['plan', join(dir, 'stack.yaml'), '--json', '--target', 'loss', '--endpoint', emulator.url, '--state', join(dir, 'state')]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as PlanJson;
    expect(json.changes.map((c) => c.address).sort()).toEqual(['baseline', 'loss', 'run-a', 'training']);
  });

  it('--emulator plans against the embedded emulator, whose data lives beside the state', async () => {
    const dir = tempDir('plan-cli');
    const stateDir = join(dir, 'state');
    const stack = await stackOf(dir, 'cli-embedded', allKinds());
    // Resources an earlier `--emulator` session kept in state/emulator-data.
    const earlier = await startEmulator({ port: 0, operationDelayMs: 2, jobPhaseMs: 2, dataDir: join(stateDir, 'emulator-data') });
    const earlierClient = testClient(earlier.url);
    await saveState(stateDir, stateFor(stack, await createDirect(earlierClient, stack)));
    earlierClient.close();
    await earlier.close();

    const run = await vertexctl(['plan', join(dir, 'stack.yaml'), '--emulator', '--state', stateDir]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('No changes. Live resources match the manifests.\n');
  });

  it('fails in one clear line, exit 1, when the endpoint refuses connections', async () => {
    const port = await closedPort();
    const dir = tempDir('plan-cli');
    await stackOf(dir, 'cli-down', allKinds());
    const run = await vertexctl(['plan', join(dir, 'stack.yaml'), '--endpoint', `http://127.0.0.1:${port}`, '--state', join(dir, 'state')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^refresh failed: cannot list google\\.[a-z_.]+ in projects/p1/locations/us-central1: cannot reach http://127\\.0\\.0\\.1:${port}/: ECONNREFUSED \\(gave up after 3 attempts\\)$`));
  });

  it('without Google credentials fails in one line naming the ways to provide them', async () => {
    const dir = tempDir('plan-cli');
    await stackOf(dir, 'cli-nocreds', allKinds());
    // No ADC file, no gcloud config under HOME, and no metadata server to ask.
    const run = await vertexctl(['plan', join(dir, 'stack.yaml'), '--state', join(dir, 'state')], {
      HOME: dir,
      CLOUDSDK_CONFIG: join(dir, 'gcloud'),
      GOOGLE_APPLICATION_CREDENTIALS: '',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'no Google credentials found: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS, or use --endpoint/--emulator',
    ]);
  });

  it('reports manifest problems with file:line:col and exit 1', async () => {
    const dir = tempDir('plan-cli');
    const file = join(dir, 'stack.yaml');
    const [board] = allKinds();
    writeFileSync(file, manifestText('cli-bad', [{ ...board, props: { ...board.props, displayNmae: 'typo' } }]));
    const run = await vertexctl(['plan', file, '--endpoint', emulator.url, '--state', join(dir, 'state')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\S+stack\.yaml:\d+:\d+: .*displayNmae/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
