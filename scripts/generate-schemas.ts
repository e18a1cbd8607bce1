/**
 * Generates schemas/ from the vendored Google discovery documents in schemas/vendor/.
 *
 *   npm run schemas                               regenerate schemas/ from schemas/vendor/
 *   npm run schemas -- --out DIR                  write the generated files to DIR instead
 *   npm run schemas -- --vendor DIR
 *                                                 first refresh schemas/vendor/ (or DIR/vendor/)
 *                                                 from full discovery documents in that folder,
 *                                                 keeping only what vertexctl uses, then generate
 *
 * Output: schemas/<type>.schema.json (resource bodies, one per kind), schemas/api/<Id>.schema.json
 * (request messages the emulator validates), schemas/manifest.schema.json (the file format) and
 * schemas/validators/ (the validators loading a stack needs, precompiled: ajv standalone code).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { _ } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { KINDS, kindTypes } from '../src/kinds/index.js';
import type { ApiName } from '../src/kinds/types.js';
import { planFileSchema } from '../src/plan/plan-file-schema.js';
import { createAjv, packageRoot, schemaKey, VALIDATORS_DIR, VALIDATORS_INDEX, type SchemaNode } from '../src/schema/registry.js';
import { ADDRESS_PATTERN, ADDRESS_RULE } from '../src/kinds/addresses.js';
import { propsSchemaOf } from '../src/schema/validate.js';
import { stateDocSchema } from '../src/state/doc-schema.js';

/** The subset of a discovery document's schema language that the APIs use. */
export interface DiscoverySchema {
  id?: string;
  type?: string;
  description?: string;
  $ref?: string;
  format?: string;
  enum?: string[];
  readOnly?: boolean;
  properties?: Record<string, DiscoverySchema>;
  items?: DiscoverySchema;
  additionalProperties?: DiscoverySchema;
}

interface DiscoveryMethod {
  parameters?: Record<string, { location?: string }>;
  request?: { $ref: string };
  response?: { $ref: string };
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>;
  resources?: Record<string, DiscoveryResource>;
}

export interface DiscoveryDoc {
  name: string;
  version: string;
  revision: string;
  rootUrl: string;
  schemas: Record<string, DiscoverySchema>;
  resources: Record<string, DiscoveryResource>;
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const DISCOVERY_FILES: Record<ApiName, string> = {
  aiplatform: 'aiplatform.v1.json',
  notebooks: 'notebooks.v1.json',
};

/** Request messages the emulator validates (plus the time series' data points, a manifest prop). */
export const API_MESSAGES: Record<ApiName, string[]> = {
  aiplatform: [
    'GoogleCloudAiplatformV1BatchCreateTensorboardRunsRequest',
    'GoogleCloudAiplatformV1BatchCreateTensorboardTimeSeriesRequest',
    'GoogleCloudAiplatformV1CancelCustomJobRequest',
    'GoogleCloudAiplatformV1ExportTensorboardTimeSeriesDataRequest',
    'GoogleCloudAiplatformV1TimeSeriesDataPoint',
    'GoogleCloudAiplatformV1WriteTensorboardExperimentDataRequest',
    'GoogleCloudAiplatformV1WriteTensorboardRunDataRequest',
  ],
  notebooks: [],
};

/** Top-level discovery keys worth keeping: identity, endpoints and the request conventions. */
const KEPT_DOC_KEYS = [
  'basePath', 'baseUrl', 'batchPath', 'canonicalName', 'discoveryVersion', 'endpoints', 'id', 'kind',
  'mtlsRootUrl', 'name', 'parameters', 'protocol', 'revision', 'rootUrl', 'servicePath', 'title', 'version',
];

const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

// ---------------------------------------------------------------------------------------------
// Vendoring: cut a full discovery document down to what vertexctl uses.

/** Resource paths (e.g. projects.locations.tensorboards) whose methods the project uses. */
function collectionPaths(api: ApiName): string[][] {
  const paths = KINDS.filter((k) => k.api === api).map((k) => [...k.parentCollections, k.collection]);
  // Operations of the location: polled by the client, served by the emulator.
  paths.push(['projects', 'locations', 'operations']);
  return paths;
}

function refsOf(schema: DiscoverySchema, out: string[]): string[] {
  if (schema.$ref) out.push(schema.$ref);
  for (const p of Object.values(schema.properties ?? {})) refsOf(p, out);
  if (schema.items) refsOf(schema.items, out);
  if (schema.additionalProperties) refsOf(schema.additionalProperties, out);
  return out;
}

/** Ids of the given schemas and every schema they reference, in a stable order. */
function closure(doc: DiscoveryDoc, roots: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    const schema = doc.schemas[id];
    if (!schema) throw new Error(`${doc.name} ${doc.version}: no schema "${id}"`);
    seen.add(id);
    queue.push(...refsOf(schema, []));
  }
  return [...seen].sort();
}

