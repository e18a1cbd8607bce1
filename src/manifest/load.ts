import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { findKind, kindTypes } from '../kinds/index.js';
import type { KindDef } from '../kinds/types.js';
import { compile, fieldInfo, knownFields, manifestSchema } from '../schema/registry.js';
import { schemaIssues, validateProps } from '../schema/validate.js';
import { findCycles } from './dag.js';
import { childPath, escapePointer, formatPath, joinPath, parsePath, type PathSegment } from '../core/paths.js';
import { didYouMean } from '../core/suggest.js';
import { referenceForm, setOwn, substituteVariables, type VariableScope } from './template.js';
import type { DesiredResource, LoadOptions, Problem, Reference, SourcePos, Stack } from './types.js';
import { describeReadError, readManifestFile, type ParsedFile } from './yaml.js';

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

  const { stack, origins } = buildStack(parsed as ShapedFile[], opts, problems);
  if (opts.validate !== false) {
    for (const r of stack.resources) problems.push(...validateProps(r, referenceForm), ...checkIgnoreChanges(r, origins.get(r)!));
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
  const { pos: located } = file.located();
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const pos = located.get(p);
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
/** Where a resource was written: its file and the pointer of its entry there. */
interface Origin {
  file: ShapedFile;
  pointer: string;
}

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
    const keyPos = issue.field !== undefined ? file.located().keyPos.get(pointerOf([...issue.segments, issue.field])) : undefined;
    const pos = keyPos ?? posAt(file, pointer);
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

// ---------------------------------------------------------------------------------------------
// Stack header, globals, resources

const where = (pos: SourcePos): string => `${pos.file}:${pos.line}:${pos.col}`;

/** version / name / description: any file may state them; all that do must agree. */
function stackHeader(files: readonly ShapedFile[], problems: Problem[]): { name: string; description?: string } {
  const agreed: Partial<Record<'name' | 'description', { value: string; file: ParsedFile }>> = {};
  for (const file of files) {
    for (const key of ['name', 'description'] as const) {
      const value = file.value[key];
      if (value === undefined) continue;
      const first = agreed[key];
      if (!first) agreed[key] = { value, file };
      else if (first.value !== value) {
        const firstPos = where(posAt(first.file, `/${key}`));
        problems.push({ pos: posAt(file, `/${key}`), message: `stack ${key} "${value}" differs from "${first.value}" given at ${firstPos}` });
      }
    }
  }
  if (!agreed.name) {
    problems.push({ pos: posAt(files[0], ''), message: 'missing stack "name" (give it in one of the stack\'s files)' });
  }
  return { name: agreed.name?.value ?? '', description: agreed.description?.value };
}

interface Selected {
  value: unknown;
  pointer: string;
}

/** The entry's value for the environment: `value`, or `values[env]`, or `values.default`. */
function selectValue(file: ParsedFile, entry: RawEntry, pointer: string, env: string | undefined): Selected | Problem {
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

const isProblem = (x: Selected | Problem): x is Problem => 'message' in x;

interface Global {
  name: string;
  file: ParsedFile;
  pointer: string;
  selected: Selected;
  state: 'pending' | 'resolving' | 'done';
  value?: unknown;
}

function buildStack(
  files: readonly ShapedFile[],
  opts: LoadOptions,
  problems: Problem[],
): { stack: Omit<Stack, 'files'>; origins: Map<DesiredResource, Origin> } {
  const header = stackHeader(files, problems);
  const environment = opts.environment ?? process.env;
  const vars = opts.vars ?? {};

  // Addresses first: templates need them to tell `{{ a.b }}` mistakes apart.
  const addresses = new Map<string, Origin & { raw: RawResource }>();
  for (const file of files) {
    (file.value.resources ?? []).forEach((raw, i) => {
      const pointer = `/resources/${i}`;
      const first = addresses.get(raw.name);
      if (!first) addresses.set(raw.name, { file, pointer, raw });
      else {
        const firstPos = where(posAt(first.file, `${first.pointer}/name`));
        problems.push({ pos: posAt(file, `${pointer}/name`), address: raw.name, message: `duplicate resource address (first defined at ${firstPos})` });
      }
    });
  }

  const globals = new Map<string, Global>();
  for (const file of files) {
    (file.value.globals ?? []).forEach((g, i) => {
      const pointer = `/globals/${i}`;
      const first = globals.get(g.name);
      if (first) {
        problems.push({ pos: posAt(file, `${pointer}/name`), message: `duplicate global "${g.name}" (first defined at ${where(posAt(first.file, `${first.pointer}/name`))})` });
        return;
      }
      const selected = selectValue(file, g, pointer, opts.env);
      if (isProblem(selected)) problems.push(selected);
      else globals.set(g.name, { name: g.name, file, pointer, selected, state: 'pending' });
    });
  }

  const resolving: string[] = [];
  const scope: VariableScope = {
    lookup(name) {
      const g = globals.get(name);
      if (g) return { value: resolveGlobal(g) };
      if (Object.hasOwn(vars, name)) return { value: vars[name] };
      const fromEnv = environment[name];
      return fromEnv === undefined ? undefined : { value: fromEnv };
    },
    unsetMessage(name) {
      if (addresses.has(name)) return `"${name}" is a resource; reference one of its fields, e.g. {{ ${name}.name }}`;
      const hint = didYouMean(name, [...globals.keys(), ...Object.keys(vars)]);
      return `unset variable "${name}"${hint}: define a global, pass --var ${name}=…, or set the environment variable`;
    },
  };
  function resolveGlobal(g: Global): unknown {
    if (g.state === 'done') return g.value;
    if (g.state === 'resolving') {
      const cycle = [...resolving.slice(resolving.indexOf(g.name)), g.name].join(' -> ');
      problems.push({ pos: posAt(g.file, g.selected.pointer), message: `global "${g.name}" refers to itself: ${cycle}` });
      return g.selected.value;
    }
    g.state = 'resolving';
    resolving.push(g.name);
    g.value = substituteVariables(g.selected.value, scope, (path, message) => {
      problems.push({ pos: posAt(g.file, g.selected.pointer + pointerOf(path)), message });
    });
    resolving.pop();
    g.state = 'done';
    return g.value;
  }
  // Every global is checked, used or not: an unset variable in one is a mistake either way.
  for (const g of globals.values()) resolveGlobal(g);

  const origins = new Map<DesiredResource, Origin>();
  for (const { file, pointer, raw } of addresses.values()) {
    origins.set(buildResource(file, raw, pointer, opts.env, scope, problems), { file, pointer });
  }
  const resources = [...origins.keys()];
  linkReferences(origins, problems);
  return { stack: { version: 1, name: header.name, description: header.description, env: opts.env, resources }, origins };
}

function buildResource(
  file: ShapedFile,
  raw: RawResource,
  pointer: string,
  env: string | undefined,
  scope: VariableScope,
  problems: Problem[],
): DesiredResource {
  const kind = findKind(raw.type) as KindDef; // the manifest schema admits known types only
  const address = raw.name;
  const entries = raw.props ?? [];
  const props: Record<string, unknown> = {};
  const sensitive: string[] = [];
  // Each entry's prop name and the references in its value, by entry index (the first entry of
  // a name gives the prop). Pointers are spelled out only for problems and positions.
  const names: string[] = [];
  const refsOf: (Reference[] | undefined)[] = [];
  const entryPointer = (j: number): string => `${pointer}/props/${j}`;
  for (let j = 0; j < entries.length; j++) {
    const entry = entries[j];
    // The seeds' manifests name the id by its create parameter (notebookExecutionJobId).
    const name = entry.name === kind.createIdParam ? kind.idProp : entry.name;
    const first = names.indexOf(name);
    names.push(name);
    if (first !== -1) {
      const also = name === entry.name ? '' : ` (as "${entry.name}")`;
      const firstPos = where(posAt(file, `${entryPointer(first)}/name`));
      problems.push({ pos: posAt(file, `${entryPointer(j)}/name`), address, message: `prop "${name}" is given twice${also}; first at ${firstPos}` });
      continue;
    }
    const selected = selectValue(file, entry, entryPointer(j), env);
    if (isProblem(selected)) {
      problems.push({ ...selected, address });
      continue;
    }
    let found: Reference[] | undefined;
    const value = substituteVariables(
      selected.value,
      scope,
      (path, message) => {
        const at = posAt(file, selected.pointer + pointerOf(path));
        problems.push({ pos: at, address, message: `${joinPath('props', formatPath([name, ...path]))}: ${message}` });
      },
      (path, target, field) => (found ??= []).push({ path: formatPath([name, ...path]), address: target, field }),
    );
    setOwn(props, name, value);
    refsOf[j] = found;
    if (entry.sensitive) sensitive.push(name);
  }
  // As findReferences(props) would list them: in props order, which puts integer-like names first.
  const refs: Reference[] = [];
  for (const name in props) {
    const found = refsOf[names.indexOf(name)];
    if (found) refs.push(...found);
  }
  const resource = {
    address,
    type: raw.type,
    kind,
    props,
    protected: raw.protected ?? false,
    ignoreChanges: raw.ignoreChanges ?? [],
    deletionPolicy: raw.deletionPolicy ?? 'delete',
    dependsOn: raw.dependsOn ?? [],
    refs,
    sensitive,
  } as unknown as DesiredResource;
  // Positions cost a second parse of the file: computed only when someone reads them, from the
  // entries again (keeping what they need from the first pass costs more than redoing it).
  let located: Located | undefined;
  locators.set(resource, () => {
    if (located) return located;
    const keyPos = file.located().keyPos;
    const pos = posAt(file, `${pointer}/name`);
    const positions: Record<string, SourcePos> = { '': keyPos.get(`${pointer}/props`) ?? pos };
    const namePositions: Record<string, SourcePos> = {};
    entries.forEach((entry, j) => {
      const name = names[j];
      if (names.indexOf(name) !== j) return;
      namePositions[name] = posAt(file, `${entryPointer(j)}/name`);
      const selected = selectValue(file, entry, entryPointer(j), env);
      if (!isProblem(selected)) recordPositions(file, selected.value, selected.pointer, name, positions, namePositions);
    });
    return (located = { pos, positions, namePositions });
  });
  Object.defineProperties(resource, LAZY_POSITIONS);
  return resource;
}

type Located = Required<Pick<DesiredResource, 'pos' | 'positions' | 'namePositions'>>;
const locators = new WeakMap<object, () => Located>();

/** Own getters (so spreading a resource copies them) that compute on first read, then settle. */
const LAZY_POSITIONS: PropertyDescriptorMap = Object.fromEntries(
  (['pos', 'positions', 'namePositions'] as const).map((key) => {
    const settle = (obj: object, value: unknown): void => {
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    };
    const descriptor: PropertyDescriptor = {
      enumerable: true,
      configurable: true,
      get(this: object) {
        const value = locators.get(this)!()[key];
        settle(this, value);
        return value;
      },
      set(this: object, value: unknown) {
        settle(this, value);
      },
    };
    return [key, descriptor];
  }),
);

/** Positions of a prop value and everything inside it, by prop path. */
function recordPositions(
  file: ParsedFile,
  value: unknown,
  pointer: string,
  path: string,
  positions: Record<string, SourcePos>,
  namePositions: Record<string, SourcePos>,
): void {
  positions[path] = posAt(file, pointer);
  if (Array.isArray(value)) {
    value.forEach((v, i) => recordPositions(file, v, `${pointer}/${i}`, childPath(path, i), positions, namePositions));
  } else if (value !== null && typeof value === 'object') {
    const keyPos = file.located().keyPos;
    for (const [k, v] of Object.entries(value)) {
      const child = `${pointer}/${escapePointer(k)}`;
      const childPropPath = childPath(path, k);
      const pos = keyPos.get(child);
      if (pos) namePositions[childPropPath] = pos;
      recordPositions(file, v, child, childPropPath, positions, namePositions);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// References and the DAG

function linkReferences(origins: Map<DesiredResource, Origin>, problems: Problem[]): void {
  const resources = [...origins.keys()];
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  for (const r of resources) {
    for (const ref of r.refs) {
      const target = byAddress.get(ref.address);
      const problem = target
        ? missingField(target, ref.field)
        : `unknown resource address "${ref.address}"${didYouMean(ref.address, byAddress.keys())}`;
      if (problem) {
        problems.push({ pos: r.positions[ref.path] ?? r.pos, address: r.address, message: `${joinPath('props', ref.path)}: ${problem}` });
      }
    }
    const explicit = r.dependsOn;
    explicit.forEach((dep, k) => {
      if (byAddress.has(dep)) return;
      const { file, pointer } = origins.get(r)!;
      problems.push({
        pos: posAt(file, `${pointer}/dependsOn/${k}`),
        address: r.address,
        message: `dependsOn: unknown resource address "${dep}"${didYouMean(dep, byAddress.keys())}`,
      });
    });
    const dependsOn = new Set(explicit);
    for (const ref of r.refs) dependsOn.add(ref.address);
    r.dependsOn = [...dependsOn];
  }
  propagateSensitive(resources, byAddress);
  problems.push(...findCycles(resources));
}

/** A prop that references a sensitive prop holds the secret once resolved: it is sensitive too. */
function propagateSensitive(resources: readonly DesiredResource[], byAddress: Map<string, DesiredResource>): void {
  if (!resources.some((r) => r.sensitive.length > 0)) return;
  const topOf = (path: string): string => String(parsePath(path)?.[0] ?? path);
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of resources) {
      for (const ref of r.refs) {
        if (!byAddress.get(ref.address)?.sensitive.includes(topOf(ref.field))) continue;
        const prop = topOf(ref.path);
        if (!r.sensitive.includes(prop)) {
          r.sensitive.push(prop);
          changed = true;
        }
      }
    }
  }
}

/**
 * Why `{{ target.field }}` cannot be answered, or undefined if it can: `name` (the full
 * resource name), the kind's id prop, and any prop the target sets (nested paths too).
 */
function missingField(target: DesiredResource, field: string): string | undefined {
  // Fields come from the template grammar, so a one-segment path is written as the bare name.
  if (field === 'name' || field === target.kind.idProp) return undefined;
  const segments = parsePath(field);
  if (!segments) return `invalid field "${field}" in a reference to "${target.address}"`;
  let cur: unknown = target.props;
  for (let i = 0; i < segments.length; i++) {
    // Past a value that is itself a reference, the shape is only known after apply.
    if (typeof cur === 'string' && cur.includes('{{')) return undefined;
    const seg = segments[i];
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) {
      const candidates = cur !== null && typeof cur === 'object' ? Object.keys(cur) : [];
      if (i === 0) candidates.push('name', target.kind.idProp);
      const hint = typeof seg === 'string' ? didYouMean(seg, candidates) : '';
      return `resource "${target.address}" has no field "${field}"${hint}`;
    }
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// ignoreChanges: paths must name fields of the kind

function checkIgnoreChanges(r: DesiredResource, { file, pointer }: Origin): Problem[] {
  const problems: Problem[] = [];
  r.ignoreChanges.forEach((path, k) => {
    const pos = posAt(file, `${pointer}/ignoreChanges/${k}`);
    const segments = parsePath(path);
    if (!segments) {
      problems.push({ pos, address: r.address, message: `ignoreChanges: invalid field path "${path}"` });
      return;
    }
    if (r.kind.virtualProps.includes(String(segments[0]))) return;
    const strings = segments.map(String);
    if (fieldInfo(r.type, strings)) return;
    // Find the first segment that does not exist, to suggest its neighbours.
    let n = 1;
    while (n < strings.length && fieldInfo(r.type, strings.slice(0, n))) n++;
    const bad = strings[n - 1];
    const hint = didYouMean(bad, knownFields(r.type, strings.slice(0, n - 1)));
    problems.push({ pos, address: r.address, message: `ignoreChanges: "${path}" is not a field of ${r.type}${hint}` });
  });
  return problems;
}
