import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Operation } from '../src/api/client.js';
import type { DriftReport, DriftResource } from '../src/drift/index.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { openState } from '../src/state/index.js';
import { ROOT, removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { launchChromium } from './browser.support.js';
import { manifestText, testClient } from './plan-fixtures.js';

/**
 * `vertexctl drift` as a child process against the emulator of this process: after apply all in
 * sync; then changes made behind vertexctl's back are each reported, with no write call.
 */

let emulator: RunningEmulator;
let client: ApiClient;
let api: string[];

beforeAll(async () => {
  // Jobs stay queued for the whole test, unless the test ends them.
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 600_000 });
  client = testClient(emulator.url);
  api = ['--endpoint', emulator.url];
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

function writes(): number {
  const byMethod = emulator.stats().requests.byMethod;
  return Object.entries(byMethod).reduce((n, [method, count]) => (method === 'GET' ? n : n + count), 0);
}

async function drift(args: string[]): Promise<{ code: number | null; report: DriftReport; writes: number; stderr: string }> {
  emulator.resetStats();
  const res = await runCli(['drift', ...args, '--format', 'json', ...api]);
  return { code: res.code, report: JSON.parse(res.stdout || 'null') as DriftReport, writes: writes(), stderr: res.stderr };
}

const byAddress = (report: DriftReport) => new Map(report.resources.filter((r) => r.address).map((r) => [r.address!, r]));

describe('vertexctl drift on the example stack', () => {
  const dir = scratchDir('drift');
  const stackDir = join(dir, 'manifests');
  cpSync(join(ROOT, 'manifests'), stackDir, { recursive: true });
  const state = join(dir, 'state');
  const args = [stackDir, '--state', state, '--var', 'project=drift-e2e'];
  const location = 'projects/drift-e2e/locations/us-central1';
  let unmanagedName = '';
  const htmlReport = join(dir, 'drift.html');

  it('after apply: every address in sync, exit 0, coverage 100, no write call', async () => {
    const applied = await runCli(['apply', ...args, '--auto-approve', ...api]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const { code, report, writes, stderr } = await drift(args);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(writes).toBe(0);
    expect(report.drifted).toBe(false);
    expect(report.resources.map((r) => [r.address, r.status]).sort()).toEqual(
      ['loss', 'baseline', 'nightly-eval', 'run-lr-0-01', 'run-lr-0-1', 'trainer', 'training', 'weekly-report'].sort().map((a) => [a, 'in-sync']),
    );
    expect(report.summary).toEqual({ 'in-sync': 8, modified: 0, missing: 0, failed: 0, unmanaged: 0, coverage: 100 });
  }, 180_000);

  it('reports a patched displayName, a deleted run, an ended job and an unlabelled TensorBoard, exit 2, no write call', async () => {
    const doc = (await openState(state, 'vision-team').read())!;
    const board = doc.resources.training.name;
    await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${board}`, query: { updateMask: 'displayName' }, body: { displayName: 'renamed by hand' } });
    const op = await client.request<Operation>({ api: 'aiplatform', method: 'DELETE', path: `v1/${doc.resources['run-lr-0-1'].name}` });
    await client.waitOperation('aiplatform', op);
    // The custom job is cancelled (it ends CANCELLED at once); the notebook execution job fails.
    emulator.configure({ jobPhaseMs: 1 });
    await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${doc.resources.trainer.name}:cancel`, body: {} });
    const created = await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${location}/tensorboards`, body: { displayName: 'made by hand' } });
    unmanagedName = String((await client.waitOperation('aiplatform', created)).response!.name);

    const { code, report, writes } = await drift(args);
    expect(code).toBe(2);
    expect(writes).toBe(0);
    expect(report.drifted).toBe(true);
    const got = byAddress(report);
    expect(got.get('training')).toMatchObject({
      status: 'modified',
      name: board,
      fields: [{ path: 'displayName', expected: 'vision-training', actual: 'renamed by hand' }],
    });
    expect(got.get('run-lr-0-1')).toMatchObject({ status: 'missing', name: doc.resources['run-lr-0-1'].name });
    expect(got.get('trainer')).toMatchObject({ status: 'failed', reason: expect.stringContaining('JOB_STATE_CANCELLED') });
    for (const a of ['baseline', 'run-lr-0-01', 'loss', 'nightly-eval', 'weekly-report']) expect(got.get(a)?.status).toBe('in-sync');
    const unmanaged = report.resources.filter((r) => r.status === 'unmanaged');
    expect(unmanaged).toEqual([{ address: null, type: 'google.aiplatform.tensorboards', name: unmanagedName, status: 'unmanaged', stack: null }]);
    expect(report.summary).toEqual({ 'in-sync': 5, modified: 1, missing: 1, failed: 1, unmanaged: 1, coverage: 87.5 });

    // One run writes the page and the Markdown summary a nightly pipeline keeps.
    const files = await runCli(['drift', ...args, '--output', htmlReport, '--output', join(dir, 'drift.md'), ...api]);
    expect(files.code).toBe(2);
    expect(files.stdout).toBe(`Drift: 1 modified, 1 missing, 1 failed, 1 unmanaged; 5 in sync; coverage 87.5%.\nWrote the report to ${htmlReport}, ${join(dir, 'drift.md')}.\n`);
    const md = readFileSync(join(dir, 'drift.md'), 'utf8');
    expect(md).toContain('**Drift detected:** 1 modified, 1 missing, 1 failed, 1 unmanaged; 5 in sync; coverage 87.5%.');
    expect(md).toContain('- displayName: "renamed by hand"\n+ displayName: "vision-training"');

    const text = await runCli(['drift', ...args, ...api]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('~ training (google.aiplatform.tensorboards) has drifted');
    expect(text.stdout).toContain('    displayName: "renamed by hand" → "vision-training" (manifest)');
    expect(text.stdout).toContain(`? ${unmanagedName} (google.aiplatform.tensorboards) is not managed by any stack`);
    expect(text.stdout.trimEnd().split('\n').pop()).toBe('Drift: 1 modified, 1 missing, 1 failed, 1 unmanaged; 5 in sync; coverage 87.5%.');
  }, 180_000);

  it('the HTML report renders in headless Chromium: counts, filter by status, search, no console errors', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file://')) problems.push(`request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(htmlReport).href);
      expect(await page.locator('h1').textContent()).toBe('vertexctl drift report');
      expect(await page.locator('.card.modified .n').textContent()).toBe('1');
      expect(await page.locator('.card.unmanaged .n').textContent()).toBe('1');
      const rows = page.locator('#report tbody tr[data-status]');
      expect(await rows.count()).toBe(9);
      const visible = async () => (await rows.evaluateAll((trs) => trs.filter((tr) => !(tr as HTMLElement).hidden).map((tr) => tr.getAttribute('data-status')))).sort();
      expect(await page.locator('#shown').textContent()).toBe('9 of 9 shown');

      await page.locator('button.card.modified').click();
      expect(await visible()).toEqual(['modified']);
      expect(await page.locator('tr.modified del').textContent()).toBe('"renamed by hand"');
      expect(await page.locator('tr.modified ins').textContent()).toBe('"vision-training"');
      await page.locator('input[name=status][value=missing]').check();
      expect(await visible()).toEqual(['missing', 'modified']);
      expect(await page.locator('#shown').textContent()).toBe('2 of 9 shown');

      await page.locator('button.card[data-only=all]').click();
      await page.locator('#search').fill('lr-0-1');
      // lr-0-1 and lr-0-01's time series path do not match; the run and the missing one do.
      expect((await visible()).length).toBeGreaterThan(0);
      for (const status of await visible()) expect(['missing', 'in-sync']).toContain(status);
      await page.locator('#search').fill('');
      expect(await visible()).toHaveLength(9);

      mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: join(ROOT, 'test/artifacts/drift-report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.controls').isVisible()).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);

  it('after apply nothing is modified or missing; the unmanaged TensorBoard stays listed until ignored', async () => {
    const applied = await runCli(['apply', ...args, '--auto-approve', ...api]);
    expect(applied.code).toBe(0);
    let { code, report } = await drift(args);
    expect(code).toBe(2);
    expect(report.summary).toMatchObject({ modified: 0, missing: 0, failed: 1, unmanaged: 1 });
    expect(report.resources.find((r) => r.status === 'unmanaged')?.name).toBe(unmanagedName);

    writeFileSync(join(stackDir, '.vertexctlignore'), `# made by hand, kept on purpose\n${unmanagedName}\n`);
    ({ code, report } = await drift(args));
    expect(code).toBe(2);
    expect(report.summary).toMatchObject({ 'in-sync': 7, failed: 1, unmanaged: 0, coverage: 100 });

    // The failed job is left as it ended (apply never resubmits it): ignoring its address ends the drift.
    writeFileSync(join(stackDir, '.vertexctlignore'), `${unmanagedName}\ntrainer\n`);
    ({ code, report } = await drift(args));
    expect(code).toBe(0);
    expect(report.drifted).toBe(false);
    expect(report.resources.map((r) => r.address)).not.toContain('trainer');
  }, 180_000);
});

