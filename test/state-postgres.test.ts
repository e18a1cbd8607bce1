import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { closeOpenBackends, openState, type StateVersion } from '../src/state/index.js';
import { startPostgres, type PostgresServer } from '../scripts/postgres-server.js';
import { changesOf, finished, planNow, removeScratchDirs, runCli, scratchDir, spawnCli } from './apply.support.js';
import { allKinds, manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * The PostgreSQL backend driven through the CLI by separate processes, as pipelines on several
 * machines would: one apply of a stack at a time, a killed holder frees its lock with its
 * database session, every serial kept once in order, and many stacks applied at once.
 */

let server: PostgresServer;
let db: pg.Client;
let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  [server, emulator] = await Promise.all([startPostgres(), startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 })]);
  client = testClient(emulator.url);
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
}, 120_000);
afterAll(async () => {
  client?.close();
  await closeOpenBackends();
  await db?.end();
  await Promise.all([emulator?.close(), server?.stop()]);
  removeScratchDirs();
});

function stackDir(name: string, project: string): { dir: string; specs: ResourceSpec[] } {
  const dir = scratchDir(name);
  const specs = allKinds().map((r) => ({ ...r, props: { ...r.props, projectsId: project } }));
  writeFileSync(join(dir, 'stack.yaml'), manifestText(name, specs));
  return { dir, specs };
}

async function lockRow(stack: string): Promise<{ lock_id: string; pid: number; command: string; who: string; host: string; created: string } | undefined> {
  const { rows } = await db.query('SELECT * FROM vertexctl.locks WHERE stack = $1', [stack]).catch(() => ({ rows: [] }));
  return rows[0];
}

