import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { PROJECT_ROOT } from '../core/project-root.js';
import { ownRecord } from '../core/records.js';
import { ADDRESS_PATTERN, ADDRESS_RULE } from '../kinds/addresses.js';
import { kindTypes } from '../kinds/index.js';
import { STATE_FORMAT_VERSION, type StateDoc } from './types.js';

/**
 * JSON Schema of the state document (types.ts, formatVersion 1), checked on every read: a state
 * file edited by hand, truncated by a full disk or written by something else is refused in one
 * line naming the file and the address, before any of it is used, and is left as it is.
 * Objects stay open to fields this version does not know (newer entries may carry more); the
 * fields it does know must have the shape it relies on.
 */
const text = { type: 'string' } as const;
const texts = { type: 'array', items: { type: 'string' } } as const;
const jsonObject = { type: 'object' } as const;

const pendingSchema = {
  type: 'object',
  properties: {
    action: { enum: ['create', 'update', 'delete', 'replace'] },
    operation: text,
    replaces: text,
    parent: text,
    startedAt: text,
  },
  required: ['action', 'startedAt'],
} as const;

export function stateDocSchema(): object {
  return {
    $id: 'vertexctl-state',
    type: 'object',
    properties: {
      formatVersion: { type: 'integer', minimum: 1, maximum: STATE_FORMAT_VERSION },
      lineage: { type: 'string', minLength: 1 },
      serial: { type: 'integer', minimum: 0 },
      stack: text,
      env: text,
      resources: {
        type: 'object',
        propertyNames: { pattern: ADDRESS_PATTERN },
        additionalProperties: {
          type: 'object',
          properties: {
            type: { enum: kindTypes() },
            name: text,
            id: text,
            props: jsonObject,
            etag: text,
            outputs: jsonObject,
            pending: pendingSchema,
            dependsOn: texts,
            deletionPolicy: { enum: ['delete', 'abandon'] },
            protected: { type: 'boolean' },
            ignoreChanges: texts,
            sensitive: texts,
          },
          required: ['type', 'name', 'id', 'props', 'outputs'],
        },
      },
      forgotten: texts,
    },
    required: ['formatVersion', 'lineage', 'serial', 'stack', 'resources'],
  };
}

// Compiling the schema would load ajv (slow) on every run that reads state: the schema
// generator (npm run schemas) precompiles it to schemas/validators/state.cjs, as it does the
// manifest's; test/schemas.test.ts checks the committed file is what the generator makes.
const require = createRequire(import.meta.url);
const PRECOMPILED = join(PROJECT_ROOT, 'schemas', 'validators', 'state.cjs');
type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validator: Validate | undefined;

function validate(raw: unknown): ErrorObject[] {
  if (!validator) {
    if (existsSync(PRECOMPILED)) validator = (require(PRECOMPILED) as (formats: object) => Validate)({});
    else {
      const { Ajv } = require('ajv') as typeof import('ajv');
      validator = new Ajv({ allErrors: true, strict: true }).compile(stateDocSchema());
    }
  }
  return validator(raw) ? [] : (validator.errors ?? []);
}

/** The first schema problem of a parsed state document, as `resource "a": props: must be object`; undefined if none. */
export function stateDocProblem(raw: unknown): string | undefined {
  const [error] = validate(raw);
  if (!error) return undefined;
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // A bad key is reported first by the inner keyword, carrying the key as propertyName.
  if (error.propertyName !== undefined) return `resource ${JSON.stringify(error.propertyName)}: not a valid address (${ADDRESS_RULE})`;
  const [top, address, ...rest] = segments;
  const field = error.keyword === 'required' ? String((error.params as { missingProperty: unknown }).missingProperty) : undefined;
  const what = error.keyword === 'required' ? `missing "${field}"` : describe(error);
  if (top === 'resources' && address !== undefined) {
    const path = rest.join('.');
    return `resource ${JSON.stringify(address)}: ${path ? `${path}: ` : ''}${what}`;
  }
  const path = segments.join('.');
  return path ? `${path}: ${what}` : what;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `must be ${TYPE_WORDS[String(params.type)] ?? String(params.type)}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    default:
      return e.message ?? `fails "${e.keyword}"`;
  }
}

/** The document with its resources in a null-prototype object: addresses are user text. */
export function withOwnResources(doc: StateDoc): StateDoc {
  const resources = ownRecord(Object.entries(doc.resources));
  return { ...doc, resources };
}
