/**
 * Project numbers: the emulator answers aiplatform names with the project's number, as Google
 * does, and vertexctl keeps treating the number and the id the manifests use as one project:
 * state and plans keep the id, the plan after apply is empty, and a manifest that switches to the
 * number changes nothing.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { inAskedProjectSpelling, sameProject, sameResourceName } from '../src/kinds/names.js';
import { removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { allKinds, manifestText, withProps } from './plan-fixtures.js';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
});
afterAll(async () => {
  await emulator.close();
  removeScratchDirs();
});

describe('project numbers in names', () => {
  it('apply with the project id, live names carry the number, state keeps the id, and the next plan is empty', async () => {
    const project = 'numbered-proj';
    const number = emulator.projectNumber(project);
    const dir = scratchDir('numbers');
    const file = join(dir, 'stack.yaml');
    const specs = allKinds().map((r) => ({ ...r, props: { ...r.props, projectsId: project } }));
    writeFileSync(file, manifestText('numbers', specs));
    const api = ['--endpoint', emulator.url, '--state', dir];
    const applied = await runCli(['apply', dir, '--auto-approve', ...api]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);

    // What Google (the emulator) says: names under the number.
    const live = (await (await fetch(new URL(`v1/projects/${project}/locations/us-central1/tensorboards`, emulator.url))).json()) as { tensorboards: { name: string }[] };
    expect(live.tensorboards.length).toBeGreaterThan(0);
    for (const t of live.tensorboards) expect(t.name.startsWith(`projects/${number}/locations/us-central1/tensorboards/`)).toBe(true);

    // What vertexctl keeps: the spelling of the manifests.
    const stateText = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(stateText).toContain(`projects/${project}/locations/us-central1/`);
    expect(stateText).not.toContain(`projects/${number}/`);

    const again = await runCli(['plan', dir, '--detailed-exitcode', ...api]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);

    // The same project written as its number: still the same resources, nothing to do.
    writeFileSync(file, manifestText('numbers', withProps(specs, 'training', () => {}).map((r) => ({ ...r, props: { ...r.props, projectsId: number } }))));
    const byNumber = await runCli(['plan', dir, '--detailed-exitcode', ...api]);
    expect(byNumber.stderr).toBe('');
    expect(byNumber.stdout).toContain('No changes');
    expect(byNumber.code).toBe(0);
  });

  it('--project-ids-in-names keeps the old answers, and vertexctl works the same', async () => {
    const old = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10, projectIdsInNames: true });
    try {
      const dir = scratchDir('ids');
      writeFileSync(join(dir, 'stack.yaml'), manifestText('ids', allKinds().slice(0, 2).map((r) => ({ ...r, props: { ...r.props, projectsId: 'ids-proj' } }))));
      const api = ['--endpoint', old.url, '--state', dir];
      expect((await runCli(['apply', dir, '--auto-approve', ...api])).code).toBe(0);
      const live = (await (await fetch(new URL('v1/projects/ids-proj/locations/us-central1/tensorboards', old.url))).json()) as { tensorboards: { name: string }[] };
      expect(live.tensorboards[0].name).toMatch(/^projects\/ids-proj\//);
      expect((await runCli(['plan', dir, '--detailed-exitcode', ...api])).code).toBe(0);
    } finally {
      await old.close();
    }
  });
});

describe('id ≡ number (src/kinds/names.ts)', () => {
  it('answers are read in the asker’s spelling and the pair is learned', () => {
    const answer = {
      tensorboards: [{ name: 'projects/555000111222/locations/l/tensorboards/1', blobStoragePathPrefix: 'projects/555000111222/x' }],
      error: { message: 'Tensorboard projects/555000111222/locations/l/tensorboards/2 is not found.' },
    };
    inAskedProjectSpelling('v1/projects/learn-me/locations/l/tensorboards', answer);
    expect(answer.tensorboards[0].name).toBe('projects/learn-me/locations/l/tensorboards/1');
    // Only names are rewritten, and messages that name the project.
    expect(answer.tensorboards[0].blobStoragePathPrefix).toBe('projects/555000111222/x');
    expect(answer.error.message).toBe('Tensorboard projects/learn-me/locations/l/tensorboards/2 is not found.');
    expect(sameProject('learn-me', '555000111222')).toBe(true);
    expect(sameProject('learn-me', '999000111222')).toBe(false);
    expect(sameProject('other', '555000111222')).toBe(false);
    expect(sameResourceName('projects/learn-me/locations/l/tensorboards/1', 'projects/555000111222/locations/l/tensorboards/1')).toBe(true);
    expect(sameResourceName('projects/learn-me/locations/l/tensorboards/1', 'projects/555000111222/locations/l/tensorboards/2')).toBe(false);
    // A request made with the number is answered as it is.
    const asNumber = { name: 'projects/555000111222/locations/l/tensorboards/3' };
    inAskedProjectSpelling('v1/projects/555000111222/locations/l/tensorboards/3', asNumber);
    expect(asNumber.name).toBe('projects/555000111222/locations/l/tensorboards/3');
  });
});
