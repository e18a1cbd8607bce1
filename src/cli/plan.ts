import { type Command, InvalidArgumentError } from 'commander';
import { loadStack } from '../manifest/index.js';
import { UserError } from '../core/errors.js';
import { destroyPlan, makePlan, refreshOnlyPlan, renderPlanMarkdown, renderPlanText, toPlanJson, useColor, writePlanFile, type Plan } from '../plan/index.js';
import { openContext } from './context.js';
import { commandHint, importHint } from './hints.js';
import { planTarget } from './plan-target.js';
import { addGlobalOptions, globalOptions } from './options.js';
import { stateBackend } from './run-apply.js';

const PLAN_FORMATS = ['text', 'json', 'markdown'] as const;
type PlanFormat = (typeof PLAN_FORMATS)[number];

interface PlanCommandOptions {
  json?: boolean;
  format?: PlanFormat;
  destroy?: boolean;
  refreshOnly?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  target: string[];
  replace: string[];
  refresh: boolean;
}

function parseBool(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}

function parseFormat(value: string): PlanFormat {
  if (!(PLAN_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${PLAN_FORMATS.join(', ')}`);
  return value as PlanFormat;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description('show what apply would change, without changing anything')
    .argument('<paths...>', 'manifest files or directories (one stack)')
    .option('--json', 'write only the plan JSON to stdout (short for --format json)')
    .option('--format <format>', `output: ${PLAN_FORMATS.join(', ')} (markdown: for a pull-request comment)`, parseFormat)
    .option('--destroy', "plan the deletion of everything in the stack's state (apply the saved plan to carry it out)")
    .option('--refresh-only', 'plan only to record in state what changed outside vertexctl (apply it: state only, no API write)')
    .option('--out <file>', 'save the plan, for `vertexctl apply FILE`')
    .option('--detailed-exitcode', 'exit 0 without changes, 2 with changes, 1 on errors')
    .option('--target <address>', 'plan only this address and what it depends on (repeatable)', collect, [])
    .option('--replace <address>', 'replace this resource even if nothing forces it, e.g. to re-submit a job (repeatable)', collect, [])
    .option('--refresh <bool>', 'read the live resources (false: plan from state alone)', parseBool, true);
  addGlobalOptions(cmd).action(async (paths: string[], opts: PlanCommandOptions, command: Command) => {
    const global = globalOptions(command);
    const stack = await loadStack(paths, { env: global.env, vars: global.var });
    const backend = stateBackend(global, stack.name, global.env);
    let stateDoc;
    try {
      stateDoc = await backend.read();
    } finally {
      await backend.close?.();
    }
    const format: PlanFormat = opts.json ? 'json' : (opts.format ?? 'text');
    if (opts.json && opts.format && opts.format !== 'json') throw new UserError(`--json and --format ${opts.format} ask for two outputs; give one`);
    if (opts.refreshOnly) {
      const conflicting = [opts.destroy && '--destroy', opts.replace.length && '--replace', !opts.refresh && '--refresh=false'].filter(Boolean);
      if (conflicting.length) throw new UserError(`--refresh-only and ${conflicting.join(', ')} cannot be combined: a refresh-only plan only records what is live`);
    }
    let plan: Plan;
    if (opts.refreshOnly) {
      const ctx = await openContext(global);
      try {
        plan = await refreshOnlyPlan(stack, { client: ctx.client, stateDoc, targets: opts.target, source: { paths, vars: global.var } });
      } finally {
        await ctx.close();
      }
    } else if (opts.destroy) {
      // What `vertexctl destroy` would delete, as a plan to review and apply later.
      const empty = { formatVersion: 1 as const, lineage: '', serial: 0, stack: stack.name, resources: {} };
      plan = { ...destroyPlan(stateDoc ?? { ...empty, ...(stack.env !== undefined && { env: stack.env }) }, { targets: opts.target }), source: { paths, vars: global.var } };
      if (!stateDoc) plan.state = { lineage: null, serial: 0 };
    } else {
      const ctx = opts.refresh ? await openContext(global) : undefined;
      try {
        plan = await makePlan(stack, {
          client: ctx?.client,
          stateDoc,
          refresh: opts.refresh,
          targets: opts.target,
          replace: opts.replace,
          source: { paths, vars: global.var },
          importHint: (address, name) => importHint(address, name, paths, global),
        });
      } finally {
        await ctx?.close();
      }
    }
    if (opts.out) await writePlanFile(opts.out, { ...plan, target: planTarget(global) });
    if (format === 'json') process.stdout.write(`${JSON.stringify(toPlanJson(plan), null, 2)}\n`);
    else if (format === 'markdown') process.stdout.write(renderPlanMarkdown(plan));
    else if (opts.destroy && plan.steps.length === 0) process.stdout.write(`Nothing to destroy: the state of stack "${stack.name}" is empty.\n`);
    else {
      process.stdout.write(renderPlanText(plan, { color: useColor(process.stdout) }));
      if (opts.out) process.stdout.write(`\nSaved the plan to ${opts.out}; apply it with: ${commandHint(['apply', opts.out])}\n`);
    }
    const changes = plan.steps.some((s) => s.action !== 'no-op');
    process.exitCode = opts.detailedExitcode && changes ? 2 : 0;
  });
}
