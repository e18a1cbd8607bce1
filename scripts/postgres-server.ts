/**
 * A throw-away PostgreSQL server for the tests and the state benchmark: Debian's `postgresql`
 * binaries (installed by scripts/install-postgres.sh when missing), a cluster made by initdb in a
 * temporary directory, listening on 127.0.0.1 on a free port, run as an unprivileged user (the
 * `postgres` account when we are root: the server refuses to run as root), removed on stop.
 *
 * `npx tsx scripts/postgres-server.ts` starts one and prints its URL until Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? dirname(which.stdout.trim()) : undefined;
}

function binDir(): string {
  let dir = findBinDir();
  if (!dir) {
    const install = spawnSync('bash', [join(here, 'install-postgres.sh')], { stdio: 'inherit' });
    if (install.status !== 0) throw new Error('PostgreSQL is not installed and could not be installed (scripts/install-postgres.sh)');
    dir = findBinDir();
  }
  if (!dir) throw new Error('PostgreSQL was installed but initdb was not found under /usr/lib/postgresql');
  return dir;
}

/** Root runs the server as `postgres` (or `nobody`); anyone else as themselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  const entry = passwd.find((f) => f[0] === 'postgres') ?? passwd.find((f) => f[0] === 'nobody');
  if (!entry) throw new Error('no unprivileged user (postgres or nobody) to run PostgreSQL as');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function ready(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`PostgreSQL exited during start:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    }
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60s:\n${readFileSync(log, 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** `durable`: keep PostgreSQL's fsync on (benchmarks); tests turn it off for speed. */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = binDir();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'vertexctl-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  mkdirSync(sockets);
  if (user) for (const d of [dir, sockets]) chownSync(d, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], {
    ...asUser,
    env,
    encoding: 'utf8',
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  }
  const log = join(dir, 'server.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const logFd = openSync(log, 'a');
    if (user) chownSync(log, user.uid, user.gid);
    // Durability settings off for tests: a test server's data is thrown away, speed matters.
    const fast = opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
    const child = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', sockets, '-c', 'listen_addresses=127.0.0.1', ...fast, '-c', 'max_connections=200'],
      { ...asUser, env, stdio: ['ignore', logFd, logFd] },
    );
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    // A test process that dies must not leave the server running.
    const kill = () => child.kill('SIGQUIT');
    process.once('exit', kill);
    try {
      await ready(url, child, log);
    } catch (err) {
      kill();
      if (attempt < 5 && /could not bind|Address already in use/.test(readFileSync(log, 'utf8'))) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      url,
      port,
      async stop() {
        process.off('exit', kill);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGINT'); // fast shutdown: ends sessions, no waiting for clients
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const server = await startPostgres();
  process.stdout.write(`${server.url}\n`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
