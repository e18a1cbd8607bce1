import type pg from 'pg';

/**
 * The tables of the PostgreSQL state backend, created on first use and upgraded by numbered
 * migrations. `schema_migrations` records which ran; a database migrated by a newer vertexctl is
 * refused rather than misread. Migrations run in one transaction under a transaction-level
 * advisory lock, so many runners starting at once on an empty database do not race.
 */

export interface Migration {
  version: number;
  description: string;
  /** SQL statements; `{schema}` is replaced by the quoted schema name. */
  statements: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'states, every version of each, and lock holders',
    statements: [
      `CREATE TABLE {schema}.states (
         stack text NOT NULL,
         env text NOT NULL DEFAULT '',
         lineage text NOT NULL,
         serial bigint NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (stack, env))`,
      `CREATE TABLE {schema}.state_versions (
         stack text NOT NULL,
         env text NOT NULL DEFAULT '',
         serial bigint NOT NULL,
         lineage text NOT NULL,
         doc json NOT NULL, -- json, not jsonb: the document as written (key order), as state show prints it
         written_at timestamptz NOT NULL DEFAULT now(),
         written_by text,
         PRIMARY KEY (stack, env, serial))`,
      `CREATE TABLE {schema}.locks (
         stack text NOT NULL,
         env text NOT NULL DEFAULT '',
         lock_id text NOT NULL,
         who text NOT NULL,
         host text NOT NULL,
         pid integer NOT NULL,
         command text NOT NULL,
         created text NOT NULL,
         backend_pid integer NOT NULL,
         PRIMARY KEY (stack, env))`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** A schema name we can put in SQL: PostgreSQL's unquoted identifier form. */
export function checkSchemaName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`schema "${name}" is not a plain PostgreSQL name (lower-case letters, digits and _, at most 63)`);
  }
  return `"${name}"`;
}

/** Brings the schema up to SCHEMA_VERSION; a no-op (one query) when it is already there. */
export async function migrate(client: pg.ClientBase, schema: string, where: string): Promise<void> {
  const quoted = checkSchemaName(schema);
  const current = await appliedVersion(client, quoted);
  if (current === SCHEMA_VERSION) return;
  if (current !== undefined && current > SCHEMA_VERSION) throw newerSchema(where, current);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`vertexctl:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const now = (await appliedVersion(client, quoted)) ?? 0;
    if (now > SCHEMA_VERSION) throw newerSchema(where, now);
    for (const m of MIGRATIONS.filter((m) => m.version > now)) {
      for (const sql of m.statements) await client.query(sql.replaceAll('{schema}', quoted));
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function appliedVersion(client: pg.ClientBase, quoted: string): Promise<number | undefined> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${quoted}.schema_migrations`]);
  if (!exists.rows[0].t) return undefined;
  const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${quoted}.schema_migrations`);
  return rows[0].v ?? undefined;
}

function newerSchema(where: string, version: number): Error {
  return new Error(`${where}: the state tables are at schema version ${version}, newer than this vertexctl understands (${SCHEMA_VERSION}); upgrade vertexctl`);
}