describe('vertexctl drift', () => {
  it('a job that ended FAILED is failed, with its error; an ignored field is not drift', async () => {
    const dir = scratchDir('drift-failed');
    const where = { projectsId: 'drift-failed', locationsId: 'us-central1' };
    writeFileSync(
      join(dir, 'stack.yaml'),
      manifestText('failing', [
        { name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'board', description: 'first' } },
        {
          name: 'eval',
          type: 'google.aiplatform.notebook_execution_jobs',
          props: {
            ...where,
            notebookExecutionJobsId: 'eval',
            displayName: 'doomed eval',
            gcsNotebookSource: { uri: 'gs://b/eval.ipynb' },
            gcsOutputUri: 'gs://b/out-token-s3cr3t',
            customEnvironmentSpec: { machineSpec: { machineType: 'n1-standard-4' } },
          },
          sensitive: ['gcsOutputUri'],
        },
      ]),
    );
    const name = 'projects/drift-failed/locations/us-central1/notebookExecutionJobs/eval';
    emulator.failJobs({ name, message: 'notebook cell 3 raised ZeroDivisionError writing to gs://b/out-token-s3cr3t' });
    emulator.configure({ jobPhaseMs: 1 });
    const args = [dir, '--state', dir];
    expect((await runCli(['apply', ...args, '--auto-approve', ...api])).code).toBe(0);
    const job = await client.request<Record<string, unknown>>({ api: 'aiplatform', method: 'GET', path: `v1/${name}` });
    expect(job.jobState).toBe('JOB_STATE_FAILED');
    const doc = (await openState(dir, 'failing').read())!;
    await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${doc.resources.board.name}`, query: { updateMask: 'description' }, body: { description: 'changed' } });

    let { code, report } = await drift(args);
    expect(code).toBe(2);
    const got = byAddress(report);
    expect(got.get('eval')).toMatchObject<Partial<DriftResource>>({
      status: 'failed',
      name,
      reason: 'JOB_STATE_FAILED: notebook cell 3 raised ZeroDivisionError writing to (sensitive)',
    });
    // The report files do not pass through the terminal: the secret the job's error quotes is masked in each.
    const files = ['md', 'html', 'json'].map((ext) => join(dir, `report.${ext}`));
    expect((await runCli(['drift', ...args, ...files.flatMap((f) => ['--output', f]), ...api])).code).toBe(2);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text).toContain('ZeroDivisionError');
      expect(text).not.toContain('s3cr3t');
    }
    expect(got.get('board')).toMatchObject({ status: 'modified', fields: [{ path: 'description', expected: 'first', actual: 'changed' }] });

    writeFileSync(join(dir, 'ignore'), 'board:description\n');
    ({ code, report } = await drift([...args, '--ignore-file', join(dir, 'ignore')]));
    expect(byAddress(report).get('board')?.status).toBe('in-sync');
  }, 180_000);

  it('several stack directories give one report; each directory\'s ignore file covers its stack; a bad ignore line is named with file:line:col', async () => {
    const root = scratchDir('drift-multi');
    const dirs = ['one', 'two'].map((n) => join(root, n));
    for (const [i, d] of dirs.entries()) {
      mkdirSync(d);
      writeFileSync(
        join(d, 'stack.yaml'),
        manifestText(`stack-${i}`, [{ name: 'board', type: 'google.aiplatform.tensorboards', props: { projectsId: 'drift-multi', locationsId: 'us-central1', displayName: `board ${i}` } }]),
      );
    }
    const state = join(root, 'state');
    for (const d of dirs) expect((await runCli(['apply', d, '--state', state, '--auto-approve', ...api])).code).toBe(0);
    const { code, report } = await drift([...dirs, '--state', state]);
    expect(code).toBe(0);
    expect(report.resources.map((r) => [r.stack, r.address, r.status])).toEqual([
      ['stack-0', 'board', 'in-sync'],
      ['stack-1', 'board', 'in-sync'],
    ]);

    // Alone, one stack does not call the other's board unmanaged: it carries that stack's ownership labels.
    const alone = await drift([dirs[0], '--state', state]);
    expect(alone.code).toBe(0);
    expect(alone.report.summary).toMatchObject({ 'in-sync': 1, unmanaged: 0, coverage: 100 });

    // Both boards renamed by hand: a stack directory's ignore file covers its own stack only.
    for (const [i] of dirs.entries()) {
      const name = (await openState(state, `stack-${i}`).read())!.resources.board.name;
      await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${name}`, query: { updateMask: 'displayName' }, body: { displayName: 'by hand' } });
    }
    writeFileSync(join(dirs[0], '.vertexctlignore'), 'board:displayName\n');
    let ignored = await drift([...dirs, '--state', state]);
    expect(ignored.code).toBe(2);
    expect(ignored.report.resources.map((r) => [r.stack, r.status])).toEqual([
      ['stack-0', 'in-sync'],
      ['stack-1', 'modified'],
    ]);
    // stack/address names one stack's address from anywhere (as the text report writes it).
    writeFileSync(join(root, 'ignore'), 'stack-1/board\n');
    ignored = await drift([...dirs, '--state', state, '--ignore-file', join(root, 'ignore')]);
    expect(ignored.code).toBe(0);
    expect(ignored.report.resources.map((r) => [r.stack, r.status])).toEqual([['stack-0', 'in-sync']]);

    const unwritable = await runCli(['drift', ...dirs, '--state', state, '--output', join(root, 'no', 'such', 'r.html'), ...api]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toBe(`--output ${join(root, 'no', 'such', 'r.html')}: cannot write the report: no such directory\n`);

    writeFileSync(join(dirs[0], '.vertexctlignore'), 'board\n  :displayName\n');
    const bad = await runCli(['drift', ...dirs, '--state', state, ...api]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`${join(dirs[0], '.vertexctlignore')}:2:3: ":displayName": nothing before ":" (write "*:displayName" for every resource)\n`);
  }, 180_000);
});
