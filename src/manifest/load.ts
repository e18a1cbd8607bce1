import { UserError, type Problem } from '../core/errors.js';
import { validateProps } from '../schema/validate.js';
import { expandPaths, readManifests } from './files.js';
import { globalScope, stackHeader } from './globals.js';
import { linkReferences } from './links.js';
import { buildResource, checkIgnoreChanges } from './resources.js';
import { checkShape, posAt, where, type Origin, type RawResource, type ShapedFile } from './shape.js';
import { referenceForm } from './template.js';
import type { DesiredResource, LoadOptions, Stack } from './types.js';

/**
 * Reads manifest files (or directories of them) into one Stack: YAML → shape check against
 * schemas/manifest.schema.json → per-environment values → templates → references and the
 * dependency DAG → props validation against each kind's schema. Every problem found is
 * reported at once, as a UserError with one line per problem.
 */
export async function loadStack(paths: string[], opts: LoadOptions & { validate?: boolean } = {}): Promise<Stack> {
  const problems: Problem[] = [];
  const files = await expandPaths(paths, problems);
  const parsed = await readManifests(files, problems);
  // A file that cannot be parsed leaves the stack's addresses and globals unknown: stop there (as
  // Terraform does). Past that, every problem of the run is reported together: an entry of the
  // wrong shape is left out of the build, and the rest is built and validated.
  if (problems.length) throw failure(problems, files);
  const shaped: ShapedFile[] = [];
  for (const file of parsed) {
    const shape = checkShape(file);
    problems.push(...shape.problems);
    if (shape.shaped) shaped.push(shape.shaped);
  }
  if (shaped.length === 0) throw failure(problems, files);

  const { stack, origins } = buildStack(shaped, opts, problems);
  if (opts.validate !== false) {
    for (const r of stack.resources) {
      const found = validateProps(r, referenceForm);
      if (found.length) problems.push(...found);
      if (r.ignoreChanges.length) problems.push(...checkIgnoreChanges(r, origins.get(r)!));
    }
  }
  if (problems.length) throw failure(problems, files);
  return { ...stack, files };
}

function failure(problems: Problem[], files: readonly string[]): UserError {
  const order = new Map(files.map((f, i) => [f, i]));
  const rank = (p: Problem): number[] =>
    p.pos ? [order.get(p.pos.file) ?? files.length, p.pos.line, p.pos.col] : [-1, 0, 0];
  const sorted = problems
    .map((p, i) => ({ p, key: [...rank(p), i] }))
    .sort((a, b) => {
      for (let k = 0; k < a.key.length; k++) if (a.key[k] !== b.key[k]) return a.key[k] - b.key[k];
      return 0;
    })
    .map((x) => x.p);
  return new UserError(sorted);
}

function buildStack(
  files: readonly ShapedFile[],
  opts: LoadOptions,
  problems: Problem[],
): { stack: Omit<Stack, 'files'>; origins: Map<DesiredResource, Origin> } {
  const header = stackHeader(files, problems);

  // Addresses first: templates need them to tell `{{ a.b }}` mistakes apart.
  // Resources of the wrong shape keep their address (when it is a name): nothing that refers to
  // them is reported as unknown, only they are not built.
  type Written = Origin & { address: string; raw: RawResource; usable: boolean };
  const addresses = new Map<string, Written>();
  const written: Written[] = [];
  for (const file of files) {
    const list = Array.isArray(file.value.resources) && !file.skipped.has('/resources') ? file.value.resources : [];
    list.forEach((raw: RawResource | null, i) => {
      if (typeof raw?.name !== 'string') return;
      const pointer = `/resources/${i}`;
      const first = addresses.get(raw.name);
      if (!first) {
        const entry = { file, pointer, address: raw.name, raw, usable: !file.skipped.has(pointer) };
        addresses.set(raw.name, entry);
        written.push(entry);
      } else {
        const firstPos = where(posAt(first.file, `${first.pointer}/name`));
        problems.push({ pos: posAt(file, `${pointer}/name`), address: raw.name, message: `duplicate resource address (first defined at ${firstPos})` });
      }
    });
  }

  const scope = globalScope(files, addresses, opts, problems);

  // An indexed loop over the entries, each its own origin: no iterator or object per resource.
  const origins = new Map<DesiredResource, Origin>();
  const unbuilt = new Set<string>();
  for (let i = 0; i < written.length; i++) {
    const entry = written[i];
    if (entry.usable) origins.set(buildResource(entry.file, entry.raw, entry.pointer, opts.env, scope, problems), entry);
    else unbuilt.add(entry.address);
  }
  const resources = [...origins.keys()];
  linkReferences(origins, unbuilt, problems);
  return { stack: { version: 1, name: header.name, description: header.description, env: opts.env, resources }, origins };
}
