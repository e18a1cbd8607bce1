import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import type { OpenStateOptions } from '../src/state/index.js';
import { startPostgres, type PostgresServer } from '../scripts/postgres-server.js';
import { scratchDir } from './apply.support.js';

/** A place for state that tests can start, point `--state` at, and stop. */
export interface StateTarget {
  name: string;
  start(): Promise<void>;
  /** The `--state` value. */
  spec(): string;
  /** What openState needs besides it (where Cloud Storage is). */
  options(): OpenStateOptions;
  /** The CLI flags that go with it (`--endpoint` for Cloud Storage on the emulator). */
  cliArgs(): string[];
  stop(): Promise<void>;
}

export function localTarget(): StateTarget {
  let dir = '';
  return {
    name: 'local',
    async start() {
      dir = scratchDir('state');
    },
    spec: () => dir,
    options: () => ({}),
    cliArgs: () => [],
    async stop() {},
  };
}

/** A real PostgreSQL server of its own (scripts/postgres-server.ts), with a schema per target. */
export function postgresTarget(schema = 'vertexctl'): StateTarget {
  let server: PostgresServer | undefined;
  return {
    name: 'PostgreSQL',
    async start() {
      server = await startPostgres();
    },
    spec: () => `${server!.url}${schema === 'vertexctl' ? '' : `?schema=${schema}`}`,
    options: () => ({}),
    cliArgs: () => [],
    async stop() {
      await server?.stop();
    },
  };
}

/** Cloud Storage served by an emulator of its own (its JSON API part), bucket and prefix as teams use them. */
export function gcsTarget(prefix = 'teams/vision'): StateTarget {
  let emulator: RunningEmulator | undefined;
  return {
    name: 'Cloud Storage',
    async start() {
      emulator = await startEmulator({ port: 0, dataDir: scratchDir('gcs') });
    },
    spec: () => `gs://vertexctl-state/${prefix}`,
    options: () => ({ storage: { endpoint: emulator!.url } }),
    cliArgs: () => ['--endpoint', emulator!.url],
    async stop() {
      await emulator?.close();
    },
  };
}

export function stateTargets(): StateTarget[] {
  return [localTarget(), postgresTarget(), gcsTarget()];
}
