import type { Command } from 'commander';
import { getResource } from '../apply/operations.js';
import { appliedEntry } from '../state/entry.js';
import { parseResourceName } from '../kinds/names.js';
import { loadStack } from '../manifest/index.js';
import { StateStore } from '../state/index.js';
import { openContext } from './context.js';
import { UserError } from '../core/errors.js';
import { commandHint, stateFlags } from './hints.js';
import { addGlobalOptions, globalOptions } from './options.js';
import { addLockOption, commandLine, stateBackend, withStateLock } from './run-apply.js';

/**
 * `vertexctl import ADDRESS RESOURCE_NAME [PATH…]`: put an existing resource under an address of
 * the manifests. State records the live values of the props the manifest sets, so the next
 * plan shows exactly how the resource differs from the manifest.
 */
export function register(program: Command): void {
  addGlobalOptions(
    addLockOption(
      program
        .command('import')
        .description('record an existing resource in state under a manifest address')
        .argument('<address>', 'the resource name (address) in the manifests')
        .argument('<resource-name>', 'full resource name, e.g. projects/p/locations/l/tensorboards/123')
        .argument('[paths...]', 'the manifests (default: manifests)'),
    ),
  ).action(async (address: string, resourceName: string, paths: string[], opts: { lockTimeout: number }, cmd: Command) => {
    const global = globalOptions(cmd);
    const stack = await loadStack(paths.length ? paths : ['manifests'], { env: global.env, vars: global.var });
    const desired = stack.resources.find((r) => r.address === address);
    if (!desired) throw new UserError(`no resource "${address}" in the manifests of stack "${stack.name}"`);
    const kind = desired.kind;
    const name = resourceName.replace(/^\/+/, '');
    const identity = parseResourceName(kind, name);
    if (!identity) {
      const pattern = [...kind.parentCollections.map((c) => `${c}/…`), `${kind.collection}/…`].join('/');
      throw new UserError(`"${resourceName}" is not a ${kind.type} resource name (expected ${pattern})`);
    }
    const backend = stateBackend(global, stack.name, stack.env);
    const ctx = await openContext(global);
    try {
      await withStateLock(backend, commandLine(), opts.lockTimeout, stateFlags(stack.name, global), async () => {
        const store = await StateStore.open(backend, stack.name, stack.env);
        const existing = store.doc.resources[address];
        if (existing?.name && !existing.pending) {
          throw new UserError(`"${address}" is already in state as ${existing.name}; to re-import, first run: ${commandHint(['state', 'rm', address, ...stateFlags(stack.name, global)])}`);
        }
        // (This address's own unfinished create of that name is what the import settles.)
        const taken = Object.entries(store.doc.resources).find(([other, e]) => e.name === name && other !== address);
        if (taken) throw new UserError(`${name} is already in state under "${taken[0]}"`);
        const live = await getResource(ctx.client, kind, name);
        if (!live) throw new UserError(`${name} does not exist`);
        // The props the manifest sets, with the values the resource has now (virtual props are
        // left out: the next apply writes them).
        const props: Record<string, unknown> = {};
        for (const key of Object.keys(desired.props)) {
          if (key in identity) props[key] = identity[key];
          else if (!kind.virtualProps.includes(key) && live[key] !== undefined) props[key] = live[key];
        }
        await store.update((doc) => {
          doc.resources[address] = appliedEntry(kind, props, live, desired);
        });
        process.stdout.write(`Imported ${name} as "${address}". Run plan to see how it differs from the manifests.\n`);
      });
    } finally {
      await ctx.close();
    }
  });
}
