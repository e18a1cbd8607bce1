import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../cli/errors.js';
import { findKind, kindTypes } from '../kinds/index.js';
import type { KindDef } from '../kinds/types.js';
import { compile, fieldInfo, knownFields, manifestSchema } from '../schema/registry.js';
import { schemaIssues, validateProps } from '../schema/validate.js';
import { findCycles } from './dag.js';
import { childPath, formatPath, parsePath, type PathSegment } from './paths.js';
import { findReferences } from './references.js';
import { didYouMean } from './suggest.js';
import { substituteVariables, type VariableScope } from './template.js';
import type { DesiredResource, LoadOptions, Problem, SourcePos, Stack } from './types.js';
import { describeReadError, escapePointer, readManifestFile, type ParsedFile } from './yaml.js';

/**
 * Reads manifest files (or directories of them) into one Stack: YAML → shape check against
 * schemas/manifest.schema.json → per-environment values → templates → references and the
 * dependency DAG → props validation against each kind's schema. Every problem found is
 * reported at once, as a UserError with one line per problem.
 */
export async function loadStack(paths: string[], opts: LoadOptions & { validate?: boolean } = {}): Promise<Stack> {
  const problems: Problem[] = [];
  const files = await expandPaths(paths, problems);
  const parsed: ParsedFile[] = [];
  for (const result of await Promise.all(files.map(readManifestFile))) {
    if (result.ok) parsed.push(result.parsed);
    else problems.push(...result.problems);
  }
  for (const file of parsed) problems.push(...checkShape(file));
  if (problems.length) throw failure(problems, files);

  const stack = buildStack(parsed as ShapedFile[], opts, problems);
  if (opts.validate !== false) {
    for (const r of stack.resources) problems.push(...validateProps(r), ...checkIgnoreChanges(r, parsed));
  }
  if (problems.length) throw failure(problems, files);
  return { ...stack, files };
}

/** Files named, plus every *.yaml / *.yml (sorted) of directories named. */
async function expandPaths(paths: readonly string[], problems: Problem[]): Promise<string[]> {
  if (paths.length === 0) problems.push({ message: 'no manifest files given' });
  const out: string[] = [];
  for (const p of paths) {
    try {
      if ((await stat(p)).isDirectory()) {
        const entries = await readdir(p, { withFileTypes: true });
        const names = entries.filter((e) => !e.isDirectory() && /\.ya?ml$/i.test(e.name)).map((e) => e.name).sort();
        if (names.length === 0) problems.push({ message: `${p}: no *.yaml or *.yml files in this directory` });
        out.push(...names.map((n) => join(p, n)));
      } else out.push(p);
    } catch (err) {
      problems.push({ message: `${p}: ${describeReadError(err)}` });
    }
  }
  return [...new Set(out)];
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

// ---------------------------------------------------------------------------------------------
// Positions

const pointerOf = (segments: readonly PathSegment[]): string =>
  segments.map((s) => `/${escapePointer(String(s))}`).join('');

/** Position of the node at a pointer, or of its nearest ancestor. */
function posAt(file: ParsedFile, pointer: string): SourcePos {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const pos = file.pos.get(p);
    if (pos) return pos;
    if (p === '') return { file: file.file, line: 1, col: 1 };
  }
}

// ---------------------------------------------------------------------------------------------
// Shape: the manifest schema

interface RawEntry {
  name: string;
  value?: unknown;
  values?: Record<string, { value: unknown }>;
  description?: string;
  sensitive?: boolean;
}
interface RawResource {
  name: string;
  type: string;
  description?: string;
  props?: RawEntry[];
  protected?: boolean;
  ignoreChanges?: string[];
  deletionPolicy?: 'delete' | 'abandon';
  dependsOn?: string[];
}
interface RawManifest {
  version: 1;
  name?: string;
  description?: string;
  globals?: RawEntry[];
  resources?: RawResource[];
}
/** A file whose value passed the manifest schema. */
type ShapedFile = ParsedFile & { value: RawManifest };

function checkShape(file: ParsedFile): Problem[] {
  const { value } = file;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'a list' : `a ${typeof value === 'string' ? 'text' : typeof value} value`;
    return [{ pos: posAt(file, ''), message: `expected a mapping with version, name and resources, got ${got}` }];
  }
  const validate = compile(manifestSchema());
  if (validate(value)) return [];
  const resources = (value as { resources?: unknown }).resources;
  return schemaIssues(validate.errors ?? [], value).map((issue) => {
    const pointer = pointerOf(issue.segments);
    const pos = (issue.atName && file.keyPos.get(pointer)) || posAt(file, pointer);
    const [top, index, field] = issue.segments;
    const inResource = top === 'resources' && typeof index === 'number';
    const resource = inResource && Array.isArray(resources) ? (resources[index] as { name?: unknown } | null) : undefined;
    const address = typeof resource?.name === 'string' ? resource.name : undefined;
    const label = formatPath(address !== undefined ? issue.segments.slice(2) : issue.segments);
    if (inResource && field === 'type' && issue.segments.length === 3 && issue.keyword === 'enum') {
      const type = String((resource as { type?: unknown }).type);
      return { pos, address, message: `unknown resource type "${type}"${didYouMean(type, kindTypes())}` };
    }
    return { pos, address, message: label ? `${label}: ${issue.message}` : issue.message };
  });
}
