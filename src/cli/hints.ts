import type { GlobalOptions } from './options.js';

/**
 * Commands the CLI prints for people to run next ("apply it with: …", "release it with: …").
 * Each one is complete, so it works when pasted: it names the stack, environment and state
 * location the printing command used, and shell-quotes what needs it.
 */

/** `vertexctl ARGS…`, each argument quoted for a POSIX shell when it needs to be. */
export function commandHint(args: readonly string[]): string {
  return ['vertexctl', ...args.map(shellQuote)].join(' ');
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The flags that name a stack's state: `--stack S [--env E] [--state LOC]` (the default state/ left out). */
export function stateFlags(stack: string, global: Pick<GlobalOptions, 'env' | 'state'>): string[] {
  return [
    '--stack',
    stack,
    ...(global.env !== undefined ? ['--env', global.env] : []),
    ...(global.state !== 'state' ? ['--state', withoutPassword(global.state)] : []),
  ];
}

/** A state URL as hints print it: never with its password (the user has it; PGPASSWORD works too). */
export function withoutPassword(location: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location;
  try {
    const url = new URL(location);
    if (!url.password) return location;
    url.password = '';
    return url.toString();
  } catch {
    return location;
  }
}

/** `vertexctl import ADDRESS NAME PATHS… [--env] [--state] [--endpoint|--emulator]`: adopting a resource of the manifests by hand. */
export function importHint(address: string, name: string, paths: readonly string[], global: Pick<GlobalOptions, 'env' | 'state' | 'endpoint' | 'emulator'>): string {
  return commandHint([
    'import',
    address,
    name,
    ...paths,
    ...(global.env !== undefined ? ['--env', global.env] : []),
    ...(global.state !== 'state' ? ['--state', withoutPassword(global.state)] : []),
    ...apiFlags(global),
  ]);
}

/** The flags that say where API calls go: `--endpoint URL` or `--emulator` (Google: none). */
export function apiFlags(global: Pick<GlobalOptions, 'endpoint' | 'emulator'>): string[] {
  if (global.emulator) return ['--emulator'];
  return global.endpoint ? ['--endpoint', global.endpoint] : [];
}
