import type { ErrorObject } from 'ajv';
import { compile, type SchemaNode } from '../schema/registry.js';
import { canonicalDuration, canonicalTimestamp } from '../schema/formats.js';
import { ApiFailure, badRequest } from './errors.js';

/**
 * Request and resource bodies seen through their JSON Schema (schemas/): Output-only fields
 * dropped from input, validation with Google's error wording, and the proto3 JSON form the
 * real API answers with (int64 as strings, canonical durations and timestamps, default values
 * left out).
 */

type Json = Record<string, unknown>;

function deref(root: SchemaNode, node: SchemaNode): SchemaNode {
  for (let hops = 0; typeof node.$ref === 'string' && hops < 32; hops++) {
    const ref = node.$ref;
    node = ref === '#' ? root : ((root.$defs as Record<string, SchemaNode>)[ref.slice('#/$defs/'.length)] ?? {});
  }
  return node;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Schemas with no Output only field anywhere below them, by root: not walked into. */
const readOnlyFree = new WeakMap<SchemaNode, WeakMap<SchemaNode, boolean>>();

function holdsNoReadOnly(root: SchemaNode, node: SchemaNode): boolean {
  let known = readOnlyFree.get(root);
  if (!known) readOnlyFree.set(root, (known = new WeakMap()));
  let free = known.get(node);
  if (free === undefined) known.set(node, (free = scanForReadOnly(root, node, new Set())));
  return free;
}

/** Follows what stripReadOnly follows; each schema is seen once, so a cycle is decided by the rest of it. */
function scanForReadOnly(root: SchemaNode, node: SchemaNode, seen: Set<SchemaNode>): boolean {
  const schema = deref(root, node);
  if (seen.has(schema)) return true;
  seen.add(schema);
  if (schema.items && !scanForReadOnly(root, schema.items as SchemaNode, seen)) return false;
  const props = schema.properties as Record<string, SchemaNode> | undefined;
  if (props) return Object.values(props).every((p) => p.readOnly !== true && scanForReadOnly(root, p, seen));
  return !isObject(schema.additionalProperties) || scanForReadOnly(root, schema.additionalProperties as SchemaNode, seen);
}

/** The properties of a message schema that are Output only or hold such fields: the only ones looked at. */
const strippedProps = new WeakMap<SchemaNode, WeakMap<SchemaNode, [string, SchemaNode][]>>();

function propsToStrip(root: SchemaNode, schema: SchemaNode, props: Record<string, SchemaNode>): [string, SchemaNode][] {
  let known = strippedProps.get(root);
  if (!known) strippedProps.set(root, (known = new WeakMap()));
  let list = known.get(schema);
  if (!list) known.set(schema, (list = Object.entries(props).filter(([, p]) => p.readOnly === true || !holdsNoReadOnly(root, p))));
  return list;
}

/** Removes every field the schema marks Output only: the real API ignores them on input. */
export function stripReadOnly(root: SchemaNode, value: unknown, node: SchemaNode = root): void {
  if (typeof value === 'object' && value !== null && holdsNoReadOnly(root, node)) return;
  const schema = deref(root, node);
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) stripReadOnly(root, item, schema.items as SchemaNode);
    return;
  }
  if (!isObject(value)) return;
  const props = schema.properties as Record<string, SchemaNode> | undefined;
  if (props) {
    for (const [key, prop] of propsToStrip(root, schema, props)) {
      if (!Object.hasOwn(value, key)) continue;
      if (prop.readOnly === true) delete value[key];
      else stripReadOnly(root, value[key], prop);
    }
  } else if (isObject(schema.additionalProperties)) {
    for (const v of Object.values(value)) stripReadOnly(root, v, schema.additionalProperties as SchemaNode);
  }
}

