import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { checkStateDoc, checkStateOwner } from './doc.js';
import { LockError, describeHolder, waitingNotice } from './lock.js';
import { checkSchemaName, migrate } from './postgres-schema.js';
import { StateConflictError, checkWrite } from './serial.js';
import type { LockInfo, StateBackend, StateDoc, StateVersion, WriteOptions } from './types.js';

const LOCK_POLL_MS = 200;
const DEFAULT_SCHEMA = 'vertexctl';

export interface PostgresBackendOptions {
  notice?: (line: string) => void;
}

/** A `postgres://user[:password]@host[:port]/db[?schema=…]` URL split into what pg takes and our schema. */
export function parsePostgresUrl(spec: string): { connectionString: string; schema: string; display: string } {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new Error(`"${redactUrl(spec)}" is not a PostgreSQL URL (postgres://user@host:port/database[?schema=name])`);
  }
  const schema = url.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  url.searchParams.delete('schema');
  const display = new URL(url.href);
  if (display.password) display.password = '';
  if (schema !== DEFAULT_SCHEMA) display.searchParams.set('schema', schema);
  return { connectionString: url.href, schema, display: display.href };
}

function redactUrl(spec: string): string {
  return spec.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1@');
}

interface LockRow {
  lock_id: string;
  who: string;
  host: string;
  pid: number;
  command: string;
  created: string;
  backend_pid: number;
}

const rowToInfo = (r: LockRow): LockInfo => ({ id: r.lock_id, who: r.who, host: r.host, pid: r.pid, command: r.command, created: r.created });

/**
 * State in PostgreSQL (tables created on first use, see postgres-schema.ts). Every version is a
 * row of `state_versions`; `states` holds the current serial of each stack and environment.
 *
 * The lock is a session advisory lock held by this backend's connection, plus a row in `locks`
 * naming the holder: a holder that dies (kill -9, lost machine) loses its connection and with it
 * the lock, so nobody waits on it; a live one is named to whoever waits. Writes go over the same
 * connection, so a run whose lock was force-unlocked (its session ended) cannot write any more.
 */
