import type { Command } from 'commander';
import { loadStack } from '../manifest/index.js';
import { makePlan } from '../plan/index.js';
import { StateStore } from '../state/index.js';
import { openContext } from './context.js';
import { addGlobalOptions, globalOptions } from './options.js';
import { carryOut, commandLine, hasWork, isSuccess, printPlan, stateBackend, withStateLock } from './run-apply.js';

/**
 * `npm start`: the whole loop on the embedded emulator. Starts it (its data lives beside the
 * state, so a second run finds everything in place), plans and applies the manifests, then
 * plans again to show that nothing is left to do. Exit 1 when the apply fails or the second
 * plan is not empty.
 */
export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('start')
      .description('demo: apply the manifests to the embedded emulator, then show that a new plan is empty')
      .argument('[paths...]', 'manifests (default: manifests)'),
  ).action(async (paths: string[], _opts: unknown, cmd: Command) => {
    const global = { ...globalOptions(cmd), emulator: true };
    const sources = paths.length ? paths : ['manifests'];
    const stack = await loadStack(sources, { env: global.env, vars: global.var });
    const backend = stateBackend(global, stack.name, stack.env);
    const ctx = await openContext(global);
    const say = (line: string) => process.stdout.write(`${line}\n`);
    try {
      say(`Embedded emulator on ${ctx.endpoint} (its data is kept beside the state), state in ${backend.location}`);
      const ok = await withStateLock(backend, commandLine(), 0, [], async (signal) => {
        const store = await StateStore.open(backend, stack.name, stack.env);
        const plan = () => makePlan(stack, { client: ctx.client, stateDoc: store.doc, refresh: true, source: { paths: sources, vars: global.var } });
        say(`\n== Plan (${sources.join(' ')}) ==\n`);
        const first = await plan();
        printPlan(first, false);
        say('\n== Apply ==\n');
        if (!hasWork(first)) say('Nothing to apply: everything is in place.');
        else {
          const summary = await carryOut(first, { client: ctx.client, store, signal }, { lockTimeout: 0, stepTimeout: 10 * 60_000, parallelism: global.parallelism }, 'Apply');
          if (!isSuccess(summary)) return false;
        }
        say('\n== Plan again ==\n');
        const second = await plan();
        printPlan(second, false);
        const left = second.steps.filter((s) => s.action !== 'no-op');
        if (left.length) {
          process.stderr.write(`The second plan still has ${left.length} change(s): ${left.map((s) => `${s.address} (${s.action})`).join(', ')}\n`);
          return false;
        }
        say('\nThe live resources match the manifests. Run `npm start` again: it finds everything in place.');
        return true;
      });
      if (!ok) process.exitCode = 1;
    } finally {
      await ctx.close();
    }
  });
}
