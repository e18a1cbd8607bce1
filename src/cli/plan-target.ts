import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import type { PlanTarget } from '../plan/types.js';
import type { GlobalOptions } from './options.js';

/**
 * Where a saved plan goes: `plan --out` records the endpoint (or --emulator) and the state
 * location, never credentials; `apply PLANFILE` goes there, and refuses a flag that says otherwise.
 */

const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** A state location as recorded: local directories absolute (the plan may be applied from elsewhere), URLs without a password. */
function stateLocation(state: string): string {
  if (!isUrl(state)) return resolve(state);
  const url = new URL(state);
  url.password = '';
  return url.toString();
}

export function planTarget(global: GlobalOptions): PlanTarget {
  if (global.endpoint && isUrl(global.endpoint)) {
    const url = new URL(global.endpoint);
    if (url.username || url.password) throw new UserError(`--endpoint holds credentials; a plan file never records them: give the endpoint without user:password@`);
  }
  return {
    ...(global.emulator ? { emulator: true as const } : global.endpoint ? { endpoint: global.endpoint } : {}),
    state: stateLocation(global.state),
  };
}

/** Whether the user set an option on the command line (or its environment variable), rather than leaving its default. */
function given(cmd: Command, key: string): boolean {
  const source = cmd.getOptionValueSource(key);
  return source !== undefined && source !== 'default';
}

/** The global options for applying a saved plan: the plan's target, with flags that contradict it refused. */
export function optionsForPlan(file: string, target: PlanTarget, global: GlobalOptions, cmd: Command): GlobalOptions {
  const problems: string[] = [];
  const planned = target.emulator ? '--emulator' : target.endpoint ? `--endpoint ${target.endpoint}` : "Google's endpoints";
  const endpointGiven = given(cmd, 'endpoint') || !!process.env.VERTEXCTL_ENDPOINT;
  if ((endpointGiven && global.endpoint !== target.endpoint) || (given(cmd, 'emulator') && !target.emulator)) {
    const asked = given(cmd, 'emulator') ? '--emulator' : `--endpoint ${global.endpoint}`;
    problems.push(`${file}: the plan was made for ${planned}, not ${asked}`);
  }
  if (given(cmd, 'state') && stateLocation(global.state) !== target.state) {
    problems.push(`${file}: the plan was made against the state at ${target.state}, not --state ${global.state}`);
  }
  if (problems.length) throw new UserError([...problems.map((message) => ({ message })), { message: `${file}: nothing was changed; drop the flag, or plan again with it` }]);
  // A URL's password is not in the plan: the one given at apply time (same location) is used.
  const state = given(cmd, 'state') ? global.state : target.state;
  return { ...global, endpoint: target.endpoint, emulator: target.emulator, state };
}
