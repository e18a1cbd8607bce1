import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/core/project-root.js';

const run = promisify(execFile);
const DEPCRUISE = join(PROJECT_ROOT, 'node_modules', '.bin', 'depcruise');

/**
 * `npm test` runs dependency-cruiser over src/ with .dependency-cruiser.cjs. These tests run the
 * same command over a copy of src/ with one import added, to show a wrong-way import fails it.
 */
describe('one-way layers (dependency-cruiser)', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'vertexctl-layers-'));
    cpSync(join(PROJECT_ROOT, 'src'), join(copy, 'src'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'tsconfig.json'), join(copy, 'tsconfig.json'));
    cpSync(join(PROJECT_ROOT, '.dependency-cruiser.cjs'), join(copy, '.dependency-cruiser.cjs'));
    cpSync(join(PROJECT_ROOT, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  async function cruise(paths: string[]): Promise<{ code: number; out: string }> {
    try {
      const { stdout } = await run(DEPCRUISE, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: copy });
      return { code: 0, out: stdout };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, out: err.stdout + err.stderr };
    }
  }

  const wrongWay: [string, string, string][] = [
    ['core imports cli', 'src/core/wrong.ts', "import { runApply } from '../cli/run-apply.js';"],
    ['kinds import api', 'src/kinds/wrong.ts', "import { ApiClient } from '../api/client.js';"],
    ['schema imports manifest', 'src/schema/wrong.ts', "import { loadStack } from '../manifest/index.js';"],
    ['plan imports apply', 'src/plan/wrong.ts', "import { executePlan } from '../apply/index.js';"],
    ['apply imports the emulator', 'src/apply/wrong.ts', "import { startEmulator } from '../emulator/index.js';"],
    ['cli imports a folder outside every layer', 'src/cli/wrong.ts', "import { x } from '../nowhere/x.js';"],
  ];

  it('fails on each wrong-way import, naming the importing file', async () => {
    mkdirSync(join(copy, 'src', 'nowhere'));
    writeFileSync(join(copy, 'src', 'nowhere', 'x.ts'), 'export const x = 1;\n');
    for (const [, file, line] of wrongWay) {
      writeFileSync(join(copy, file), `${line}\nexport const used = [${line.match(/\{ (\w+) \}/)![1]}];\n`);
    }
    const { code, out } = await cruise(wrongWay.map(([, file]) => file));
    expect(code).not.toBe(0);
    for (const [what, file] of wrongWay) expect(out, what).toMatch(new RegExp(`error [\\w-]+: ${file} →`));
    expect(out).toContain(`${wrongWay.length} dependency violations`);
  });

  it('passes on the same copy without them', async () => {
    for (const [, file] of wrongWay) rmSync(join(copy, file), { force: true });
    const { code, out } = await cruise(['src']);
    expect(out).toContain('no dependency violations');
    expect(code).toBe(0);
  });
});