export function vendorDiscovery(full: DiscoveryDoc, api: ApiName): DiscoveryDoc {
  const resources: Record<string, DiscoveryResource> = {};
  const roots = [...KINDS.filter((k) => k.api === api).map((k) => k.schemaId), ...API_MESSAGES[api]];
  for (const path of collectionPaths(api)) {
    let src: DiscoveryResource = { resources: full.resources };
    let dst: DiscoveryResource = { resources };
    for (const seg of path) {
      const next = src.resources?.[seg];
      if (!next) throw new Error(`${full.name} ${full.version}: no resource ${path.join('.')}`);
      dst.resources ??= {};
      dst.resources[seg] ??= {};
      src = next;
      dst = dst.resources[seg];
    }
    dst.methods = src.methods ?? {};
    for (const method of Object.values(dst.methods)) {
      if (method.request) roots.push(method.request.$ref);
      if (method.response) roots.push(method.response.$ref);
    }
  }
  const doc: Record<string, unknown> = {};
  for (const key of KEPT_DOC_KEYS) if (full[key] !== undefined) doc[key] = full[key];
  doc.resources = resources;
  doc.schemas = Object.fromEntries(closure(full, roots).map((id) => [id, full.schemas[id]]));
  return sortKeys(doc as Json) as unknown as DiscoveryDoc;
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}

// ---------------------------------------------------------------------------------------------
// Discovery schema → JSON Schema 2020-12.

/** Leading markers of a field description, in Google's style: "Required. Immutable. The …". */
function parseDescription(text: string | undefined): {
  summary?: string;
  outputOnly: boolean;
  immutable: boolean;
  required: boolean;
} {
  let rest = (text ?? '').replace(/\s+/g, ' ').trim();
  const markers = new Set<string>();
  for (let m = /^(Output only|Immutable|Required|Optional)\.\s*/.exec(rest); m; m = /^(Output only|Immutable|Required|Optional)\.\s*/.exec(rest)) {
    markers.add(m[1]);
    rest = rest.slice(m[0].length);
  }
  return {
    summary: summarize(rest),
    outputOnly: markers.has('Output only') || rest.includes('Output only.'),
    immutable: markers.has('Immutable'),
    required: markers.has('Required'),
  };
}

/** First sentence, at most ~200 characters: enough for an error message. */
function summarize(text: string): string | undefined {
  if (!text) return undefined;
  const end = /\.(\s|$)/.exec(text);
  let sentence = end ? text.slice(0, end.index + 1) : text;
  if (sentence.length > 200) sentence = `${sentence.slice(0, 197).trimEnd()}…`;
  return sentence;
}

/** Google's JSON mapping lets doubles travel as numbers, numeric strings, "NaN" and "±Infinity". */
const FLOAT_STRING = '^(NaN|-?Infinity|-?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?)$';

/** The finite range of a double or float, as numbers. */
function finiteLimits(format: 'double' | 'float'): JsonObject {
  const max = format === 'float' ? 3.4028234663852886e38 : Number.MAX_VALUE;
  return { minimum: -max, maximum: max };
}

/**
 * Root fields of a request message that the URL supplies (`v1/{+tensorboardRun}:write`): in
 * Google's REST mapping they are taken from the path, so the body need not repeat them.
 */
function pathBoundFields(doc: DiscoveryDoc, messageId: string): Set<string> {
  const bound = new Set<string>();
  const visit = (resource: DiscoveryResource): void => {
    for (const method of Object.values(resource.methods ?? {})) {
      if (method.request?.$ref !== messageId) continue;
      for (const [name, param] of Object.entries(method.parameters ?? {})) if (param.location === 'path') bound.add(name);
    }
    for (const child of Object.values(resource.resources ?? {})) visit(child);
  };
  visit({ resources: doc.resources });
  return bound;
}

