import type { ApiName } from '../kinds/types.js';
import { discoverySchema, enumNumbers, schemaOfTypeUrl, type DiscoverySchema } from './discovery.js';

/**
 * Enums in the two spellings Google's JSON mapping allows: names (`"SCALAR"`) and proto numbers
 * (`1`). Input may use either; with `$alt=json;enum-encoding=int` answers use numbers, as the
 * REST transport of Google's generated clients asks. Messages are walked along their discovery
 * schema; a `google.protobuf.Any` (an operation's response) along the schema its `@type` names.
 */

type Direction = 'names' | 'numbers';

function convertEnum(names: string[], value: unknown, to: Direction): unknown {
  const numbers = enumNumbers(names);
  if (to === 'names') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
    if (n === undefined) return value;
    const i = numbers.indexOf(n);
    // An unknown number stays as sent: the body check rejects it, naming the field.
    return i >= 0 ? names[i] : value;
  }
  if (typeof value !== 'string') return value;
  const i = names.indexOf(value);
  return i >= 0 ? numbers[i] : value;
}

/** Schemas whose values hold no enum (nor an Any, whose type may have one): not walked into. */
const enumFree = new WeakMap<DiscoverySchema, boolean>();

function holdsNoEnum(api: ApiName, schema: DiscoverySchema): boolean {
  let known = enumFree.get(schema);
  if (known === undefined) enumFree.set(schema, (known = scanForEnums(api, schema, new Set())));
  return known;
}

/** Whether no enum is reachable; each schema is seen once, so a cycle is decided by the rest of it. */
function scanForEnums(api: ApiName, schema: DiscoverySchema, seen: Set<DiscoverySchema>): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  if (schema.$ref) {
    const target = discoverySchema(api, schema.$ref);
    return !target || scanForEnums(api, target, seen);
  }
  if (schema.enum) return false;
  if (schema.items) return scanForEnums(api, schema.items, seen);
  if (schema.properties) return Object.values(schema.properties).every((p) => scanForEnums(api, p, seen));
  if (schema.additionalProperties) return schema.additionalProperties.type !== 'any' && scanForEnums(api, schema.additionalProperties, seen);
  return schema.type !== 'object' && schema.type !== 'any';
}

function walk(api: ApiName, schema: DiscoverySchema | undefined, value: unknown, to: Direction, depth: number): unknown {
  if (!schema || depth > 64 || value === null || value === undefined) return value;
  // Large messages (a write of thousands of metric points) are mostly enum-free.
  if (typeof value === 'object' && holdsNoEnum(api, schema)) return value;
  if (schema.$ref) return walk(api, discoverySchema(api, schema.$ref), value, to, depth + 1);
  if (schema.enum) return Array.isArray(value) ? value.map((v) => convertEnum(schema.enum!, v, to)) : convertEnum(schema.enum, value, to);
  if (Array.isArray(value)) return schema.items ? value.map((v) => walk(api, schema.items, v, to, depth + 1)) : value;
  if (typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = walk(api, schema.properties[k], v, to, depth + 1);
    return out;
  }
  if (typeof obj['@type'] === 'string') {
    const target = schemaOfTypeUrl(obj['@type']);
    return target ? walk(target.api, discoverySchema(target.api, target.id), value, to, depth + 1) : value;
  }
  if (schema.additionalProperties && schema.additionalProperties.type !== 'any') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = walk(api, schema.additionalProperties, v, to, depth + 1);
    return out;
  }
  return value;
}

/** The message with every enum given by number turned into its name (input from REST clients). */
export function enumsToNames(api: ApiName, schemaId: string, value: unknown): unknown {
  return walk(api, discoverySchema(api, schemaId), value, 'names', 0);
}

/** The message with every enum as its number (answers under `enum-encoding=int`). */
export function enumsToNumbers(api: ApiName, schemaId: string, value: unknown): unknown {
  return walk(api, discoverySchema(api, schemaId), value, 'numbers', 0);
}

/** A query parameter's enum value as its name (`view=2` → `NOTEBOOK_EXECUTION_JOB_VIEW_FULL`). */
export function enumParamName(names: string[], raw: string): string {
  return String(convertEnum(names, raw, 'names'));
}
