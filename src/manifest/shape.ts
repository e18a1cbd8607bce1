import type { Problem, SourcePos } from '../core/errors.js';
import { escapePointer, formatPath, type PathSegment } from '../core/paths.js';
import { didYouMean } from '../core/suggest.js';
import { kindTypes } from '../kinds/index.js';
import { compile, manifestSchema } from '../schema/registry.js';
import { schemaIssues } from '../schema/validate.js';
import type { ParsedFile } from './yaml.js';

// The manifest's shape (schemas/manifest.schema.json), the raw entries it admits, positions of
// nodes in a file, and choosing an entry's value for the environment.

export const pointerOf = (segments: readonly PathSegment[]): string =>
  segments.map((s) => `/${escapePointer(String(s))}`).join('');

/** Position of the node at a pointer, or of its nearest ancestor. */
export function posAt(file: ParsedFile, pointer: string): SourcePos {
  const { pos: located } = file.located();
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const pos = located.get(p);
    if (pos) return pos;
    if (p === '') return { file: file.file, line: 1, col: 1 };
  }
}

/** `file:line:col`, for messages that point at a second place. */
export const where = (pos: SourcePos): string => `${pos.file}:${pos.line}:${pos.col}`;

export interface RawEntry {
  name: string;
  value?: unknown;
  values?: Record<string, { value: unknown }>;
  description?: string;
  sensitive?: boolean;
}
export interface RawResource {
  name: string;
  type: string;
  description?: string;
  props?: RawEntry[];
  protected?: boolean;
  ignoreChanges?: string[];
  deletionPolicy?: 'delete' | 'abandon';
  dependsOn?: string[];
}
export interface RawManifest {
  version: 1;
  name?: string;
  description?: string;
  globals?: RawEntry[];
  resources?: RawResource[];
}
/**
 * A file that can be built from: its value has the manifest's shape except in the entries
 * `skipped` names (`/resources/3`, `/globals/0`, `/name`, or a whole `/resources` list), whose
 * shape problems were reported. The rest of the file is built and validated, so one bad entry
 * does not hide the problems of the others.
 */
export type ShapedFile = ParsedFile & { value: RawManifest; skipped: ReadonlySet<string> };
/** Where a resource was written: its file and the pointer of its entry there. */
export interface Origin {
  file: ShapedFile;
  pointer: string;
}

/** The entries of a file's `resources` or `globals` list that passed the shape check, with their pointers. */
export function usableEntries<K extends 'resources' | 'globals'>(
  file: ShapedFile,
  list: K,
): { entry: NonNullable<RawManifest[K]>[number]; pointer: string }[] {
  const entries = file.value[list];
  if (!Array.isArray(entries) || file.skipped.has(`/${list}`)) return [];
  return entries.flatMap((entry, i) => (file.skipped.has(`/${list}/${i}`) ? [] : [{ entry, pointer: `/${list}/${i}` }]));
}

/** The manifest's shape problems of a file, and the file to build from (none when its value is not a mapping). */
export function checkShape(file: ParsedFile): { problems: Problem[]; shaped?: ShapedFile } {
  const { value } = file;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'a list' : `a ${typeof value === 'string' ? 'text' : typeof value} value`;
    return { problems: [{ pos: posAt(file, ''), message: `expected a mapping with version, name and resources, got ${got}` }] };
  }
  const validate = compile(manifestSchema());
  const skipped = new Set<string>();
  const shaped: ShapedFile = Object.assign(file, { value: value as RawManifest, skipped });
  if (validate(value)) return { problems: [], shaped };
  const resources = (value as { resources?: unknown }).resources;
  const problems = schemaIssues(validate.errors ?? [], value).map((issue) => {
    const pointer = pointerOf(issue.segments);
    const keyPos = issue.field !== undefined ? file.located().keyPos.get(pointerOf([...issue.segments, issue.field])) : undefined;
    const pos = keyPos ?? posAt(file, pointer);
    const [top, index, field] = issue.segments;
    // The entry the problem is in is left out of the build; a problem of the file's top level
    // (an unknown key, the version) leaves everything else usable.
    if (top === 'resources' || top === 'globals') skipped.add(typeof index === 'number' ? `/${top}/${index}` : `/${top}`);
    else if (top === 'name' || top === 'description') skipped.add(`/${top}`);
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
  return { problems, shaped };
}

export interface Selected {
  value: unknown;
  pointer: string;
}

/** The entry's value for the environment: `value`, or `values[env]`, or `values.default`. */
export function selectValue(file: ParsedFile, entry: RawEntry, pointer: string, env: string | undefined): Selected | Problem {
  if (entry.values === undefined) return { value: entry.value, pointer: `${pointer}/value` };
  const envs = Object.keys(entry.values);
  const chosen = env !== undefined && Object.hasOwn(entry.values, env) ? env : Object.hasOwn(entry.values, 'default') ? 'default' : undefined;
  if (chosen !== undefined) {
    return { value: entry.values[chosen].value, pointer: `${pointer}/values/${escapePointer(chosen)}/value` };
  }
  const named = envs.join(', ');
  return {
    pos: posAt(file, `${pointer}/values`),
    message:
      env === undefined
        ? `"${entry.name}" has per-environment values (${named}): pass --env, or add a "default" entry`
        : `"${entry.name}" has no value for environment "${env}" (has ${named}; add a "default" entry to cover others)`,
  };
}

export const isProblem = (x: Selected | Problem): x is Problem => 'message' in x;
