import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CodeOptions, ErrorObject, Format } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { PROJECT_ROOT } from '../core/project-root.js';
import { googleFormats } from './formats.js';

/**
 * The committed JSON Schemas (schemas/, made by scripts/generate-schemas.ts) and their
 * validators: precompiled ones from schemas/validators/ where the generator made one for exactly
 * that schema, else compiled by one shared ajv instance that knows our formats and keywords.
 */

export type SchemaNode = { [keyword: string]: unknown };

/** The package root (see src/core/project-root.ts); kept as a function for callers of the registry. */
export function packageRoot(): string {
  return PROJECT_ROOT;
}

export function schemasDir(): string {
  return join(packageRoot(), 'schemas');
}

const fileCache = new Map<string, SchemaNode>();

function load(relPath: string, what: string): SchemaNode {
  let schema = fileCache.get(relPath);
  if (!schema) {
    const file = join(schemasDir(), relPath);
    if (!existsSync(file)) throw new Error(`no schema for ${what} (${file}); run \`npm run schemas\``);
    schema = JSON.parse(readFileSync(file, 'utf8')) as SchemaNode;
    fileCache.set(relPath, schema);
  }
  return schema;
}

/** Schema of a kind's resource body, e.g. kindSchema('google.aiplatform.runs'). */
export function kindSchema(type: string): SchemaNode {
  return load(`${type}.schema.json`, `resource type "${type}"`);
}

/** Schema of an API request message by discovery id, e.g. 'GoogleCloudAiplatformV1TimeSeriesDataPoint'. */
export function messageSchema(id: string): SchemaNode {
  return load(join('api', `${id}.schema.json`), `message "${id}"`);
}

/** Schema of a manifest file. */
export function manifestSchema(): SchemaNode {
  return load('manifest.schema.json', 'the manifest format');
}

/** Schema of a plan file (`plan --out`). */
export function planFileSchemaDocument(): SchemaNode {
  return load('plan-file.schema.json', 'plan files');
}

/** What compile() returns: an ajv validator, precompiled or not. */
export type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

// For the CommonJS modules: ajv, required on first use as it is slow to load (~50 ms) and most
// runs need only precompiled validators, and those validators.
const require = createRequire(import.meta.url);

/** Every format by name, as createAjv() registers them: ajv-formats', with ours replacing its int64 and byte. */
function formats(): Record<string, Format> {
  const { fullFormats } = require('ajv-formats/dist/formats.js') as typeof import('ajv-formats/dist/formats.js');
  return { ...fullFormats, ...googleFormats };
}

/**
 * A new ajv instance with the settings every validator is made with. `code` options are for the
 * schema generator, which makes standalone code from it for schemas/validators/.
 */
export function createAjv(code: CodeOptions = {}): Ajv2020 {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  // ajv-formats is CommonJS; its module object is the plugin.
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  // verbose: errors carry parentSchema, whose description makes messages readable.
  const instance = new Ajv2020({
    allErrors: true,
    strict: true,
    // The manifest schema says "value or values" with anyOf: [{required: [value]}, ...].
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
    // The committed schemas are checked against the meta-schema by test/schemas.test.ts; skipping
    // that check and ajv's code optimiser here more than halves compile time (the generator turns
    // the optimiser back on for the precompiled validators).
    validateSchema: false,
    code: { optimize: false, ...code },
  });
  addFormats(instance);
  // Added after ajv-formats on purpose: ours replace its int64 and byte (as in formats()).
  for (const [name, def] of Object.entries(googleFormats)) instance.addFormat(name, def);
  // Annotations only (the planner and validator read them through fieldInfo).
  instance.addKeyword({ keyword: 'x-immutable', schemaType: 'boolean' });
  instance.addKeyword({ keyword: 'x-required', schemaType: 'boolean' });
  // The rule a `pattern` (or a `not`) stands for, in words, for error messages.
  instance.addKeyword({ keyword: 'x-rule', schemaType: 'string' });
  return instance;
}

let ajvInstance: Ajv2020 | undefined;

const compiled = new WeakMap<object, Validator>();

