import type { Command } from 'commander';
import { LockError } from '../state/index.js';
import { UserError } from '../core/errors.js';
import { addGlobalOptions, globalOptions } from './options.js';
import { stackIdentity, stateBackend } from './run-apply.js';

/** `vertexctl force-unlock LOCK_ID`: release a lock whose run is gone (the id is in the lock error). */
export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('force-unlock')
      .description('release the state lock of a run that is gone (the lock id is in the error that named it)')
      .argument('<lock-id>', 'id of the lock to release')
      .argument('[paths...]', 'manifests that name the stack (default: manifests)')
      .option('--stack <name>', 'the stack, instead of reading its name from manifests'),
  ).action(async (lockId: string, paths: string[], opts: { stack?: string }, cmd: Command) => {
    const global = globalOptions(cmd);
    const { name, env } = await stackIdentity(paths, opts.stack, global);
    const backend = stateBackend(global, name, env);
    try {
      await backend.forceUnlock(lockId);
    } catch (err) {
      if (err instanceof LockError) throw new UserError(err.message);
      throw err;
    }
    process.stdout.write(`Lock ${lockId} of ${backend.location} released.\n`);
  });
}
