import type { ErrorObject } from 'ajv';
import type { KindDef } from '../kinds/types.js';
import { formatPath, joinPath, valueAt, type PathSegment } from '../core/paths.js';
import { didYouMean } from '../core/suggest.js';
import type { Problem, SourcePos } from '../core/errors.js';
import { compile, kindSchema, messageSchema, type SchemaNode } from './registry.js';

/**
 * Schema validation with messages people can act on: ajv errors become one line each, with
 * the prop path, "did you mean" for misspelt names and enum values, and "output-only" for
 * fields the server sets.
 */

/** One schema problem, located by path in the validated value. */
export interface SchemaIssue {
  /** Path of the value the message is about (for an unknown field: the object holding it). */
  segments: PathSegment[];
  /** The field whose name to point at (unknown and output-only fields). */
  field?: string;
  message: string;
  keyword: string;
}

const FORMAT_HINTS: Record<string, string> = {
  'google-datetime': 'must be an RFC 3339 timestamp like "2024-05-01T12:00:00Z"',
  'google-duration': 'must be a duration in seconds like "3600s"',
  'google-fieldmask': 'must be a comma-separated list of field paths',
  byte: 'must be base64 text',
  int64: `must be a whole number (or a string of digits) from ${-(2n ** 63n)} to ${2n ** 63n - 1n}`,
  uint64: `must be a whole non-negative number (or a string of digits) up to ${2n ** 64n - 1n}`,
  double: 'must be a number, or a string holding a number, NaN or ±Infinity',
  float: 'must be a number, or a string holding a number, NaN or ±Infinity',
  int32: 'must be a 32-bit whole number',
  uint32: 'must be a 32-bit whole non-negative number',
};

/** Turns ajv errors into one issue per real problem (anyOf/oneOf noise collapsed, duplicates dropped). */
export function schemaIssues(errors: readonly ErrorObject[], data: unknown): SchemaIssue[] {
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const insideAlternative = (e: ErrorObject): boolean =>
    alternatives.some((a) => a !== e && e.schemaPath.startsWith(`${a.schemaPath}/`));
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // propertyNames reports the inner failure too; the outer error says it better.
    // `if`: the then/else branch that failed says what is wrong.
    if (insideAlternative(e) || e.keyword === 'if' || (e.propertyName !== undefined && e.keyword !== 'propertyNames')) continue;
    const segments = pointerSegments(e.instancePath, data);
    const issue =
      e.keyword === 'oneOf' || e.keyword === 'anyOf'
        ? alternativeIssue(e, errors, segments)
        : singleIssue(e, segments, data);
    const key = `${formatPath(issue.segments)}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

function singleIssue(e: ErrorObject, segments: PathSegment[], data: unknown): SchemaIssue {
  const parent = e.parentSchema as SchemaNode | undefined;
  const params = e.params as Record<string, unknown>;
  const base = { segments, keyword: e.keyword };
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const props = (parent?.properties ?? {}) as Record<string, unknown>;
      const known = Object.keys(props).filter((k) => props[k] !== false);
      return { ...base, field: name, message: `unknown field "${name}"${didYouMean(name, known)}` };
    }
    case 'false schema': {
      const name = String(segments[segments.length - 1]);
      return { ...base, segments: segments.slice(0, -1), field: name, message: `"${name}" is output-only (set by the server); remove it` };
    }
    case 'required': {
      // A rule the schema states in words (the manifest's "value" or "values").
      const rule = parent?.['x-rule'];
      return { ...base, message: typeof rule === 'string' ? rule : `missing required field "${String(params.missingProperty)}"` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const value = valueAt(data, segments);
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
      return { ...base, message: `must be one of ${allowed.join(', ')}${hint}` };
    }
    case 'const':
      return { ...base, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'type': {
      const format = parent?.format;
      if (format === 'int64' || format === 'uint64' || format === 'double' || format === 'float') return { ...base, message: FORMAT_HINTS[format] };
      const types = ([] as string[]).concat(params.type as string | string[]);
      return { ...base, message: `must be ${types.join(' or ')}` };
    }
    case 'format':
      return { ...base, message: FORMAT_HINTS[String(params.format)] ?? `must be a valid ${String(params.format)}` };
    case 'pattern': {
      const format = typeof parent?.format === 'string' ? parent.format : undefined;
      const hint = format ? FORMAT_HINTS[format] : undefined;
      const rule = typeof parent?.['x-rule'] === 'string' ? parent['x-rule'] : undefined;
      // Every pattern of ours carries its rule in words (test/schemas.test.ts); a raw regex is no message.
      return { ...base, message: rule ?? hint ?? 'is not in the form this field takes' };
    }
    case 'minimum':
    case 'maximum':
      return { ...base, message: limitMessage(parent, e) };
    case 'minLength':
      return { ...base, message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters` };
    case 'minProperties':
    case 'minItems':
      return { ...base, message: params.limit === 1 ? 'must not be empty' : (e.message ?? 'too few entries') };
    case 'not': {
      // A rule the schema states in words (the manifest's "value" or "values", not both).
      const rule = parent?.['x-rule'];
      return { ...base, message: typeof rule === 'string' ? rule : (e.message ?? 'must not match') };
    }
    case 'propertyNames':
      const rule = (parent?.propertyNames as SchemaNode | undefined)?.['x-rule'];
      return { ...base, message: `invalid key "${String(params.propertyName)}"${typeof rule === 'string' ? `: ${rule}` : ''}` };
    default:
      return { ...base, message: e.message ?? `fails "${e.keyword}"` };
  }
}

