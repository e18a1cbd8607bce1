import type { Command } from 'commander';
import type { Live } from '../apply/operations.js';
import { emptySummary } from '../apply/executor.js';
import { loadStack } from '../manifest/index.js';
import { checkPlanFresh, isPlanFile, makePlan, readPlanFile, refreshForPlan, refreshOnlyPlan } from '../plan/index.js';
import type { Plan, RefreshResult } from '../plan/index.js';
import { StateStore } from '../state/index.js';
import { openContext } from './context.js';
import { UserError } from '../core/errors.js';
import { importHint, stateFlags } from './hints.js';
import { addGlobalOptions, globalOptions, type GlobalOptions } from './options.js';
import { optionsForPlan } from './plan-target.js';
import {
  addChangeOptions,
  carryOut,
  commandLine,
  confirm,
  changesLive,
  hasWork,
  isSuccess,
  printPlan,
  stateBackend,
  withStateLock,
  type ChangeOptions,
} from './run-apply.js';

/**
 * `vertexctl apply PATH…|PLANFILE`: plan (or take a saved plan, refused when stale), confirm,
 * and carry the plan out, holding the state lock throughout. Exit 0 done, 1 failed.
 */
export function register(program: Command): void {
  addGlobalOptions(
    addChangeOptions(
      program
        .command('apply')
        .description('make the live resources match the manifests (or carry out a saved plan)')
        .argument('<paths...>', 'manifest files or directories (one stack), or one plan file from `plan --out`')
        .option('--replace <address>', 'replace this resource even if nothing forces it, e.g. to re-submit a job (repeatable)', collect, [])
        .option('--refresh-only', 'only record in state what changed outside vertexctl (no API write)'),
    ),
  ).action(async (paths: string[], opts: ApplyOptions, cmd: Command) => {
    const global = globalOptions(cmd);
    const planFile = paths.length === 1 && (await isPlanFile(paths[0])) ? paths[0] : undefined;
    const ok = planFile ? await applyPlanFile(planFile, opts, global, cmd) : await applyManifests(paths, opts, global);
    if (!ok) process.exitCode = 1;
  });
}

interface ApplyOptions extends ChangeOptions {
  replace: string[];
  refreshOnly?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function applyManifests(paths: string[], opts: ApplyOptions, global: GlobalOptions): Promise<boolean> {
  const stack = await loadStack(paths, { env: global.env, vars: global.var });
  const backend = stateBackend(global, stack.name, stack.env);
  const ctx = await openContext(global);
  try {
    return await withStateLock(backend, commandLine(), opts.lockTimeout, stateFlags(stack.name, global), async (signal) => {
      const store = await StateStore.open(backend, stack.name, stack.env);
      let live = new Map<string, Live>();
      const source = { paths, vars: global.var };
      if (opts.refreshOnly) {
        if (opts.replace.length) throw new UserError('--refresh-only and --replace cannot be combined: a refresh-only apply only records what is live');
        const plan = await refreshOnlyPlan(stack, { client: ctx.client, stateDoc: store.doc, targets: opts.target, source, onRefresh: (found) => (live = liveBodies({ live: found })) });
        // Changes nothing live: as state-only work, it needs no confirmation.
        return confirmAndRun(plan, { client: ctx.client, store, signal, live }, opts, global);
      }
      const hint = (address: string, name: string) => importHint(address, name, paths, global);
      const plan = await makePlan(stack, {
        client: ctx.client,
        stateDoc: store.doc,
        refresh: true,
        targets: opts.target,
        replace: opts.replace,
        source,
        onRefresh: (found) => (live = liveBodies(found)),
        importHint: hint,
      });
      return confirmAndRun(plan, { client: ctx.client, store, signal, live, importHint: hint }, opts, global);
    });
  } finally {
    await ctx.close();
  }
}

async function applyPlanFile(file: string, opts: ApplyOptions, flags: GlobalOptions, cmd: Command): Promise<boolean> {
  const plan = await readPlanFile(file);
  const global = optionsForPlan(file, plan.target, flags, cmd);
  const varsGiven = Object.entries(flags.var).filter(([k, v]) => (Object.hasOwn(plan.source.vars, k) ? plan.source.vars[k] : undefined) !== v);
  if (varsGiven.length) {
    throw new UserError(`${file}: the plan was made with ${varsGiven.map(([k]) => `${k}=${JSON.stringify(Object.hasOwn(plan.source.vars, k) ? plan.source.vars[k] : null)}`).join(', ')}, not --var ${varsGiven.map(([k, v]) => `${k}=${v}`).join(' --var ')}`);
  }
  if (global.env !== undefined && global.env !== plan.env) {
    throw new UserError(`${file}: the plan was made for ${plan.env ? `--env ${plan.env}` : 'no --env'}, not --env ${global.env}`);
  }
  if (opts.target?.length) throw new UserError(`${file}: --target applies when planning; a saved plan is applied as it is`);
  if (opts.replace.length) throw new UserError(`${file}: --replace applies when planning; a saved plan is applied as it is`);
  if (opts.refreshOnly) throw new UserError(`${file}: --refresh-only applies when planning; a saved plan is applied as it is`);
  const backend = stateBackend(global, plan.stack, plan.env);
  const ctx = await openContext(global);
  try {
    return await withStateLock(backend, commandLine(), opts.lockTimeout, stateFlags(plan.stack, global), async (signal) => {
      const store = await StateStore.open(backend, plan.stack, plan.env);
      const current = await refreshForPlan(plan, store.doc, ctx.client);
      const problems = checkPlanFresh(plan, store.doc, current);
      if (problems.length) {
        throw new UserError([
          ...problems.map((p) => ({ message: `${file}: stale plan: ${p}` })),
          { message: `${file}: nothing was changed; run plan again` },
        ]);
      }
      const hint = (address: string, name: string) => importHint(address, name, plan.source.paths, global);
      return confirmAndRun(plan, { client: ctx.client, store, signal, live: liveBodies(current), importHint: hint }, opts, global, true);
    });
  } finally {
    await ctx.close();
  }
}

/** The live resources just read, by address: their etags guard the patches against changes since. */
function liveBodies(found: Pick<RefreshResult, 'live'>): Map<string, Live> {
  const live = new Map<string, Live>();
  for (const [address, res] of found.live) if (res) live.set(address, { ...res.body, name: res.name });
  return live;
}

async function confirmAndRun(
  plan: Plan,
  run: Parameters<typeof carryOut>[1],
  opts: ChangeOptions,
  global: GlobalOptions,
  /** A saved plan was reviewed when it was made: applying it asks nothing more (as Terraform does). */
  reviewed = false,
): Promise<boolean> {
  printPlan(plan, opts.json);
  if (!hasWork(plan, opts.waitJobs)) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ event: 'apply-done', ok: true, summary: emptySummary(), time: new Date().toISOString() })}\n`);
    return true;
  }
  // Recording resources that already exist changes nothing live: no need to ask.
  if (!reviewed && changesLive(plan) && !(await confirm('Apply these changes?', opts.autoApprove, 'apply'))) {
    process.stderr.write('Apply cancelled; nothing was changed.\n');
    return false;
  }
  const summary = await carryOut(plan, run, { ...opts, parallelism: global.parallelism }, 'Apply');
  return isSuccess(summary);
}