class SchemaConverter {
  private readonly defs = new Map<string, JsonObject>();
  private readonly queue: string[] = [];

  constructor(
    private readonly doc: DiscoveryDoc,
    private readonly rootId: string,
    /** Root fields never required (see pathBoundFields). */
    private readonly optionalRootFields = new Set<string>(),
  ) {}

  /** A self-contained schema: the root message inline, every message it reaches under $defs. */
  document(title: string): JsonObject {
    const root = this.doc.schemas[this.rootId];
    if (!root) throw new Error(`${this.doc.name} ${this.doc.version}: no schema "${this.rootId}"`);
    const body = this.message(root, this.optionalRootFields);
    while (this.queue.length) {
      const id = this.queue.shift()!;
      this.defs.set(id, this.message(this.doc.schemas[id]));
    }
    const out: JsonObject = {
      $schema: SCHEMA_DIALECT,
      $comment: `Generated by scripts/generate-schemas.ts from ${this.doc.name} ${this.doc.version} discovery revision ${this.doc.revision} (${this.rootId}). Do not edit.`,
      title,
      ...body,
    };
    if (this.defs.size) {
      out.$defs = Object.fromEntries([...this.defs.keys()].sort().map((id) => [id, this.defs.get(id)!]));
    }
    return out;
  }

  private ref(id: string): JsonObject {
    if (!this.doc.schemas[id]) throw new Error(`${this.doc.name} ${this.doc.version}: no schema "${id}"`);
    if (id === this.rootId) return { $ref: '#' };
    if (!this.defs.has(id)) {
      this.defs.set(id, {}); // placeholder: recursive messages refer to it before it is filled
      this.queue.push(id);
    }
    return { $ref: `#/$defs/${id}` };
  }

  /**
   * Google's label rules (https://goo.gl/xmQnxf, as the discovery descriptions cite): keys start
   * with a lowercase letter; keys and values hold lowercase letters, digits, `_` and `-`
   * (international letters too), at most 64 characters; at most 64 labels.
   */
  private labelsMap(field: JsonObject): JsonObject {
    return {
      ...field,
      maxProperties: 64,
      propertyNames: {
        pattern: '^[\\p{Ll}\\p{Lo}][\\p{Ll}\\p{Lo}\\p{N}_-]{0,63}$',
        'x-rule': 'a label key starts with a lowercase letter and holds lowercase letters, digits, _ and -, at most 64 characters',
      },
      additionalProperties: {
        type: 'string',
        pattern: '^[\\p{Ll}\\p{Lo}\\p{N}_-]{0,64}$',
        'x-rule': 'a label value holds lowercase letters, digits, _ and -, at most 64 characters',
      },
    };
  }

  /** A message: closed (unknown fields are errors), required fields listed. */
  private message(schema: DiscoverySchema, optional = new Set<string>()): JsonObject {
    if (schema.type !== 'object' || schema.additionalProperties) return this.type(schema);
    const properties: JsonObject = {};
    const required: string[] = [];
    for (const name of Object.keys(schema.properties ?? {}).sort()) {
      const field = schema.properties![name];
      const { summary, outputOnly, immutable, required: markedRequired } = parseDescription(field.description);
      const readOnly = outputOnly || field.readOnly === true;
      const isRequired = markedRequired && !optional.has(name);
      const type = this.type(field);
      const isLabels = name === 'labels' && field.additionalProperties?.type === 'string';
      properties[name] = {
        ...(summary !== undefined && { description: summary }),
        ...(isLabels ? this.labelsMap(type) : type),
        ...(readOnly && { readOnly: true }),
        ...(immutable && { 'x-immutable': true }),
        ...(isRequired && !readOnly && { 'x-required': true }),
      };
      if (isRequired && !readOnly) required.push(name);
    }
    const summary = parseDescription(schema.description).summary;
    return {
      ...(summary !== undefined && { description: summary }),
      type: 'object',
      properties,
      ...(required.length && { required }),
      additionalProperties: false,
    };
  }

