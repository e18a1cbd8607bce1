/**
 * The CLI as users run it: `npm run build` compiles with tsc, then this bundles src/cli/main.ts
 * into dist/bin/vertexctl.js (the package's bin), one chunk per lazily imported command.
 *
 * Why a bundle: Node resolves, reads and links every ES module on its own, and for `validate`
 * of one file that was ~45 of its modules, half of its start-up. The bundle holds our code and
 * the small libraries every command loads (commander, js-yaml, fastest-levenshtein). The rest
 * stays in node_modules: what is loaded only on demand (got, google-auth-library, pg, yaml,
 * csv-parse, protobufjs) and ajv, whose precompiled validators in schemas/ require it there.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT as root } from '../src/core/project-root.js';

const BUNDLED = new Set(['commander', 'js-yaml', 'fastest-levenshtein']);
const { dependencies = {}, devDependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
const external = Object.keys({ ...dependencies, ...devDependencies })
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

await build({
  absWorkingDir: root,
  entryPoints: { vertexctl: 'src/cli/main.ts' },
  outdir: 'dist/bin',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // The CommonJS libraries bundled require Node's modules (events, fs …), which ES modules cannot without this.
  banner: { js: "import { createRequire as vertexctlCreateRequire } from 'node:module'; const require = vertexctlCreateRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
