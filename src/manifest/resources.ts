import type { Problem, SourcePos } from '../core/errors.js';
import { childPath, escapePointer, formatPath, joinPath, parsePath, type PathSegment } from '../core/paths.js';
import { didYouMean } from '../core/suggest.js';
import { findKind } from '../kinds/index.js';
import type { KindDef } from '../kinds/types.js';
import { fieldInfo, knownFields } from '../schema/registry.js';
import { isProblem, pointerOf, posAt, selectValue, where, type Origin, type RawEntry, type RawResource, type ShapedFile } from './shape.js';
import { setOwn, substituteVariables, type VariableScope } from './template.js';
import type { DesiredResource, Reference } from './types.js';
import type { ParsedFile } from './yaml.js';

// One manifest entry → one DesiredResource: props for the environment, templates, positions on demand.

export function buildResource(
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
  // The entry being read, for the two callbacks below: made once per resource, not per entry.
  let name = '';
  let at = 0;
  let selectedPointer: string | undefined;
  const report = (path: readonly PathSegment[], message: string): void => {
    const pos = posAt(file, (selectedPointer ?? `${entryPointer(at)}/value`) + pointerOf(path));
    problems.push({ pos, address, message: `${joinPath('props', formatPath([name, ...path]))}: ${message}` });
  };
  const onReference = (path: readonly PathSegment[], target: string, field: string): void => {
    (refsOf[at] ??= []).push({ path: path.length === 0 ? propPath(name) : formatPath([name, ...path]), address: target, field });
  };
  for (let j = 0; j < entries.length; j++) {
    const entry = entries[j];
    // The seeds' manifests name the id by its create parameter (notebookExecutionJobId).
    name = entry.name === kind.createIdParam ? kind.idProp : entry.name;
    const first = names.indexOf(name);
    names.push(name);
    if (first !== -1) {
      const also = name === entry.name ? '' : ` (as "${entry.name}")`;
      const firstPos = where(posAt(file, `${entryPointer(first)}/name`));
      problems.push({ pos: posAt(file, `${entryPointer(j)}/name`), address, message: `prop "${name}" is given twice${also}; first at ${firstPos}` });
      continue;
    }
    let value = entry.value;
    selectedPointer = undefined;
    if (entry.values !== undefined) {
      const selected = selectValue(file, entry, entryPointer(j), env);
      if (isProblem(selected)) {
        problems.push({ ...selected, address });
        continue;
      }
      value = selected.value;
      selectedPointer = selected.pointer;
    }
    at = j;
    setOwn(props, name, substituteVariables(value, scope, report, onReference));
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
    file: file.file,
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
  locators.set(resource, locator(file, pointer, entries, names, env));
  Object.defineProperties(resource, LAZY_POSITIONS);
  return resource;
}

/** A prop name as a path (`displayName`, `["a.b"]`): formatted once per distinct name. */
const propPaths = new Map<string, string>();
function propPath(name: string): string {
  let path = propPaths.get(name);
  if (path === undefined) {
    if (propPaths.size >= 10_000) propPaths.clear();
    propPaths.set(name, (path = formatPath([name])));
  }
  return path;
}

/**
 * Computes a resource's positions once, on first use. A function of its own, so that what each
 * resource keeps alive for it is only these arguments, not everything buildResource held (its
 * callbacks, the references by entry): 5,000 resources retain much less for the GC to copy.
 */
function locator(file: ShapedFile, pointer: string, entries: readonly RawEntry[], names: readonly string[], env: string | undefined): () => Located {
  let located: Located | undefined;
  return () => {
    if (located) return located;
    const entryPointer = (j: number): string => `${pointer}/props/${j}`;
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
  };
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

export function checkIgnoreChanges(r: DesiredResource, { file, pointer }: Origin): Problem[] {
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
