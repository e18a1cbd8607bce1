import { startPostgres, type PostgresServer } from '../scripts/postgres-server.js';
import { scratchDir } from './apply.support.js';

/** A place for state that tests can start, point `--state` at, and stop. */
export interface StateTarget {
  name: string;
  start(): Promise<void>;
  /** The `--state` value. */
  spec(): string;
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
    async stop() {
      await server?.stop();
    },
  };
}

export function stateTargets(): StateTarget[] {
  return [localTarget(), postgresTarget()];
}
