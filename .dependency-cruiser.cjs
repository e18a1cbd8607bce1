/**
 * The layers of src/, enforced by `npm test` (depcruise runs before vitest).
 *
 *   cli → apply → plan → manifest / schema / state / api → kinds → core (+ files)
 *
 * A folder may import its own layer's folder and the layers below it, never above or
 * sideways (manifest → schema is the one sideways edge: loading validates). The emulator is a
 * separate program: it may use kinds, schema, core and files, and only the cli imports it.
 * A new folder under src/ must be given a place here (the "unknown-folder" rule).
 */
const below = {
  core: ['core'],
  files: ['files', 'core'],
  kinds: ['kinds', 'files', 'core'],
  schema: ['schema', 'kinds', 'files', 'core'],
  state: ['state', 'kinds', 'files', 'core'],
  api: ['api', 'kinds', 'files', 'core'],
  manifest: ['manifest', 'schema', 'kinds', 'files', 'core'],
  plan: ['plan', 'manifest', 'schema', 'state', 'api', 'kinds', 'files', 'core'],
  drift: ['drift', 'plan', 'manifest', 'schema', 'state', 'api', 'kinds', 'files', 'core'],
  apply: ['apply', 'plan', 'manifest', 'schema', 'state', 'api', 'kinds', 'files', 'core'],
  emulator: ['emulator', 'kinds', 'schema', 'files', 'core'],
};
const known = [...Object.keys(below), 'cli'];

module.exports = {
  forbidden: [
    ...Object.entries(below).map(([layer, allowed]) => ({
      name: `layer-${layer}`,
      comment: `src/${layer} may import only ${allowed.map((a) => `src/${a}`).join(', ')}`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})/` },
    })),
    {
      name: 'unknown-folder',
      comment: `every module under src/ lives in a layer folder (${known.join(', ')}); add new folders to .dependency-cruiser.cjs`,
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: `^src/(${known.join('|')})/` },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles, inside a folder or across folders',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dependency',
      comment: 'the shipped CLI runs with production dependencies only',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
