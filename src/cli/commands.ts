import type { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
  /** The command opens no state backend and starts no emulator, so main need not load those to close them. */
  offline?: boolean;
}

/** Every command lives in its own file in src/cli/ and exports `register(program)`; listed in help order. */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  validate: () => import('./validate.js'),
  plan: () => import('./plan.js'),
  show: () => import('./show.js'),
  apply: () => import('./apply.js'),
  drift: () => import('./drift.js'),
  destroy: () => import('./destroy.js'),
  import: () => import('./import.js'),
  state: () => import('./state.js'),
  'force-unlock': () => import('./force-unlock.js'),
  graph: () => import('./graph.js'),
  emulator: () => import('./emulator.js'),
  start: () => import('./start.js'),
};

/**
 * Registers the command the arguments name, loading only its module (and what it imports), so
 * a command starts without paying for the others; without a known command (`--help`, a typo
 * that deserves a suggestion) every command is registered, and none for `--version`.
 * Returns how many of them may leave a state backend or an emulator open (not `offline`).
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<number> {
  const named = args.find((a) => !a.startsWith('-'));
  const versionOnly = named === undefined && (args.includes('--version') || args.includes('-V'));
  const names = versionOnly ? [] : named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  const modules = await Promise.all(names.map((name) => COMMANDS[name]()));
  for (const cmd of modules) cmd.register(program);
  return modules.filter((m) => !m.offline).length;
}