export const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `/jobSpec/workerPoolSpecs/0` under `custom_job` → `custom_job.job_spec.worker_pool_specs[0]`. */
function fieldPath(prefix: string, pointer: string, extra?: string): string {
  let out = prefix;
  const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segs.push(extra);
  for (const seg of segs) {
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${snake(seg)}` : snake(seg);
  }
  return out;
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const seg of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function protoTypeOf(err: ErrorObject): string {
  const schema = (err.parentSchema ?? {}) as SchemaNode;
  if (Array.isArray(schema.enum)) return 'TYPE_ENUM';
  const fmt = schema.format;
  if (fmt === 'int64' || fmt === 'uint64' || fmt === 'int32' || fmt === 'uint32') return `TYPE_${fmt.toUpperCase()}`;
  if (fmt === 'double' || fmt === 'float') return `TYPE_${fmt.toUpperCase()}`;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'boolean') return 'TYPE_BOOL';
  if (type === 'object' || type === 'array') return 'TYPE_MESSAGE';
  return `TYPE_${String(type ?? 'string').toUpperCase()}`;
}

export interface CheckOptions {
  /** Name of the request field that holds the body (`tensorboard_run`); empty for a request message. */
  requestField: string;
  /** A patch: fields the schema requires may be left out. */
  partial?: boolean;
}

/**
 * Validates a body against its schema; throws INVALID_ARGUMENT naming each offending field the way
 * Google does: JSON parse errors first (unknown names, wrong types), then required fields.
 */
export function checkBody(schema: SchemaNode, body: unknown, opts: CheckOptions): void {
  const validate = compile(schema);
  if (validate(body)) return;
  const unknown: { field: string; description: string }[] = [];
  const invalid: { field: string; description: string }[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const err of validate.errors ?? []) {
    // Label rules are not JSON parse errors for Google: its label check answers them, in its words.
    if (isLabelRule(err)) continue;
    if (err.keyword === 'additionalProperties') {
      const name = (err.params as { additionalProperty: string }).additionalProperty;
      const at = fieldPath(opts.requestField, err.instancePath);
      const description = `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`;
      if (!seen.has(description)) unknown.push({ field: at, description });
      seen.add(description);
    } else if (err.keyword === 'required') {
      if (opts.partial) continue;
      const field = fieldPath(opts.requestField, err.instancePath, (err.params as { missingProperty: string }).missingProperty);
      if (!seen.has(field)) missing.push(field);
      seen.add(field);
    } else if (err.keyword !== 'anyOf' && err.keyword !== 'oneOf' && err.keyword !== 'if') {
      const field = fieldPath(opts.requestField, err.instancePath);
      if (seen.has(field)) continue;
      seen.add(field);
      const value = JSON.stringify(valueAt(body, err.instancePath));
      invalid.push({ field, description: `Invalid value at '${field}' (${protoTypeOf(err)}), ${value}` });
    }
  }
  const parseErrors = [...unknown, ...invalid];
  if (parseErrors.length) {
    throw new ApiFailure('INVALID_ARGUMENT', parseErrors.map((v) => v.description).join('\n'), {
      details: [badRequest(parseErrors)],
    });
  }
  if (missing.length) throw requiredFieldsMissing(missing);
}

function isLabelRule(err: ErrorObject): boolean {
  const parent = err.parentSchema as SchemaNode | undefined;
  return err.keyword === 'propertyNames' || err.keyword === 'maxProperties' || err.propertyName !== undefined || typeof parent?.['x-rule'] === 'string';
}

/** Vertex AI's wording for missing required fields. */
export function requiredFieldsMissing(fields: string[]): ApiFailure {
  const list = fields.map((f, i) => `${i + 1}.Field: ${f}; Message: Required field is not set.`).join('\t');
  return new ApiFailure('INVALID_ARGUMENT', `List of found errors:\t${list}\t`, {
    details: [badRequest(fields.map((field) => ({ field, description: 'Required field is not set.' })))],
  });
}

/**
 * The value as the real API would store and return it (proto3 JSON): int64 as decimal strings,
 * canonical durations and timestamps, and scalars at their default (`""`, `0`, `false`), empty
 * lists and empty maps left out.
 */
export function canonicalize(root: SchemaNode, value: unknown, node: SchemaNode = root): unknown {
  const schema = deref(root, node);
  if (Array.isArray(value)) {
    return schema.items ? value.map((v) => canonicalize(root, v, schema.items as SchemaNode)) : value;
  }
  if (isObject(value)) {
    const props = schema.properties as Record<string, SchemaNode> | undefined;
    const mapOf = isObject(schema.additionalProperties) ? (schema.additionalProperties as SchemaNode) : undefined;
    if (!props && !mapOf) return value;
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const child = props ? props[k] : mapOf;
      if (!child) {
        out[k] = v;
        continue;
      }
      const c = canonicalize(root, v, child);
      // Map values keep their defaults (a label may be ""); message fields do not.
      if (props && isDefault(c, deref(root, child))) continue;
      out[k] = c;
    }
    return out;
  }
  const format = schema.format;
  if ((format === 'int64' || format === 'uint64') && (typeof value === 'number' || typeof value === 'string')) {
    return /^-?\d+$/.test(String(value)) ? BigInt(value).toString() : value;
  }
  if (format === 'google-duration' && typeof value === 'string') return canonicalDuration(value);
  if (format === 'google-datetime' && typeof value === 'string') return canonicalTimestamp(value);
  return value;
}

function isDefault(value: unknown, schema: SchemaNode): boolean {
  if (value === '' || value === false || value === 0 || value === null) return true;
  if (value === '0' && (schema.format === 'int64' || schema.format === 'uint64')) return true;
  // Enum zero values (`..._UNSPECIFIED`) are proto3 defaults too.
  if (Array.isArray(schema.enum) && value === schema.enum[0] && /_UNSPECIFIED$/.test(String(value))) return true;
  if (Array.isArray(value)) return value.length === 0;
  // An empty map is absent; an empty message that was set stays (`{}`).
  return isObject(value) && !schema.properties && Object.keys(value).length === 0;
}
