import { InvalidArgumentError, type Command } from 'commander';
import { StateStore, forgetEntry, maskedEntry, migrateState, type StateBackend } from '../state/index.js';
import { UserError } from '../core/errors.js';
import { stateFlags } from './hints.js';
import { addGlobalOptions, globalOptions } from './options.js';
import { addLockOption, commandLine, stackIdentity, stateBackend, withStateLock } from './run-apply.js';

interface StackOpts {
  stack?: string;
}

/**
 * `vertexctl state list|show|history|rm|rollback|migrate`: read the state and its kept versions,
 * forget addresses (the resources stay), go back to a version, or move the state elsewhere.
 */
export function register(program: Command): void {
  const state = program.command('state').description('inspect or edit the state of a stack');
  const stackOption = (cmd: Command) =>
    addGlobalOptions(
      cmd
        .option('--stack <name>', 'the stack, instead of reading its name from manifests')
        .option('--manifests <paths...>', 'manifests that name the stack (default: manifests)'),
    );

  stackOption(
    state
      .command('list')
      .description('list the addresses in state with their types and resource names')
      .argument('[paths...]', 'manifests that name the stack (default: manifests)')
      .option('--json', 'print as JSON'),
  ).action(
    async (paths: string[], opts: StackOpts & { manifests?: string[]; json?: boolean }, cmd: Command) => {
      const store = await openStore({ ...opts, manifests: paths.length ? paths : opts.manifests }, cmd);
      const rows = Object.entries(store.doc.resources).map(([address, e]) => ({ address, type: e.type, name: e.name, pending: e.pending?.action }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const width = Math.max(0, ...rows.map((r) => r.address.length));
      const typeWidth = Math.max(0, ...rows.map((r) => r.type.length));
      for (const r of rows) {
        const pending = r.pending ? `  (${r.pending} did not finish)` : '';
        process.stdout.write(`${r.address.padEnd(width)}  ${r.type.padEnd(typeWidth)}  ${r.name || '(name not known yet)'}${pending}\n`);
      }
    },
  );

  stackOption(
    state
      .command('show')
      .description('print the state as JSON: one address, or the whole document; --version N reads a kept version')
      .argument('[address]')
      .option('--version <serial>', 'a kept version (see `state history`) instead of the current one', serialNumber),
  ).action(async (address: string | undefined, opts: StackOpts & { manifests?: string[]; version?: number }, cmd: Command) => {
    const { backend, name, env } = await openBackend(opts, cmd);
    const doc = opts.version === undefined ? await backend.read() : await backend.readVersion(opts.version);
    if (!doc) throw new UserError(opts.version === undefined ? noState(name, env, backend.location) : await noVersion(backend, opts.version));
    if (address === undefined) {
      const resources = Object.fromEntries(Object.entries(doc.resources).map(([a, e]) => [a, maskedEntry(e)]));
      process.stdout.write(`${JSON.stringify({ ...doc, resources }, null, 2)}\n`);
      return;
    }
    const entry = doc.resources[address];
    if (!entry) throw new UserError(notInState(address, Object.keys(doc.resources)));
    process.stdout.write(`${JSON.stringify({ address, ...maskedEntry(entry) }, null, 2)}\n`);
  });

  stackOption(
    state
      .command('history')
      .description('list the kept versions of the state, oldest first (PostgreSQL and Cloud Storage keep every version)')
      .argument('[paths...]', 'manifests that name the stack (default: manifests)')
      .option('--json', 'print as JSON'),
  ).action(async (paths: string[], opts: StackOpts & { manifests?: string[]; json?: boolean }, cmd: Command) => {
    const { backend, name, env } = await openBackend({ ...opts, manifests: paths.length ? paths : opts.manifests }, cmd);
    const versions = await backend.history();
    if (!versions.length) throw new UserError(noState(name, env, backend.location));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(versions, null, 2)}\n`);
      return;
    }
    const rows = [['SERIAL', 'WRITTEN', 'RESOURCES', 'BY'], ...versions.map((v) => [String(v.serial), v.writtenAt, String(v.resources), v.writtenBy ?? ''])];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()}\n`);
    if (!backend.keepsHistory) process.stderr.write('Local state keeps only the current version; PostgreSQL and Cloud Storage state keep every version.\n');
  });

  stackOption(
    addLockOption(
      state
        .command('rollback')
        .description('make a kept version current again: writes a new version equal to it (the live resources are not touched)')
        .argument('<serial>', 'the version to go back to (see `state history`)', serialNumber)
        .argument('[paths...]', 'manifests that name the stack (default: manifests)'),
    ),
  ).action(async (serial: number, paths: string[], opts: StackOpts & { manifests?: string[]; lockTimeout: number }, cmd: Command) => {
    const { backend, name, env } = await openBackend({ ...opts, manifests: paths.length ? paths : opts.manifests }, cmd);
    await withStateLock(backend, commandLine(), opts.lockTimeout, stateFlags(name, globalOptions(cmd)), async () => {
      const current = await backend.read();
      if (!current) throw new UserError(noState(name, env, backend.location));
      if (current.serial === serial) {
        process.stdout.write(`The state is at version ${serial} already; nothing was written.\n`);
        return;
      }
      const old = await backend.readVersion(serial);
      if (!old) throw new UserError(await noVersion(backend, serial));
      await backend.write({ ...old, lineage: current.lineage, serial: current.serial + 1 });
      process.stdout.write(
        `Rolled the state of ${backend.location} back to version ${serial}, written as version ${current.serial + 1}.\n` +
          'Run plan to see how the live resources differ from it.\n',
      );
    });
  });

  stackOption(
    addLockOption(
      state
        .command('migrate')
        .description("copy the stack's current state from --state to another backend, holding both locks")
        .argument('[paths...]', 'manifests that name the stack (default: manifests)')
        .requiredOption('--to <state>', 'where the state goes: a directory, postgres://… or gs://bucket/prefix'),
    ),
  ).action(async (paths: string[], opts: StackOpts & { manifests?: string[]; lockTimeout: number; to: string }, cmd: Command) => {
    const global = globalOptions(cmd);
    const { backend: from, name, env } = await openBackend({ ...opts, manifests: paths.length ? paths : opts.manifests }, cmd);
    const to = stateBackend({ ...global, state: opts.to }, name, env);
    if (to.location === from.location) throw new UserError(`--to names the state the stack is in already (${from.location})`);
    const line = commandLine();
    await withStateLock(from, line, opts.lockTimeout, stateFlags(name, global), () =>
      withStateLock(to, line, opts.lockTimeout, stateFlags(name, { ...global, state: opts.to }), async () => {
        let result;
        try {
          result = await migrateState(from, to);
        } catch (err) {
          throw new UserError((err as Error).message);
        }
        const what = `stack ${name}${env ? ` (env ${env})` : ''}, serial ${result.doc.serial}, ${Object.keys(result.doc.resources).length} resources`;
        process.stdout.write(
          result.outcome === 'copied'
            ? `Copied the state of ${what} from ${from.location} to ${to.location}.\n`
            : `${to.location} holds this state already (${what}); nothing was written.\n`,
        );
        process.stdout.write(`Use --state ${opts.to} (or VERTEXCTL_STATE) from now on; the source was left as it was.\n`);
      }),
    );
  });

  stackOption(
    addLockOption(state.command('rm').description('forget addresses: remove them from state, leaving the resources as they are').argument('<addresses...>')),
  ).action(async (addresses: string[], opts: StackOpts & { manifests?: string[]; lockTimeout: number }, cmd: Command) => {
    const global = globalOptions(cmd);
    const { name, env } = await stackIdentity(opts.manifests ?? [], opts.stack, global);
    const backend = stateBackend(global, name, env);
    await withStateLock(backend, commandLine(), opts.lockTimeout, stateFlags(name, global), async () => {
      const store = await StateStore.open(backend, name, env);
      const missing = addresses.filter((a) => !store.doc.resources[a]);
      if (missing.length) throw new UserError(missing.map((a) => ({ message: notInState(a, Object.keys(store.doc.resources)) })));
      await store.update((doc) => {
        for (const a of addresses) forgetEntry(doc, a);
      });
      for (const a of addresses) process.stdout.write(`Removed ${a} from state; the resource itself is kept.\n`);
    });
  });
}

