import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { openState, type LockInfo } from '../src/state/index.js';
import { changesOf, finished, planNow, removeScratchDirs, scratchDir, spawnCli, until } from './apply.support.js';
import { allKinds, manifestText, testClient } from './plan-fixtures.js';

/**
 * Two applies of one stack at once: one proceeds, the other fails naming the lock holder; a
 * third waits for the lock (--lock-timeout). The holder is interrupted (SIGINT): it finishes the
 * steps in flight, records them and releases the lock; the waiting apply then completes.
 */

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

describe('state lock', () => {
  it('lets one apply in, fails another naming the holder, and hands over on SIGINT without losing state', async () => {
    const dir = scratchDir('lock');
    const specs = allKinds().map((r) => ({ ...r, props: { ...r.props, projectsId: 'locking' } }));
    writeFileSync(join(dir, 'stack.yaml'), manifestText('locking', specs));
    const args = ['apply', dir, '--auto-approve', '--state', dir, '--endpoint', emulator.url];
    const lockFile = join(dir, 'locking.lock');

    // Slow answers keep the first apply holding the lock while the others start (a loaded
    // machine takes seconds to start each CLI process).
    emulator.configure({ latencyMs: 2000 });
    const first = spawnCli(args);
    first.stdin!.end();
    const firstDone = finished(first);
    await until(() => existsSync(lockFile), 30_000, 'the first apply to take the lock');
    const holder = JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo;
    expect(holder).toMatchObject({ pid: first.pid, host: hostname(), who: userInfo().username, command: `vertexctl ${args.join(' ')}` });

    const waiter = spawnCli([...args, '--lock-timeout', '60s']);
    waiter.stdin!.end();
    const waiterDone = finished(waiter);
    const refusedChild = spawnCli(args);
    refusedChild.stdin!.end();
    const refused = await finished(refusedChild);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `state ${join(dir, 'locking.json')} is locked by ${holder.who}@${holder.host} (pid ${first.pid}, "${holder.command}", since ${holder.created}, lock id ${holder.id}); ` +
        `if that run is gone, release it with: vertexctl force-unlock ${holder.id} --stack locking --state ${dir}\n`,
    );

    // Interrupt once it has started recording steps, then let the API answer at full speed.
    await until(() => existsSync(join(dir, 'locking.json')), 30_000, 'the first apply to record a step');
    first.kill('SIGINT');
    emulator.configure({ latencyMs: 0 });
    const interrupted = await firstDone;
    expect(interrupted.code, interrupted.stdout + interrupted.stderr).toBe(1);
    expect(interrupted.stderr).toContain('SIGINT: stopping after the steps in flight (again to stop at once).');
    const stopped = /\nApply interrupted: (\d+) created, 0 updated, 0 replaced, 0 deleted; (\d+) not started\.\n/.exec(interrupted.stdout);
    expect(stopped, interrupted.stdout).not.toBeNull();
    const createdFirst = Number(stopped![1]);
    expect(createdFirst + Number(stopped![2])).toBe(specs.length);

    const completed = await waiterDone;
    // It said once that it waited, and for whom.
    expect(completed.stderr).toBe(
      `State ${join(dir, 'locking.json')} is locked by ${holder.who}@${holder.host} (pid ${first.pid}, "${holder.command}", since ${holder.created}, lock id ${holder.id}); waiting up to 60s for it (--lock-timeout).\n`,
    );
    expect(completed.code).toBe(0);
    expect(completed.stdout, interrupted.stdout).toMatch(new RegExp(`Apply complete: ${specs.length - createdFirst} created, 0 updated, 0 replaced, 0 deleted\\.\\n$`));
    const doc = (await openState(dir, 'locking').read())!;
    expect(Object.keys(doc.resources).sort()).toEqual(specs.map((s) => s.name).sort());
    expect(Object.values(doc.resources).filter((e) => e.pending)).toEqual([]);
    expect(existsSync(lockFile)).toBe(false);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });
});