  private type(schema: DiscoverySchema): JsonObject {
    if (schema.$ref) return this.ref(schema.$ref);
    const enumValues: JsonObject = schema.enum ? { enum: schema.enum } : {};
    switch (schema.type) {
      case 'any':
        return {};
      case 'boolean':
        return { type: 'boolean' };
      case 'array':
        if (!schema.items) throw new Error(`array without items: ${JSON.stringify(schema).slice(0, 200)}`);
        return { type: 'array', items: this.type(schema.items) };
      case 'object':
        if (schema.additionalProperties) return { type: 'object', additionalProperties: this.type(schema.additionalProperties) };
        if (schema.properties) return this.message(schema);
        return { type: 'object' };
      case 'integer':
        if (schema.format !== 'int32') throw new Error(`unsupported integer format "${schema.format}"`);
        return { type: 'integer', format: 'int32', ...enumValues };
      case 'number':
        if (schema.format !== 'double' && schema.format !== 'float') {
          throw new Error(`unsupported number format "${schema.format}"`);
        }
        // A YAML `.inf` or `.nan` is a number JSON cannot carry: the limits refuse it (ajv fails NaN
        // on any limit), and Google's JSON mapping spells it as the string "Infinity" / "NaN".
        return { type: ['number', 'string'], pattern: FLOAT_STRING, format: schema.format, ...finiteLimits(schema.format) };
      case 'string':
        switch (schema.format) {
          case undefined:
            return { type: 'string', ...enumValues };
          // As numbers, only what a double holds exactly (a YAML 99999999999999999999 or 1e30 would
          // reach the API as some other number); larger values are written as strings of digits,
          // whose int64 / uint64 range the format checks.
          case 'int64':
            return { type: ['integer', 'string'], minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, pattern: '^-?[0-9]+$', format: 'int64' };
          case 'uint64':
            return { type: ['integer', 'string'], minimum: 0, maximum: Number.MAX_SAFE_INTEGER, pattern: '^[0-9]+$', format: 'uint64' };
          case 'byte':
          case 'date':
          case 'google-datetime':
          case 'google-duration':
          case 'google-fieldmask':
            return { type: 'string', format: schema.format };
          default:
            throw new Error(`unsupported string format "${schema.format}"`);
        }
      default:
        throw new Error(`unsupported discovery type "${schema.type}"`);
    }
  }
}

/** JSON Schema of one discovery message: the message at the root, what it reaches under $defs. */
export function messageDocument(doc: DiscoveryDoc, rootId: string, title: string, optionalRootFields?: Set<string>): JsonObject {
  return new SchemaConverter(doc, rootId, optionalRootFields).document(title);
}

// ---------------------------------------------------------------------------------------------
// The manifest file format (DESIGN.md, "Manifest format").