async function history(stack: string, state: string): Promise<StateVersion[]> {
  const res = await runCli(['state', 'history', '--stack', stack, '--state', state, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as StateVersion[];
}

describe('PostgreSQL state through the CLI', () => {
  it('lets one apply in, fails another naming the holder, lets a third wait; history has every serial once', async () => {
    const { dir, specs } = stackDir('pg-lock', 'pg-lock');
    // The test server trusts any password: one in the URL must show up nowhere.
    const withPassword = server.url.replace('postgres@', 'postgres:hunter2@');
    const args = ['apply', dir, '--auto-approve', '--state', withPassword, '--endpoint', emulator.url];
    emulator.configure({ latencyMs: 1500 });
    try {
      // Three runs start together (a loaded machine may start any of them first): two plain
      // applies and one that waits for the lock. Whichever takes the lock holds it for many
      // slow API answers; a plain apply that did not get it fails at once naming it.
      const runs = [args, args, [...args, '--lock-timeout', '2m']].map((a) => {
        const child = spawnCli(a);
        child.stdin!.end();
        return { child, waits: a.length > args.length, done: finished(child) };
      });
      let row: Awaited<ReturnType<typeof lockRow>>;
      const deadline = Date.now() + 60_000;
      while (!(row = await lockRow('pg-lock')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const holder = runs.find((r) => r.child.pid === row?.pid);
      expect(holder, 'the lock row names one of the runs').toBeDefined();
      const command = `vertexctl ${(holder!.waits ? [...args, '--lock-timeout', '2m'] : args).join(' ')}`.replace(withPassword, server.url);
      expect(row).toMatchObject({ host: hostname(), command });

      const refusedRuns = runs.filter((r) => r !== holder && !r.waits);
      expect(refusedRuns.length).toBeGreaterThan(0);
      for (const r of refusedRuns) {
        const refused = await r.done;
        expect(refused.code, refused.stdout + refused.stderr).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toBe(
          `state ${server.url} (stack pg-lock) is locked by ${row!.who}@${row!.host} (pid ${row!.pid}, "${command}", since ${row!.created}, lock id ${row!.lock_id}); ` +
            `if that run is gone, release it with: vertexctl force-unlock ${row!.lock_id} --stack pg-lock --state ${server.url}\n`,
        );
      }
      emulator.configure({ latencyMs: 0 });
      const done = await holder!.done;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toMatch(new RegExp(`Apply complete: ${specs.length} created`));
      const waiter = runs.find((r) => r.waits)!;
      const waited = await waiter.done;
      expect(waited.code, waited.stderr).toBe(0);
      // The waiting run either held the lock itself, or got it once the holder was done.
      expect(waited.stdout).toMatch(waiter === holder ? /Apply complete/ : /No changes/);
      for (const r of runs) {
        const out = await r.done;
        expect(out.stdout + out.stderr).not.toContain('hunter2');
      }
    } finally {
      emulator.configure({ latencyMs: 0 });
    }
    expect(await lockRow('pg-lock')).toBeUndefined();
    const versions = await history('pg-lock', server.url);
    expect(versions.map((v) => v.serial)).toEqual(versions.map((_, i) => i + 1));
    expect(versions.length).toBeGreaterThan(1);
    expect(versions.at(-1)!.resources).toBe(specs.length);
    expect(versions.every((v) => v.writtenBy?.includes('"vertexctl apply'))).toBe(true);
    expect(JSON.stringify(versions)).not.toContain('hunter2');
    expect(changesOf(await planNow([dir], server.url, client))).toEqual([]);
  }, 240_000);

  it('frees the lock of a holder killed with SIGKILL, without force-unlock', async () => {
    const { dir, specs } = stackDir('pg-kill', 'pg-kill');
    const args = ['apply', dir, '--auto-approve', '--state', server.url, '--endpoint', emulator.url];
    emulator.configure({ latencyMs: 300 });
    let killed;
    try {
      const victim = spawnCli(args);
      victim.stdin!.end();
      const victimDone = finished(victim);
      // Kill it once it holds the lock and has recorded a step.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const { rows } = await db.query("SELECT serial FROM vertexctl.states WHERE stack = 'pg-kill'").catch(() => ({ rows: [] }));
        if (rows.length && (await lockRow('pg-kill'))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      victim.kill('SIGKILL');
      killed = await victimDone;
    } finally {
      emulator.configure({ latencyMs: 0 });
    }
    expect(killed.signal).toBe('SIGKILL');
    // The lock row names the dead run, but its session (and advisory lock) went with it.
    expect(await lockRow('pg-kill')).toBeDefined();
    const rerun = await runCli([...args, '--lock-timeout', '20s']);
    expect(rerun.code, rerun.stderr).toBe(0);
    // (A server slow to see the session end may make it wait a moment first, and say so.)
    expect(rerun.stderr).toMatch(/^(State .* waiting up to 20s for it \(--lock-timeout\)\.\n)?Took over the state lock of .*pid \d+.*: its database session had ended\.\n$/);
    expect(rerun.stdout).toMatch(/Apply complete/);
    expect(await lockRow('pg-kill')).toBeUndefined();
    const versions = await history('pg-kill', server.url);
    expect(versions.map((v) => v.serial)).toEqual(versions.map((_, i) => i + 1));
    const doc = (await openState(server.url, 'pg-kill').read())!;
    expect(Object.keys(doc.resources).sort()).toEqual(specs.map((s) => s.name).sort());
    expect(changesOf(await planNow([dir], server.url, client))).toEqual([]);
  }, 240_000);

  it('applies 8 stacks at once from 8 processes against one database, each with an empty plan after', async () => {
    // A schema of its own: created by the first of the eight to arrive, while the others wait.
    const state = `${server.url}?schema=fleet`;
    const stacks = Array.from({ length: 8 }, (_, i) => stackDir(`fleet-${i}`, `fleet-${i}`));
    const results = await Promise.all(stacks.map(({ dir }) => runCli(['apply', dir, '--auto-approve', '--state', state, '--endpoint', emulator.url])));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Apply complete: \d+ created/);
    }
    for (const { dir } of stacks) expect(changesOf(await planNow([dir], state, client))).toEqual([]);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM fleet.states');
    expect(rows[0].n).toBe(8);
  }, 300_000);

  it('shows and rolls back to a kept version; VERTEXCTL_STATE names the backend', async () => {
    const { dir } = stackDir('pg-roll', 'pg-roll');
    const apply = await runCli(['apply', dir, '--auto-approve', '--state', server.url, '--endpoint', emulator.url]);
    expect(apply.code, apply.stderr).toBe(0);
    const versions = await history('pg-roll', server.url);
    const latest = versions.at(-1)!;
    const first = versions[0];
    const shown = await runCli(['state', 'show', '--stack', 'pg-roll', '--state', server.url, '--version', String(first.serial)]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(Object.keys(JSON.parse(shown.stdout).resources)).toHaveLength(first.resources);
    const missing = await runCli(['state', 'show', '--stack', 'pg-roll', '--state', server.url, '--version', '999']);
    expect(missing.stderr).toBe(`no version 999 of ${server.url} (stack pg-roll): it keeps versions 1–${latest.serial}\n`);

    const rolled = await runCli(['state', 'rollback', String(first.serial), dir], { VERTEXCTL_STATE: server.url });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toContain(`back to version ${first.serial}, written as version ${latest.serial + 1}`);
    const after = await history('pg-roll', server.url);
    expect(after.map((v) => v.serial)).toEqual([...versions.map((v) => v.serial), latest.serial + 1]);
    expect(after.at(-1)!.resources).toBe(first.resources);
    const current = (await openState(server.url, 'pg-roll').read())!;
    expect(current.serial).toBe(latest.serial + 1);
    expect(current.resources).toEqual((await openState(server.url, 'pg-roll').readVersion(first.serial))!.resources);
  }, 240_000);
});
