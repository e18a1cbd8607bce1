import type { Command } from 'commander';
import { loadStack } from '../manifest/index.js';
import type { Problem } from '../manifest/types.js';
import { UserError } from '../core/errors.js';
import { addGlobalOptions, globalOptions } from './options.js';

/**
 * `vertexctl validate PATH…`: load and check manifests without touching any API.
 * Exit 0 valid, 1 invalid; problems one per line on stderr, or with --json one JSON document
 * on stdout: `{ "valid": bool, "problems": [{ file, line, col, address, message }] }`.
 */
/** Opens no state backend and starts no emulator: nothing to close at exit (see main.ts). */
export const offline = true;

export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('validate')
      .description('check manifests against the manifest format and each resource type\'s schema')
      .argument('<paths...>', 'manifest files, or directories of *.yaml / *.yml files (one stack)')
      .option('--json', 'print the result as JSON on stdout'),
  ).action(async (paths: string[], opts: { json?: boolean }, cmd: Command) => {
    const global = globalOptions(cmd);
    let problems: Problem[] = [];
    let summary = '';
    try {
      const stack = await loadStack(paths, { env: global.env, vars: global.var });
      // Data files (metric points) are read and checked too; their readers load only when a resource has one.
      if (stack.resources.some((r) => r.kind.virtualProps.some((p) => r.props[p] !== undefined))) {
        const { prepareVirtualProps } = await import('../plan/virtual.js');
        await prepareVirtualProps(stack.resources, () => undefined);
      }
      const n = stack.resources.length;
      const files = stack.files.length;
      summary = `✓ ${n} resource${n === 1 ? '' : 's'} valid (stack "${stack.name}"${stack.env ? `, env ${stack.env}` : ''}, ${files} file${files === 1 ? '' : 's'})`;
    } catch (err) {
      if (!(err instanceof UserError) || !opts.json) throw err;
      problems = err.problems;
    }
    if (opts.json) {
      const json = {
        valid: problems.length === 0,
        problems: problems.map((p) => ({
          file: p.pos?.file ?? null,
          line: p.pos?.line ?? null,
          col: p.pos?.col ?? null,
          address: p.address ?? null,
          message: p.message,
        })),
      };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      if (problems.length) process.exitCode = 1;
      return;
    }
    process.stdout.write(`${summary}\n`);
  });
}
