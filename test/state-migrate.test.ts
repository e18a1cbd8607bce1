import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { closeOpenBackends, newStateDoc, openState, type StateVersion } from '../src/state/index.js';
import { startPostgres, type PostgresServer } from '../scripts/postgres-server.js';
import { changesOf, planNow, removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { allKinds, manifestText, testClient, withProps } from './plan-fixtures.js';

/**
 * `state migrate` moves a stack's state local → PostgreSQL → Cloud Storage → local through the
 * CLI, with applies in between on the Cloud Storage backend (served by the emulator, which also
 * serves the Vertex AI calls), and the plan at the end has no changes.
 */

let server: PostgresServer;
let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  [server, emulator] = await Promise.all([startPostgres(), startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 })]);
  client = testClient(emulator.url);
}, 120_000);
afterAll(async () => {
  client?.close();
  await closeOpenBackends();
  await Promise.all([emulator?.close(), server?.stop()]);
  removeScratchDirs();
});

describe('state migrate', () => {
  it('moves the state local → PostgreSQL → Cloud Storage → local, and the plan stays empty', async () => {
    const dir = scratchDir('migrate');
    const local = scratchDir('migrate-state');
    const gcs = 'gs://team-state/vertexctl/prod';
    const specs = allKinds().map((r) => ({ ...r, props: { ...r.props, projectsId: 'migrating' } }));
    writeFileSync(join(dir, 'stack.yaml'), manifestText('migrating', specs));
    const cli = (args: string[]) => runCli([...args, '--endpoint', emulator.url]);

    const applied = await cli(['apply', dir, '--auto-approve', '--state', local]);
    expect(applied.code, applied.stderr).toBe(0);
    const original = (await openState(local, 'migrating').read())!;

    const toPg = await cli(['state', 'migrate', dir, '--state', local, '--to', server.url]);
    expect(toPg.code, toPg.stderr).toBe(0);
    expect(toPg.stdout).toBe(
      `Copied the state of stack migrating, serial ${original.serial}, ${specs.length} resources from ${join(local, 'migrating.json')} to ${server.url} (stack migrating).\n` +
        `Use --state ${server.url} (or VERTEXCTL_STATE) from now on; the source was left as it was.\n`,
    );
    expect(await openState(server.url, 'migrating').read()).toEqual(original);

    const toGcs = await cli(['state', 'migrate', dir, '--state', server.url, '--to', gcs]);
    expect(toGcs.code, toGcs.stderr).toBe(0);
    expect(toGcs.stdout).toContain(`to ${gcs}/migrating.json.`);
    expect(await openState(gcs, 'migrating', undefined, { storage: { endpoint: emulator.url } }).read()).toEqual(original);

    // Work goes on in Cloud Storage: a change applied there moves its serial past the copies'.
    writeFileSync(join(dir, 'stack.yaml'), manifestText('migrating', withProps(specs, 'run-a', (p) => (p.displayName = 'lr=0.02'))));
    const changed = await cli(['apply', dir, '--auto-approve', '--state', gcs]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/Apply complete: 0 created, 1 updated/);
    const history = JSON.parse((await cli(['state', 'history', dir, '--state', gcs, '--json'])).stdout) as StateVersion[];
    expect(history[0].serial).toBe(original.serial);
    expect(history.map((v) => v.serial)).toEqual(history.map((_, i) => original.serial + i));
    expect(history.at(-1)!.writtenBy).toMatch(/^.+@.+ "vertexctl apply /);

    // PostgreSQL still holds the older copy: migrating back there would be refused the other way.
    const backwards = await cli(['state', 'migrate', dir, '--state', server.url, '--to', gcs]);
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toMatch(/holds a newer version of this state \(serial \d+, the source has \d+\); migrate from there instead\n$/);

    const home = await cli(['state', 'migrate', dir, '--state', gcs, '--to', local]);
    expect(home.code, home.stderr).toBe(0);
    expect(home.stdout).toMatch(/^Copied the state of stack migrating/);
    const again = await cli(['state', 'migrate', dir, '--state', gcs, '--to', local]);
    expect(again.stdout).toMatch(/holds this state already .*; nothing was written\.\n/);

    expect(changesOf(await planNow([dir], local, client))).toEqual([]);
    const plan = await cli(['plan', dir, '--state', local, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 300_000);

  it('refuses to overwrite another state of the stack, and a state that is not there', async () => {
    const dir = scratchDir('migrate-other');
    const local = scratchDir('migrate-other-state');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('other', allKinds().slice(0, 1)));
    const target = `${server.url}?schema=elsewhere`;
    const foreign = newStateDoc('other');
    foreign.serial = 4;
    await openState(target, 'other').write(foreign);
    const mine = newStateDoc('other');
    mine.serial = 2;
    await openState(local, 'other').write(mine);
    const refused = await runCli(['state', 'migrate', dir, '--state', local, '--to', target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `${server.url}?schema=elsewhere (stack other) already holds another state of stack other (lineage ${foreign.lineage}, not ${mine.lineage}); nothing was copied\n`,
    );
    const nothing = await runCli(['state', 'migrate', '--stack', 'absent', '--state', local, '--to', target]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toBe(`no state to migrate at ${join(local, 'absent.json')}\n`);
  }, 120_000);
});