async function openBackend(opts: StackOpts & { manifests?: string[] }, cmd: Command) {
  const global = globalOptions(cmd);
  const { name, env } = await stackIdentity(opts.manifests ?? [], opts.stack, global);
  return { backend: stateBackend(global, name, env), name, env };
}

async function openStore(opts: StackOpts & { manifests?: string[] }, cmd: Command): Promise<StateStore> {
  const { backend, name, env } = await openBackend(opts, cmd);
  if (!(await backend.read())) throw new UserError(noState(name, env, backend.location));
  return StateStore.open(backend, name, env);
}

function noState(name: string, env: string | undefined, location: string): string {
  return `no state for stack "${name}"${env ? ` (env ${env})` : ''} at ${location}`;
}

async function noVersion(backend: StateBackend, serial: number): Promise<string> {
  const serials = (await backend.history()).map((v) => v.serial);
  const kept = serials.length ? `it keeps ${serials.length > 1 ? `versions ${serials[0]}–${serials[serials.length - 1]}` : `version ${serials[0]}`}` : 'it holds no state';
  return `no version ${serial} of ${backend.location}: ${kept}${backend.keepsHistory ? '' : ' (local state keeps only the current version)'}`;
}

function serialNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a serial number (see `vertexctl state history`)');
  return n;
}

function notInState(address: string, known: string[]): string {
  return `no address "${address}" in state${known.length ? ` (it holds: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})` : ' (it is empty)'}`;
}