function manifestDocument(types: string[]): JsonObject {
  const perEnv = (what: string): JsonObject => ({
    description: `Per-environment ${what}, chosen with --env.`,
    type: 'object',
    minProperties: 1,
    propertyNames: {
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$',
      'x-rule': 'an environment name starts with a letter or digit and holds letters, digits, _ and -',
    },
    additionalProperties: {
      type: 'object',
      properties: { value: { description: `The ${what} in this environment.` } },
      required: ['value'],
      additionalProperties: false,
    },
  });
  // "value" or "values", not both. Put so that an entry with "value" makes no ajv error objects at
  // all (`if` is checked without them when it holds; dependentSchemas looks only at an entry with
  // "values"), where oneOf, or anyOf under allErrors, builds one for the branch that fails, at
  // every entry of a stack (#15). The rules in words are the messages.
  const valueOrValues = {
    if: { required: ['value'] },
    else: { required: ['values'], 'x-rule': 'missing "value" or "values"' },
    dependentSchemas: { values: { not: { required: ['value'] }, 'x-rule': 'give "value" or "values", not more than one' } },
  };
  const stringList = (description: string): JsonObject => ({ description, type: 'array', items: { type: 'string', minLength: 1 } });
  return {
    $schema: SCHEMA_DIALECT,
    $comment: 'Generated by scripts/generate-schemas.ts from src/kinds. Do not edit.',
    title: 'vertexctl manifest',
    type: 'object',
    properties: {
      version: { description: 'Manifest format version.', const: 1 },
      name: {
        description: 'Stack name: keys the state and the ownership labels.',
        type: 'string',
        pattern: '^[a-z][a-z0-9_-]{0,62}$',
        'x-rule': 'a stack name starts with a lowercase letter and holds lowercase letters, digits, _ and -, at most 63 characters',
      },
      description: { type: 'string' },
      globals: {
        description: 'Named values for templates: {{ name }}.',
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: {
              type: 'string',
              pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
              'x-rule': 'a global name starts with a letter or _ and holds letters, digits and _',
            },
            value: { description: 'The value in every environment.' },
            values: perEnv('value'),
            description: { type: 'string' },
          },
          required: ['name'],
          ...valueOrValues,
          additionalProperties: false,
        },
      },
      resources: { type: 'array', items: { $ref: '#/$defs/resource' } },
    },
    required: ['version'],
    additionalProperties: false,
    // Definitions, so that a resource's validator is a function of its own, called per resource:
    // V8 optimises it after a few calls, where one function holding all of a large stack's loops
    // runs cold for much of it (#15). ajv inlines a definition that holds no $ref (a prop entry
    // into its resource), not one that does (a resource, through its props).
    $defs: {
      resource: {
        type: 'object',
        properties: {
          name: {
            description: 'The address: unique within the stack, used in references {{ name.field }}.',
            type: 'string',
            pattern: ADDRESS_PATTERN,
            'x-rule': ADDRESS_RULE,
          },
          type: { description: 'Resource type.', enum: types },
          description: { type: 'string' },
          props: { type: 'array', items: { $ref: '#/$defs/propEntry' } },
          protected: { description: 'Never delete or replace this resource.', type: 'boolean' },
          ignoreChanges: stringList('Field paths whose differences plan ignores.'),
          deletionPolicy: { description: 'abandon: forget the resource instead of deleting it.', enum: ['delete', 'abandon'] },
          dependsOn: stringList('Addresses to create first, besides the referenced ones.'),
        },
        required: ['name', 'type'],
        additionalProperties: false,
      },
      propEntry: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1 },
          value: { description: 'The value in every environment.' },
          values: perEnv('value'),
          description: { type: 'string' },
          sensitive: { description: 'Mask the value in every output.', type: 'boolean' },
        },
        required: ['name'],
        ...valueOrValues,
        additionalProperties: false,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** Every generated file, keyed by its path relative to schemas/. */
export function buildSchemaFiles(docs: Record<ApiName, DiscoveryDoc>): Map<string, JsonObject> {
  const files = new Map<string, JsonObject>();
  for (const kind of KINDS) {
    files.set(`${kind.type}.schema.json`, messageDocument(docs[kind.api], kind.schemaId, kind.type));
  }
  for (const api of Object.keys(API_MESSAGES) as ApiName[]) {
    for (const id of API_MESSAGES[api]) {
      files.set(join('api', `${id}.schema.json`), messageDocument(docs[api], id, id, pathBoundFields(docs[api], id)));
    }
  }
  files.set('manifest.schema.json', manifestDocument(kindTypes()));
  files.set('plan-file.schema.json', planFileSchema() as JsonObject);
  return files;
}

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Precompiled validators (src/schema/registry.ts loads them).

/**
 * Validator modules for the manifest, each kind's props and the state document, keyed by file name relative to
 * schemas/validators/, plus the index that names the schema each was made from.
 */
export function buildValidatorFiles(files: ReadonlyMap<string, JsonObject>): Map<string, string> {
  // Exactly what the registry reads back from the written files.
  const written = (rel: string): SchemaNode => JSON.parse(renderJson(files.get(rel))) as SchemaNode;
  const schemas = new Map<string, { schema: SchemaNode; what: string }>();
  schemas.set('manifest.cjs', { schema: written('manifest.schema.json'), what: 'schemas/manifest.schema.json' });
  for (const kind of KINDS) {
    const schema = propsSchemaOf(kind, written(`${kind.type}.schema.json`), (id) => written(join('api', `${id}.schema.json`)));
    schemas.set(`${kind.type}.props.cjs`, { schema, what: `the props of ${kind.type} (propsSchemaOf in src/schema/validate.ts)` });
  }
  schemas.set('state.cjs', { schema: stateDocSchema() as SchemaNode, what: 'the state document (stateDocSchema in src/state/doc-schema.ts)' });
  const out = new Map<string, string>();
  const index: Record<string, string> = {};
  for (const [name, { schema, what }] of schemas) {
    out.set(name, validatorModule(schema, what));
    index[name] = schemaKey(schema);
  }
  out.set(VALIDATORS_INDEX, renderJson(index));
  return out;
}

