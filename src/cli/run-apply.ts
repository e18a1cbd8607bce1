import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { executePlan, isSuccess } from '../apply/executor.js';
import { needsWatching } from '../apply/steps.js';
import type { Live } from '../apply/operations.js';
import { progressRenderer } from '../apply/progress.js';
import type { ApplySummary } from '../apply/types.js';
import type { ApiClient } from '../api/client.js';
import { loadStack } from '../manifest/index.js';
import { renderPlanText, toPlanJson, useColor } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import { LockError, StateStore, lockHolder, openState, type StateBackend } from '../state/index.js';
import { adcHeaders } from '../api/auth.js';
import { embeddedEmulator } from './context.js';
import { UserError } from '../core/errors.js';
import { reportFailureAsJson } from './failure.js';
import { commandHint } from './hints.js';
import type { GlobalOptions } from './options.js';

/** Options shared by the commands that change things: apply, destroy, import, state rm, start. */
export interface ChangeOptions {
  autoApprove?: boolean;
  json?: boolean;
  lockTimeout: number;
  stepTimeout: number;
  waitJobs?: boolean;
  target?: string[];
}

/** `0`, `500ms`, `30s`, `5m`, `1h` → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new Error(`expected a duration such as 30s, 5m or 500ms, got "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function addLockOption(cmd: Command): Command {
  return cmd.option('--lock-timeout <duration>', 'wait this long for the state lock held by another run (0: fail at once)', parseDuration, 0);
}

/** `targetHelp`: what --target selects besides the address (apply: its dependencies; destroy: its dependents). */
export function addChangeOptions(cmd: Command, targetHelp = 'only this address and what it depends on'): Command {
  return addLockOption(cmd)
    // With --json, a run that fails before (or between) its events says why as an event too.
    .hook('preAction', (_program, command) => {
      if (command.opts<ChangeOptions>().json) reportFailureAsJson();
    })
    .option('--auto-approve', 'do not ask for confirmation (required without a terminal)')
    .option('--json', 'write progress as one JSON event per line on stdout')
    .addOption(new Option('--step-timeout <duration>', 'time limit of one step, operation waits included').argParser(parseDuration).default(30 * 60_000, '30m'))
    .option('--wait-jobs', 'wait for created jobs to finish; a failed job fails its step')
    .option('--target <address>', `${targetHelp} (repeatable)`, collect);
}

/** Stack name and environment for commands that only need the state: `--stack`, or read from the manifests. */
export async function stackIdentity(paths: string[], stackName: string | undefined, global: GlobalOptions): Promise<{ name: string; env?: string }> {
  if (stackName) return { name: stackName, env: global.env };
  const stack = await loadStack(paths.length ? paths : ['manifests'], { env: global.env, vars: global.var, validate: false });
  return { name: stack.name, env: stack.env };
}

export function stateBackend(global: GlobalOptions, stack: string, env?: string): StateBackend {
  // gs:// state goes where the API calls go: the emulator (--endpoint, --emulator), or Google with the same credentials.
  const storage = global.endpoint
    ? { endpoint: global.endpoint }
    : global.emulator
      ? { endpoint: async () => (await embeddedEmulator(global)).url }
      : { headers: adcHeaders(global.impersonateServiceAccount) };
  try {
    return openState(global.state, stack, env, { notice: (line) => process.stderr.write(`${line}\n`), storage });
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

/**
 * Runs `body` holding the state lock, and always releases it: on success, on errors, and on
 * SIGINT/SIGTERM. The first signal aborts (no new steps start, those in flight finish and are
 * recorded); a second one releases the lock and exits at once.
 */
export async function withStateLock<T>(
  backend: StateBackend,
  command: string,
  lockTimeoutMs: number,
  /** The flags that name this state (stateFlags()), so the force-unlock hint works when pasted. */
  unlockFlags: string[],
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  let lock;
  try {
    lock = await backend.lock(lockHolder(command), lockTimeoutMs);
  } catch (err) {
    if (err instanceof LockError) {
      throw new UserError(err.message.replace(/vertexctl force-unlock (\S+)$/, (_, id: string) => commandHint(['force-unlock', id, ...unlockFlags])));
    }
    throw err;
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      process.stderr.write(`\n${signal}: stopping after the steps in flight (again to stop at once).\n`);
      controller.abort();
      return;
    }
    void backend.unlock(lock.id).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Someone may have force-unlocked meanwhile: say so, without hiding how the run ended.
    await backend.unlock(lock.id).catch((err: unknown) => process.stderr.write(`Could not release the state lock: ${(err as Error).message}\n`));
  }
}

/** The command as typed, for lock holders and state history; a password in a URL (`--state postgres://u:pw@…`) is left out. */
export function commandLine(): string {
  return ['vertexctl', ...process.argv.slice(2)].join(' ').replace(/(\/\/[^:/@\s]*):[^@/\s]*@/g, '$1@');
}

/** Prints the plan: text for people, or with --json one `plan` event line. */
export function printPlan(plan: Plan, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify({ event: 'plan', time: new Date().toISOString(), ...toPlanJson(plan) })}\n`);
  else process.stdout.write(renderPlanText(plan, { color: useColor(process.stdout) }));
}

/** Whether a plan has anything to carry out: a change, something to record in state, or (with --wait-jobs) a job to watch. */
export function hasWork(plan: Plan, waitJobs = false): boolean {
  return plan.steps.some((s) => s.action !== 'no-op' || needsWatching(s, waitJobs));
}

/** Whether a plan changes anything live (recording in state alone needs no confirmation). */
export function changesLive(plan: Plan): boolean {
  return plan.steps.some((s) => s.action !== 'no-op' && s.action !== 'record' && s.action !== 'adopt');
}

/** Asks on the terminal; refuses without one unless --auto-approve. */
export async function confirm(question: string, autoApprove: boolean | undefined, verb: string): Promise<boolean> {
  if (autoApprove) return true;
  if (!process.stdin.isTTY) {
    throw new UserError(`${verb} needs --auto-approve when not run from a terminal; nothing was changed`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C or end of input at the prompt is a "no".
  const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
  rl.once('SIGINT', () => rl.close());
  try {
    const answer = await Promise.race([rl.question(`${question} Only 'yes' proceeds: `), closed]);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

/** Carries out a plan with the progress display and the closing summary; false when a step failed. */
export async function carryOut(
  plan: Plan,
  run: { client: ApiClient; store: StateStore; live?: Map<string, Live>; signal: AbortSignal; importHint?: (address: string, name: string) => string },
  opts: ChangeOptions & { parallelism: number },
  verb: string,
): Promise<ApplySummary> {
  const mode = opts.json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain';
  const renderer = progressRenderer(mode, process.stdout, verb);
  try {
    return await executePlan(
      plan,
      { client: run.client, store: run.store, waitJobs: !!opts.waitJobs, live: run.live ?? new Map(), importHint: run.importHint },
      { parallelism: opts.parallelism, stepTimeoutMs: opts.stepTimeout, signal: run.signal, onEvent: (e) => renderer.event(e) },
    );
  } finally {
    renderer.close();
  }
}

export { isSuccess };
