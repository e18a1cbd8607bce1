import type { Command } from 'commander';
import { StateStore, forgetEntry } from '../state/index.js';
import { UserError } from '../core/errors.js';
import { addGlobalOptions, globalOptions } from './options.js';
import { addLockOption, commandLine, stackIdentity, stateBackend, withStateLock } from './run-apply.js';

interface StackOpts {
  stack?: string;
}

/** `vertexctl state list|show|rm`: read the state, or forget addresses (the resources stay). */
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

  stackOption(state.command('show').description('print the state entry of an address as JSON').argument('<address>')).action(
    async (address: string, opts: StackOpts & { manifests?: string[] }, cmd: Command) => {
      const store = await openStore(opts, cmd);
      const entry = store.doc.resources[address];
      if (!entry) throw new UserError(notInState(address, Object.keys(store.doc.resources)));
      process.stdout.write(`${JSON.stringify({ address, ...entry }, null, 2)}\n`);
    },
  );

  stackOption(
    addLockOption(state.command('rm').description('forget addresses: remove them from state, leaving the resources as they are').argument('<addresses...>')),
  ).action(async (addresses: string[], opts: StackOpts & { manifests?: string[]; lockTimeout: number }, cmd: Command) => {
    const global = globalOptions(cmd);
    const { name, env } = await stackIdentity(opts.manifests ?? [], opts.stack, global);
    const backend = stateBackend(global, name, env);
    await withStateLock(backend, commandLine(), opts.lockTimeout, async () => {
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

async function openStore(opts: StackOpts & { manifests?: string[] }, cmd: Command): Promise<StateStore> {
  const global = globalOptions(cmd);
  const { name, env } = await stackIdentity(opts.manifests ?? [], opts.stack, global);
  const backend = stateBackend(global, name, env);
  if (!(await backend.read())) throw new UserError(`no state for stack "${name}"${env ? ` (env ${env})` : ''} at ${backend.location}`);
  return StateStore.open(backend, name, env);
}

function notInState(address: string, known: string[]): string {
  return `no address "${address}" in state${known.length ? ` (it holds: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})` : ' (it is empty)'}`;
}
