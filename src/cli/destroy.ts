import type { Command } from 'commander';
import { destroyPlan } from '../plan/destroy.js';
import { StateStore } from '../state/index.js';
import { openContext } from './context.js';
import { stateFlags } from './hints.js';
import { addGlobalOptions, globalOptions } from './options.js';
import {
  addChangeOptions,
  carryOut,
  commandLine,
  confirm,
  isSuccess,
  printPlan,
  stackIdentity,
  stateBackend,
  withStateLock,
  type ChangeOptions,
} from './run-apply.js';

/**
 * `vertexctl destroy [PATH…]`: delete everything the stack's state holds, dependents first.
 * Protected resources refuse the destroy; deletionPolicy abandon only removes from state.
 */
export function register(program: Command): void {
  addGlobalOptions(
    addChangeOptions(
      program
        .command('destroy')
        .description("delete every resource in the stack's state (dependents first)")
        .argument('[paths...]', 'manifests that name the stack (default: manifests)')
        .option('--stack <name>', 'the stack, instead of reading its name from manifests'),
      'only this address and what depends on it or lives under it',
    ),
  ).action(async (paths: string[], opts: ChangeOptions & { stack?: string }, cmd: Command) => {
    const global = globalOptions(cmd);
    const { name, env } = await stackIdentity(paths, opts.stack, global);
    const backend = stateBackend(global, name, env);
    const ctx = await openContext(global);
    try {
      const ok = await withStateLock(backend, commandLine(), opts.lockTimeout, stateFlags(name, global), async (signal) => {
        const store = await StateStore.open(backend, name, env);
        const plan = destroyPlan(store.doc, { targets: opts.target });
        if (!plan.steps.length) {
          if (opts.json) printPlan(plan, true);
          else process.stdout.write(`Nothing to destroy: the state of stack "${name}" is empty.\n`);
          return true;
        }
        printPlan(plan, opts.json);
        if (!(await confirm('Destroy these resources?', opts.autoApprove, 'destroy'))) {
          process.stderr.write('Destroy cancelled; nothing was changed.\n');
          return false;
        }
        const summary = await carryOut(plan, { client: ctx.client, store, signal }, { ...opts, parallelism: global.parallelism }, 'Destroy');
        return isSuccess(summary);
      });
      if (!ok) process.exitCode = 1;
    } finally {
      await ctx.close();
    }
  });
}
