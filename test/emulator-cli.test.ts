/** `vertexctl emulator` as users run it: prints its URL, serves, exits 0 on SIGTERM; bad flags exit 1. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) =>
  spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

describe('vertexctl emulator', () => {
  it('prints its URL, serves both APIs, keeps --data, and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vertexctl-emu-cli-'));
    try {
      const child = cli(['--port', '0', '--data', dir, '--operation-delay', '0', '--job-phase', '5', '--quiet']);
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const created = await fetch(`${line}v1/projects/p/locations/l/executions?executionId=nb1`, {
        method: 'POST',
        body: JSON.stringify({ executionTemplate: { scaleTier: 'CUSTOM', masterType: 'n1-standard-4' } }),
      });
      expect(created.status).toBe(200);
      expect((await created.json()).done).toBe(true);
      expect((await (await fetch(`${line}__emulator/stats`)).json()).requests.total).toBe(1);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(await readdir(dir)).toEqual(['emulator-state.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad fault profile with one line and exit 1', async () => {
    const child = cli(['--port', '0', '--faults', '{"seed":1,"rate429":5}']);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('--faults: faults.rate429 must be a number between 0 and 1');
  });
});
