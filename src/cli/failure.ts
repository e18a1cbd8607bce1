import { CommanderError } from 'commander';
import { ApiError, CredentialsError, EndpointError } from '../api/errors.js';
import { escapeForDisplay } from '../core/display.js';
import { UserError, formatProblem, type Problem } from '../core/errors.js';

/**
 * How a command that fails is reported: one line per problem on stderr, exit 1 — or, for a
 * command run with `--json` (apply, destroy, …: their progress is JSON events on stdout), one
 * `error` event on stdout, so a pipeline reading the events learns why the run ended.
 */
let asJsonEvent = false;

/** The running command writes JSON events: its failure is one more. */
export function reportFailureAsJson(): void {
  asJsonEvent = true;
}

/** Reports an error that ended the command; returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by commander
    return err.exitCode === 0 ? 0 : 1;
  }
  const known = err instanceof UserError || err instanceof CredentialsError || err instanceof ApiError || err instanceof EndpointError;
  const message = err instanceof Error ? err.message : String(err);
  if (asJsonEvent) {
    const problems: Problem[] = err instanceof UserError ? err.problems : [{ message: known ? message : `Error: ${message}` }];
    process.stdout.write(`${JSON.stringify(errorEvent(problems))}\n`);
  } else if (known) {
    process.stderr.write(`${message}\n`);
  } else {
    process.stderr.write(`Error: ${message.split('\n').join('\n  ')}\n`);
  }
  if (!known && process.env.VERTEXCTL_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

/** `{ event: 'error', error, problems, time }`: `error` is what stderr would have shown, one problem per line. */
function errorEvent(problems: readonly Problem[]): Record<string, unknown> {
  return {
    event: 'error',
    error: problems.map(formatProblem).join('\n'),
    problems: problems.map((p) => ({ ...p.pos, ...(p.address !== undefined && { address: p.address }), message: escapeForDisplay(p.message) })),
    time: new Date().toISOString(),
  };
}