/** A number outside its limits: for int64s and doubles, which form holds the value instead. */
function limitMessage(parent: SchemaNode | undefined, e: ErrorObject): string {
  const format = parent?.format;
  if (format === 'int64' || format === 'uint64') {
    return `${FORMAT_HINTS[format]}; beyond ±${Number.MAX_SAFE_INTEGER} write it as a string of digits (a number that large is not exact)`;
  }
  if (format === 'double' || format === 'float') return 'must be a finite number; write NaN, Infinity or -Infinity as a string';
  return e.message ?? `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String((e.params as { limit: unknown }).limit)}`;
}

/**
 * oneOf/anyOf: one line instead of one per branch. The manifest uses them for "value or
 * values"; when every branch is a `required`, name the fields.
 */
function alternativeIssue(e: ErrorObject, errors: readonly ErrorObject[], segments: PathSegment[]): SchemaIssue {
  const base = { segments, keyword: e.keyword };
  const branches = ((e.parentSchema as SchemaNode | undefined)?.[e.keyword] ?? []) as SchemaNode[];
  const requiredNames = branches.map((b) =>
    Object.keys(b).length === 1 && Array.isArray(b.required) && b.required.length === 1 ? String(b.required[0]) : undefined,
  );
  const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
  if (requiredNames.every((n) => n !== undefined)) {
    const names = requiredNames.map((n) => `"${n}"`).join(' or ');
    return { ...base, message: passing ? `give ${names}, not more than one` : `missing ${names}` };
  }
  if (passing) return { ...base, message: `matches more than one of its ${branches.length} allowed forms` };
  const inner = errors
    .filter((x) => x !== e && x.schemaPath.startsWith(`${e.schemaPath}/`) && x.instancePath === e.instancePath)
    .map((x) => x.message)
    .filter((m): m is string => !!m);
  return { ...base, message: inner.length ? [...new Set(inner)].join(', or ') : 'matches none of its allowed forms' };
}

/** JSON pointer → path segments, numbers where the data holds a list. */
function pointerSegments(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let cur = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(key));
      cur = cur[Number(key)];
    } else {
      out.push(key);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}


// ---------------------------------------------------------------------------------------------
// Props of one resource

const propsSchemas = new Map<string, SchemaNode>();

function propsSchema(kind: KindDef): SchemaNode {
  let schema = propsSchemas.get(kind.type);
  if (!schema) {
    schema = propsSchemaOf(kind, kindSchema(kind.type), messageSchema);
    propsSchemas.set(kind.type, schema);
  }
  return schema;
}

/** A resource id in a name (project, location, parent and server-chosen ids), in general terms. */
const PARENT_ID: SchemaNode = {
  minLength: 1,
  pattern: '^[A-Za-z0-9_][A-Za-z0-9._:~-]*$',
  'x-rule': 'an id holds letters, digits, and . _ : ~ - only (no spaces, slashes or control characters)',
};

/**
 * The schema of a resource's props: the kind's body plus its parent ids, its own id and its
 * virtual props; output-only fields become `false` so setting one is an error of its own.
 * Takes the schemas it builds on, for the generator, which precompiles it before they are written.
 */
export function propsSchemaOf(kind: KindDef, body: SchemaNode, messageSchema: (id: string) => SchemaNode): SchemaNode {
  const defs: Record<string, SchemaNode> = { ...((body.$defs ?? {}) as Record<string, SchemaNode>) };
  const properties: Record<string, SchemaNode> = { ...((body.properties ?? {}) as Record<string, SchemaNode>) };
  // Ids become URL path segments: a newline or a slash in one (say from --var) is refused here,
  // where the value is used, like any other prop.
  for (const p of kind.parentProps) properties[p] = { type: 'string', ...PARENT_ID };
  properties[kind.idProp] = { type: 'string', ...(kind.idPattern ? { minLength: 1, pattern: kind.idPattern.source } : PARENT_ID) };
  for (const [name, spec] of Object.entries(kind.virtualPropSchemas ?? {})) {
    if ('schema' in spec) {
      properties[name] = spec.schema;
      continue;
    }
    // The message becomes one of our $defs; `$schema` is only allowed at a schema's root.
    const { $defs, $schema: _root, ...message } = messageSchema(spec.listOf);
    Object.assign(defs, $defs as Record<string, SchemaNode> | undefined);
    defs[spec.listOf] = message;
    const list = { type: 'array', items: { $ref: `#/$defs/${spec.listOf}` } };
    properties[name] = spec.orSource ? { if: { type: 'array' }, then: list, else: DATA_SOURCE_SCHEMA } : list;
  }
  const required = [
    ...((body.required ?? []) as string[]),
    ...kind.parentProps,
    ...(kind.idChosenBy === 'client' ? [kind.idProp] : []),
  ];
  return withOutputOnlyForbidden({
    type: 'object',
    properties,
    required,
    additionalProperties: false,
    $defs: defs,
  });
}