export class PostgresStateBackend implements StateBackend {
  readonly location: string;
  readonly keepsHistory = true;
  private readonly connectionString: string;
  private readonly schema: string;
  private readonly env: string;
  private readonly lockKey: string;
  private session: Promise<{ client: pg.Client; backendPid: number }> | undefined;
  private lost: Error | undefined;
  private held: LockInfo | undefined;
  /** One statement sequence at a time on the session: transactions must not interleave. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    spec: string,
    private readonly stack: string,
    env: string | undefined,
    private readonly opts: PostgresBackendOptions = {},
  ) {
    const { connectionString, schema, display } = parsePostgresUrl(spec);
    this.connectionString = connectionString;
    checkSchemaName(schema);
    this.schema = schema;
    this.env = env ?? '';
    this.location = `${display} (stack ${stack}${env ? `, env ${env}` : ''})`;
    this.lockKey = `vertexctl:${schema}:${JSON.stringify([stack, this.env])}`;
  }

  private get t(): string {
    return `"${this.schema}"`;
  }

  async read(): Promise<StateDoc | null> {
    return this.exclusive(async (c) => {
      const { rows } = await c.query<{ doc: unknown }>(
        `SELECT v.doc FROM ${this.t}.states s JOIN ${this.t}.state_versions v USING (stack, env, serial) WHERE s.stack = $1 AND s.env = $2`,
        [this.stack, this.env],
      );
      // The row is keyed by stack and environment; the document must say the same (a copied or hand-made row may not).
      return rows.length ? checkStateOwner(checkStateDoc(rows[0].doc, this.location), this.stack, this.env || undefined, this.location) : null;
    });
  }

  async write(doc: StateDoc, opts?: WriteOptions): Promise<void> {
    await this.exclusive(async (c, backendPid) => {
      await c.query('BEGIN');
      try {
        await this.refuseForeignLock(c, backendPid);
        const { rows } = await c.query<{ serial: string; lineage: string }>(
          `SELECT serial, lineage FROM ${this.t}.states WHERE stack = $1 AND env = $2 FOR UPDATE`,
          [this.stack, this.env],
        );
        const stored = rows[0] && { serial: Number(rows[0].serial), lineage: rows[0].lineage };
        checkWrite(stored ?? null, doc, this.location, opts);
        const head = stored
          ? await c.query(`UPDATE ${this.t}.states SET serial = $3, updated_at = now() WHERE stack = $1 AND env = $2`, [this.stack, this.env, doc.serial])
          : await c.query(`INSERT INTO ${this.t}.states (stack, env, lineage, serial) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
              this.stack,
              this.env,
              doc.lineage,
              doc.serial,
            ]);
        if (head.rowCount !== 1) throw new StateConflictError(`${this.location}: refused to write serial ${doc.serial}: another run created this state meanwhile; run plan again`);
        const writtenBy = this.held ? `${this.held.who}@${this.held.host} "${this.held.command}"` : null;
        await c.query(
          `INSERT INTO ${this.t}.state_versions (stack, env, serial, lineage, doc, written_by) VALUES ($1, $2, $3, $4, $5::json, $6)`,
          [this.stack, this.env, doc.serial, doc.lineage, JSON.stringify(doc), writtenBy],
        );
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        if ((err as { code?: string }).code === '23505') {
          throw new StateConflictError(`${this.location}: refused to write serial ${doc.serial}: another run wrote that serial meanwhile; run plan again`);
        }
        throw err;
      }
    });
  }

  async lock(info: Omit<LockInfo, 'id'>, timeoutMs: number): Promise<LockInfo> {
    const mine: LockInfo = { id: randomUUID(), ...info };
    const deadline = Date.now() + timeoutMs;
    const unnamedUntil = Date.now() + 2000;
    let waiting = false;
    for (;;) {
      const outcome = await this.exclusive(async (c, backendPid) => {
        const got = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [this.lockKey]);
        const { rows } = await c.query<LockRow>(`SELECT * FROM ${this.t}.locks WHERE stack = $1 AND env = $2`, [this.stack, this.env]);
        if (!got.rows[0].ok) return { acquired: false, holder: rows[0] as LockRow | undefined };
        if (rows[0]) {
          this.opts.notice?.(`Took over the state lock of ${describeHolder(rowToInfo(rows[0]))}: its database session had ended.`);
        }
        await c.query(
          `INSERT INTO ${this.t}.locks (stack, env, lock_id, who, host, pid, command, created, backend_pid)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (stack, env) DO UPDATE SET lock_id = $3, who = $4, host = $5, pid = $6, command = $7, created = $8, backend_pid = $9`,
          [this.stack, this.env, mine.id, mine.who, mine.host, mine.pid, mine.command, mine.created, backendPid],
        );
        return { acquired: true, holder: undefined };
      });
      if (outcome.acquired) {
        this.held = mine;
        return mine;
      }
      if (!outcome.holder && Date.now() < unnamedUntil) {
        // The holder took the advisory lock and is about to write its row: ask again shortly.
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (Date.now() >= deadline) {
        if (!outcome.holder) throw new LockError(`state ${this.location} is locked by a database session that did not name itself; try again`);
        const waited = timeoutMs > 0 ? ` after waiting ${Math.round(timeoutMs / 1000)}s` : '';
        const holder = rowToInfo(outcome.holder);
        throw new LockError(
          `state ${this.location} is locked by ${describeHolder(holder)}${waited}; ` +
            `if that run is gone, release it with: vertexctl force-unlock ${holder.id}`,
          holder,
        );
      }
      if (!waiting && outcome.holder) {
        waiting = true;
        this.opts.notice?.(waitingNotice(this.location, rowToInfo(outcome.holder), timeoutMs));
      }
      await new Promise((r) => setTimeout(r, Math.min(LOCK_POLL_MS, Math.max(1, deadline - Date.now()))));
    }
  }

  async unlock(lockId: string): Promise<void> {
    await this.exclusive(async (c) => {
      const { rows } = await c.query<LockRow>(`SELECT * FROM ${this.t}.locks WHERE stack = $1 AND env = $2`, [this.stack, this.env]);
      if (rows[0] && rows[0].lock_id !== lockId) {
        throw new LockError(`state lock is held by ${describeHolder(rowToInfo(rows[0]))}, not by lock ${lockId}`, rowToInfo(rows[0]));
      }
      await c.query(`DELETE FROM ${this.t}.locks WHERE stack = $1 AND env = $2 AND lock_id = $3`, [this.stack, this.env, lockId]);
      if (this.held?.id === lockId) {
        await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.lockKey]);
        this.held = undefined;
      }
    });
  }

  /**
   * Releases a lock by its id: the holder's database session is ended (which frees its advisory
   * lock and stops it writing), then the holder row is removed.
   */
  async forceUnlock(lockId: string): Promise<void> {
    await this.exclusive(async (c) => {
      const { rows } = await c.query<LockRow>(`SELECT * FROM ${this.t}.locks WHERE stack = $1 AND env = $2`, [this.stack, this.env]);
      const row = rows[0];
      if (!row) throw new LockError(`state ${this.location} is not locked`);
      if (row.lock_id !== lockId) {
        throw new LockError(`lock id ${lockId} does not match the current lock: ${describeHolder(rowToInfo(row))}`, rowToInfo(row));
      }
      if (await sessionAlive(c, row.backend_pid)) {
        const ended = await c.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [row.backend_pid]).catch((err: Error) => {
          throw new Error(
            `${this.location}: cannot end the database session (pid ${row.backend_pid}) that holds lock ${lockId}: ${err.message}; ` +
              `a database administrator can: SELECT pg_terminate_backend(${row.backend_pid})`,
          );
        });
        if (!ended.rows[0].ok) throw new Error(`${this.location}: the database session (pid ${row.backend_pid}) holding lock ${lockId} did not end`);
      }
      await c.query(`DELETE FROM ${this.t}.locks WHERE stack = $1 AND env = $2 AND lock_id = $3`, [this.stack, this.env, lockId]);
    });
  }

  async history(): Promise<StateVersion[]> {
    return this.exclusive(async (c) => {
      const { rows } = await c.query<{ serial: string; lineage: string; written_at: Date; written_by: string | null; resources: string }>(
        `SELECT serial, lineage, written_at, written_by,
                (SELECT count(*) FROM json_object_keys(doc->'resources')) AS resources
         FROM ${this.t}.state_versions WHERE stack = $1 AND env = $2 ORDER BY serial`,
        [this.stack, this.env],
      );
      return rows.map((r) => ({
        serial: Number(r.serial),
        lineage: r.lineage,
        writtenAt: r.written_at.toISOString(),
        ...(r.written_by && { writtenBy: r.written_by }),
        resources: Number(r.resources),
      }));
    });
  }

  async readVersion(serial: number): Promise<StateDoc | null> {
    return this.exclusive(async (c) => {
      const { rows } = await c.query<{ doc: unknown }>(
        `SELECT doc FROM ${this.t}.state_versions WHERE stack = $1 AND env = $2 AND serial = $3`,
        [this.stack, this.env, serial],
      );
      return rows.length ? checkStateDoc(rows[0].doc, `${this.location} version ${serial}`) : null;
    });
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.held = undefined;
    if (!session) return;
    const { client } = await session.catch(() => ({ client: undefined }));
    await client?.end().catch(() => undefined);
  }

  /** A write is refused while another live session holds the lock (a writer that never locked). */
  private async refuseForeignLock(c: pg.Client, backendPid: number): Promise<void> {
    const { rows } = await c.query<LockRow>(`SELECT * FROM ${this.t}.locks WHERE stack = $1 AND env = $2`, [this.stack, this.env]);
    const row = rows[0];
    if (row && row.backend_pid !== backendPid && (await sessionAlive(c, row.backend_pid))) {
      throw new LockError(`refused to write ${this.location}: it is locked by ${describeHolder(rowToInfo(row))}`, rowToInfo(row));
    }
  }

  private exclusive<T>(body: (c: pg.Client, backendPid: number) => Promise<T>): Promise<T> {
    const run = this.turn.then(async () => {
      try {
        const { client, backendPid } = await this.connect();
        return await body(client, backendPid);
      } catch (err) {
        throw this.explain(err);
      }
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  private connect(): Promise<{ client: pg.Client; backendPid: number }> {
    if (this.lost) return Promise.reject(this.explain(this.lost));
    this.session ??= (async () => {
      // Loaded on first use: commands with local or gs:// state do not pay for it.
      const { default: driver } = await import('pg');
      const client = new driver.Client({ connectionString: this.connectionString, application_name: 'vertexctl', connectionTimeoutMillis: 15_000 });
      // A connection the server ends (force-unlock, restart) must not crash the process: later calls say so.
      client.on('error', (err) => {
        this.lost = err;
      });
      try {
        await client.connect();
        await migrate(client, this.schema, this.location);
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        return { client, backendPid: rows[0].pid };
      } catch (err) {
        await client.end().catch(() => undefined);
        this.session = undefined;
        throw err;
      }
    })();
    return this.session;
  }

  /** One line for the user: where, and what PostgreSQL said (never the password). */
  private explain(err: unknown): Error {
    if (err instanceof LockError || err instanceof StateConflictError) return err;
    const e = err as Error & { code?: string };
    const message = e.message ?? String(err);
    if (message.startsWith(this.location)) return e;
    if (this.lost) {
      return new Error(`${this.location}: lost the connection to PostgreSQL (${this.lost.message}); a state lock held by this run was released with it`);
    }
    return new Error(`${this.location}: ${e.code === 'ECONNREFUSED' ? 'cannot connect to PostgreSQL: ' : ''}${redactUrl(message).split('\n')[0]}`);
  }
}

async function sessionAlive(c: pg.Client, backendPid: number): Promise<boolean> {
  const { rows } = await c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backendPid]);
  return rows.length > 0;
}