/** A validator for the schema, made once per schema object. */
export function compile(schema: object): Validator {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = precompiledValidator(schema) ?? (ajvInstance ??= createAjv()).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

// ---------------------------------------------------------------------------------------------
// Precompiled validators: compiling the schemas takes longer than validating a large stack.

/** Where the generator puts validators, and the index naming the schema each was made from. */
export const VALIDATORS_DIR = 'validators';
export const VALIDATORS_INDEX = 'index.json';

/** Identifies a schema by content, so that a validator is only used for the schema it was made from. */
export function schemaKey(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/**
 * A precompiled validator module exports a factory taking the format definitions: the generated
 * code, under schemas/, cannot import them itself, as they are src/schema/formats.ts under tsx
 * and dist/src/schema/formats.js after a build.
 */
type ValidatorFactory = (formats: Record<string, Format>) => Validator;

let precompiledFiles: Map<string, string> | undefined;
let formatsForPrecompiled: Record<string, Format> | undefined;

/** The validator the schema generator made from this very schema, if any. */
export function precompiledValidator(schema: object): Validator | undefined {
  precompiledFiles ??= readValidatorsIndex();
  const file = precompiledFiles.get(schemaKey(schema));
  if (file === undefined) return undefined;
  const factory = require(join(schemasDir(), VALIDATORS_DIR, file)) as ValidatorFactory;
  return factory((formatsForPrecompiled ??= formats()));
}

/** schemas/validators/index.json maps file name → schema key; inverted for lookup. */
function readValidatorsIndex(): Map<string, string> {
  const file = join(schemasDir(), VALIDATORS_DIR, VALIDATORS_INDEX);
  if (!existsSync(file)) return new Map();
  const index = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return new Map(Object.entries(index).map(([name, key]) => [key, name]));
}

export interface FieldInfo {
  /** What the field holds: a message (fixed properties), a map, a list, a scalar, or anything. */
  shape: 'message' | 'map' | 'array' | 'scalar' | 'any';
  /** JSON Schema type(s) of a scalar: int64 fields are ['integer', 'string']. */
  type?: string | string[];
  /** Discovery format: int64, uint64, int32, double, google-datetime, google-duration, ... */
  format?: string;
  enum?: string[];
  /** Output only, here or on an enclosing field. */
  readOnly?: boolean;
  /** Immutable, here or on an enclosing field. */
  immutable?: boolean;
  /** Required within its enclosing message. */
  required?: boolean;
  description?: string;
  /** Discovery id of the message, for shape 'message' reached through a $ref. */
  messageId?: string;
}

function deref(root: SchemaNode, node: SchemaNode): { node: SchemaNode; id?: string } {
  let id: string | undefined;
  for (let hops = 0; typeof node.$ref === 'string'; hops++) {
    if (hops > 32) throw new Error(`$ref loop at ${node.$ref}`);
    const ref = node.$ref;
    if (ref === '#') node = root;
    else if (ref.startsWith('#/$defs/')) {
      id = ref.slice('#/$defs/'.length);
      const target = (root.$defs as Record<string, SchemaNode> | undefined)?.[id];
      if (!target) throw new Error(`unresolved $ref ${ref}`);
      node = target;
    } else throw new Error(`unsupported $ref ${ref}`);
  }
  return { node, id };
}

function shapeOf(node: SchemaNode): FieldInfo['shape'] {
  if (node.type === 'array') return 'array';
  if (node.type === 'object') return node.properties ? 'message' : typeof node.additionalProperties === 'object' ? 'map' : 'any';
  return node.type === undefined ? 'any' : 'scalar';
}

/** Follows a path of property names / map keys / list indexes to the schema node it names. */
function walk(root: SchemaNode, path: readonly string[]): { node: SchemaNode; info: FieldInfo } | undefined {
  let node = root;
  let readOnly = false;
  let immutable = false;
  let required = false;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    let target = deref(root, node).node;
    if (target.type === 'array') {
      node = target.items as SchemaNode;
      // An index (`0`, `*`, `[]`) selects the element; a name steps into the element implicitly.
      if (/^(\d+|\*|\[\])$/.test(seg)) continue;
      target = deref(root, node).node;
    }
    const props = target.properties as Record<string, SchemaNode> | undefined;
    if (props && Object.hasOwn(props, seg)) {
      node = props[seg];
      required = Array.isArray(target.required) && target.required.includes(seg);
    } else if (typeof target.additionalProperties === 'object') {
      node = target.additionalProperties as SchemaNode;
      required = false;
    } else if (shapeOf(target) === 'any') {
      // Free-form values (google.protobuf.Value, Struct): whatever lies below is accepted.
      return { node: {}, info: { shape: 'any', ...(readOnly && { readOnly }), ...(immutable && { immutable }) } };
    } else return undefined;
    readOnly ||= node.readOnly === true;
    immutable ||= node['x-immutable'] === true;
  }
  const { node: target, id } = deref(root, node);
  const shape = shapeOf(target);
  const description = (node.description ?? target.description) as string | undefined;
  const info: FieldInfo = {
    shape,
    ...(shape === 'scalar' && { type: target.type as string | string[] }),
    ...(typeof target.format === 'string' && { format: target.format }),
    ...(Array.isArray(target.enum) && { enum: target.enum as string[] }),
    ...(readOnly && { readOnly }),
    ...(immutable && { immutable }),
    ...(required && { required }),
    ...(description !== undefined && { description }),
    ...(shape === 'message' && id !== undefined && { messageId: id }),
  };
  return { node: target, info };
}

const infoCache = new Map<string, FieldInfo | undefined>();

/**
 * What the schema says about a field of a kind's body, or undefined if there is no such field.
 * `path` holds property names, map keys and (optionally) list indexes:
 * fieldInfo('google.aiplatform.custom_jobs', ['jobSpec', 'workerPoolSpecs', '0', 'replicaCount']).
 */
export function fieldInfo(type: string, path: readonly string[]): FieldInfo | undefined {
  const key = `${type}\u0000${path.join('\u0000')}`;
  if (!infoCache.has(key)) infoCache.set(key, fieldInfoIn(kindSchema(type), path));
  return infoCache.get(key);
}

/** fieldInfo for any schema (e.g. messageSchema(id)). */
export function fieldInfoIn(root: SchemaNode, path: readonly string[]): FieldInfo | undefined {
  return walk(root, path)?.info;
}

/** Property names of the message at `path` of a kind's body (for "did you mean"); [] if it is not a message. */
export function knownFields(type: string, path: readonly string[] = []): string[] {
  return knownFieldsIn(kindSchema(type), path);
}

export function knownFieldsIn(root: SchemaNode, path: readonly string[] = []): string[] {
  const found = walk(root, path);
  if (!found) return [];
  let node = found.node;
  if (node.type === 'array') node = deref(root, node.items as SchemaNode).node;
  return node.properties ? Object.keys(node.properties as object) : [];
}