// ajv's standalone module is CommonJS; under NodeNext its default import is the module object.
const standaloneCode = standaloneModule.default;

/** A CommonJS module exporting `(formats) => validate` around ajv's standalone code for the schema. */
function validatorModule(schema: SchemaNode, what: string): string {
  // A fresh instance per schema: ajv numbers its functions per instance, so each file is stable.
  // `formats` is the factory's parameter (see ValidatorFactory in src/schema/registry.ts).
  const ajv = createAjv({ source: true, optimize: true, lines: true, formats: _`formats` });
  const code = standaloneCode(ajv, ajv.compile(schema));
  return [
    '// Generated by scripts/generate-schemas.ts (npm run schemas). Do not edit.',
    `// ajv standalone validator for ${what}.`,
    "'use strict';",
    'module.exports = function validator(formats) {',
    // ajv's code assigns its function to module.exports: a local one catches it.
    'const module = { exports: {} };',
    code,
    'return module.exports;',
    '};',
    '',
  ].join('\n');
}

function readDocs(dir: string): Record<ApiName, DiscoveryDoc> {
  const read = (api: ApiName) => JSON.parse(readFileSync(join(dir, DISCOVERY_FILES[api]), 'utf8')) as DiscoveryDoc;
  return { aiplatform: read('aiplatform'), notebooks: read('notebooks') };
}

/**
 * Writes the generated schemas to outDir (removing generated files that are no longer made),
 * reading the vendored discovery documents from vendorDir. With refreshFrom, vendorDir is first
 * rewritten from the full discovery documents in that folder. Returns the written paths.
 */
export function generateSchemas(opts: { outDir: string; vendorDir: string; refreshFrom?: string }): string[] {
  const written: string[] = [];
  if (opts.refreshFrom) {
    const full = readDocs(opts.refreshFrom);
    mkdirSync(opts.vendorDir, { recursive: true });
    for (const api of Object.keys(DISCOVERY_FILES) as ApiName[]) {
      const file = join(opts.vendorDir, DISCOVERY_FILES[api]);
      writeFileSync(file, renderJson(vendorDiscovery(full[api], api)));
      written.push(file);
    }
  }
  const files = buildSchemaFiles(readDocs(opts.vendorDir));
  const validators = buildValidatorFiles(files);
  for (const dir of [opts.outDir, join(opts.outDir, 'api')]) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      const rel = dir === opts.outDir ? name : join('api', name);
      if (name.endsWith('.schema.json') && !files.has(rel)) rmSync(join(dir, name));
    }
  }
  const validatorsDir = join(opts.outDir, VALIDATORS_DIR);
  mkdirSync(validatorsDir, { recursive: true });
  for (const name of readdirSync(validatorsDir)) if (!validators.has(name)) rmSync(join(validatorsDir, name));
  for (const [rel, schema] of files) {
    const file = join(opts.outDir, rel);
    writeFileSync(file, renderJson(schema));
    written.push(file);
  }
  for (const [name, text] of validators) {
    const file = join(validatorsDir, name);
    writeFileSync(file, text);
    written.push(file);
  }
  return written;
}

function main(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, vendor: { type: 'string' } }, strict: true });
  const outDir = values.out ? resolve(values.out) : join(packageRoot(), 'schemas');
  const refreshFrom = values.vendor ? resolve(values.vendor) : undefined;
  // Refreshed vendored files go beside the output; otherwise the committed ones are the input.
  const vendorDir = refreshFrom ? join(outDir, 'vendor') : join(packageRoot(), 'schemas', 'vendor');
  const written = generateSchemas({ outDir, vendorDir, refreshFrom });
  console.log(`wrote ${written.length} files under ${outDir}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`generate-schemas: ${(err as Error).message}`);
    process.exit(1);
  }
}
