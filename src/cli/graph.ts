import type { Command } from 'commander';
import { stackGraph, toDot, toMermaid } from '../apply/graph.js';
import { loadStack } from '../manifest/index.js';
import { UserError } from '../core/errors.js';
import { addGlobalOptions, globalOptions } from './options.js';

/** `vertexctl graph PATH… [--format dot|mermaid]`: the dependency DAG of a stack, from the manifests alone. */
export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('graph')
      .description('print the dependency graph of a stack (Graphviz DOT or Mermaid)')
      .argument('<paths...>', 'manifest files or directories (one stack)')
      .option('--format <format>', 'dot or mermaid', 'dot'),
  ).action(async (paths: string[], opts: { format: string }, cmd: Command) => {
    if (opts.format !== 'dot' && opts.format !== 'mermaid') throw new UserError(`--format must be dot or mermaid, not "${opts.format}"`);
    const global = globalOptions(cmd);
    const stack = await loadStack(paths, { env: global.env, vars: global.var, validate: false });
    const nodes = stackGraph(stack);
    process.stdout.write(opts.format === 'dot' ? toDot(stack.name, nodes) : toMermaid(nodes));
  });
}