/** A data file in place of a list (a time series' dataPoints): checked further by the kind's reader. */
const DATA_SOURCE_SCHEMA: SchemaNode = {
  type: 'object',
  properties: { file: { type: 'string', minLength: 1 }, tag: { type: 'string', minLength: 1 } },
  required: ['file'],
  additionalProperties: false,
};

/** A copy of the schema in which every readOnly property schema is `false`. */
function withOutputOnlyForbidden(node: SchemaNode): SchemaNode {
  const out: SchemaNode = { ...node };
  const mapValues = (m: unknown, forbidReadOnly: boolean): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(m as Record<string, SchemaNode>).map(([k, v]) => [
        k,
        forbidReadOnly && v.readOnly === true ? false : withOutputOnlyForbidden(v),
      ]),
    );
  if (node.properties) out.properties = mapValues(node.properties, true);
  if (node.$defs) out.$defs = mapValues(node.$defs, false);
  if (node.items && typeof node.items === 'object') out.items = withOutputOnlyForbidden(node.items as SchemaNode);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    out.additionalProperties = withOutputOnlyForbidden(node.additionalProperties as SchemaNode);
  }
  return out;
}

/** The parts of a loaded resource that props validation reads (the manifest's DesiredResource has them). */
export interface PropsSubject {
  address: string;
  kind: KindDef;
  props: Record<string, unknown>;
  positions: Record<string, SourcePos>;
  namePositions?: Record<string, SourcePos>;
  pos: SourcePos;
}

/**
 * How a string holds references to other resources (the template syntax is the manifest's):
 * 'whole' when it is one reference and nothing else, 'partial' when a reference is inside it.
 */
export type ReferenceClassifier = (value: string) => 'whole' | 'partial' | undefined;

/**
 * How the value at a JSON pointer holds templates (see ReferenceClassifier): a string that is
 * one whole reference is "known after apply" (no checks at all); a string with a reference
 * inside keeps only its type check. Looked up for the failed checks only, not for every value.
 */
function referenceFormAt(root: unknown, pointer: string, classify: ReferenceClassifier): 'whole' | 'partial' | undefined {
  let cur = root;
  if (pointer !== '') {
    for (const raw of pointer.slice(1).split('/')) {
      const key = raw.includes('~') ? raw.replace(/~1/g, '/').replace(/~0/g, '~') : raw;
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return typeof cur === 'string' ? classify(cur) : undefined;
}

/** Schema problems of one resource's props, each at the file:line:col where it was written. */
export function validateProps(resource: PropsSubject, classify: ReferenceClassifier): Problem[] {
  const { kind, props } = resource;
  const validate = compile(propsSchema(kind));
  if (validate(props)) return [];
  // Most failures of a valid manifest are references, known after apply: those are dropped.
  const errors: ErrorObject[] = [];
  const failed = validate.errors ?? [];
  for (let i = 0; i < failed.length; i++) {
    const e = failed[i];
    if (e.keyword !== 'false schema') {
      const form = referenceFormAt(props, e.instancePath, classify);
      if (form === 'whole' || (form === 'partial' && e.keyword !== 'type')) continue;
    }
    errors.push(e);
  }
  if (errors.length === 0) return [];
  return schemaIssues(errors, props).map((issue) => ({
    pos: positionOf(resource, issue),
    address: resource.address,
    message: `${propsLabel(issue.segments)}: ${idMessage(kind, issue) ?? issue.message}`,
  }));
}

function idMessage(kind: KindDef, issue: SchemaIssue): string | undefined {
  const isId = issue.segments.length === 1 && issue.segments[0] === kind.idProp;
  return isId && issue.keyword === 'pattern' && kind.idRule ? `not a valid id: ${kind.idRule}` : undefined;
}

function propsLabel(segments: readonly PathSegment[]): string {
  return joinPath('props', formatPath(segments));
}

/** Where the issue's field name was written, else its value, else its nearest recorded ancestor. */
function positionOf(resource: PropsSubject, { segments, field }: SchemaIssue): SourcePos {
  const named = field !== undefined ? resource.namePositions?.[formatPath([...segments, field])] : undefined;
  if (named) return named;
  for (let n = segments.length; n >= 0; n--) {
    const pos = resource.positions[formatPath(segments.slice(0, n))];
    if (pos) return pos;
  }
  return resource.pos;
}
