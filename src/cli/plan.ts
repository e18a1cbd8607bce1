import { type Command, InvalidArgumentError } from 'commander';
import { loadStack } from '../manifest/index.js';
import { makePlan, renderPlanText, toPlanJson, useColor, writePlanFile } from '../plan/index.js';
import { openState } from '../state/index.js';
import { openContext } from './context.js';
import { addGlobalOptions, globalOptions } from './options.js';

interface PlanCommandOptions {
  json?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  target: string[];
  refresh: boolean;
}

function parseBool(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description('show what apply would change, without changing anything')
    .argument('<paths...>', 'manifest files or directories (one stack)')
    .option('--json', 'write only the plan JSON to stdout')
    .option('--out <file>', 'save the plan, for `vertexctl apply FILE`')
    .option('--detailed-exitcode', 'exit 0 without changes, 2 with changes, 1 on errors')
    .option('--target <address>', 'plan only this address and what it depends on (repeatable)', collect, [])
    .option('--refresh <bool>', 'read the live resources (false: plan from state alone)', parseBool, true);
  addGlobalOptions(cmd).action(async (paths: string[], opts: PlanCommandOptions, command: Command) => {
    const global = globalOptions(command);
    const stack = await loadStack(paths, { env: global.env, vars: global.var });
    const backend = openState(global.state, stack.name, global.env);
    let stateDoc;
    try {
      stateDoc = await backend.read();
    } finally {
      await backend.close?.();
    }
    const ctx = opts.refresh ? await openContext(global) : undefined;
    let plan;
    try {
      plan = await makePlan(stack, {
        client: ctx?.client,
        stateDoc,
        refresh: opts.refresh,
        targets: opts.target,
        source: { paths, vars: global.var },
      });
    } finally {
      await ctx?.close();
    }
    if (opts.out) await writePlanFile(opts.out, plan);
    if (opts.json) process.stdout.write(`${JSON.stringify(toPlanJson(plan), null, 2)}\n`);
    else {
      process.stdout.write(renderPlanText(plan, { color: useColor(process.stdout) }));
      if (opts.out) process.stdout.write(`\nSaved the plan to ${opts.out}; apply it with: vertexctl apply ${opts.out}\n`);
    }
    const changes = plan.steps.some((s) => s.action !== 'no-op');
    process.exitCode = opts.detailedExitcode && changes ? 2 : 0;
  });
}
