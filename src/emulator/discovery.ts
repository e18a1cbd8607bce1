import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiName } from '../kinds/types.js';
import { PROJECT_ROOT } from '../core/project-root.js';

/**
 * What the vendored discovery documents (schemas/vendor/) say about each REST method the
 * emulator serves: its query parameters, page-size limits, documented filter and orderBy fields,
 * enum-valued parameters, and its request and response messages. Read once, at first use, so the
 * emulator's limits are Google's documented ones rather than a list kept by hand.
 */

export type DiscoverySchema = {
  $ref?: string;
  type?: string;
  enum?: string[];
  properties?: Record<string, DiscoverySchema>;
  items?: DiscoverySchema;
  additionalProperties?: DiscoverySchema;
  description?: string;
};

interface DiscoveryParameter {
  location: 'path' | 'query';
  type?: string;
  enum?: string[];
  description?: string;
  repeated?: boolean;
}

interface DiscoveryMethod {
  id: string;
  httpMethod: string;
  flatPath?: string;
  path: string;
  parameters?: Record<string, DiscoveryParameter>;
  request?: { $ref: string };
  response?: { $ref: string };
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>;
  resources?: Record<string, DiscoveryResource>;
}

interface DiscoveryDoc {
  schemas: Record<string, DiscoverySchema>;
  resources: Record<string, DiscoveryResource>;
}

export interface MethodInfo {
  /** `aiplatform.projects.locations.tensorboards.list` */
  id: string;
  api: ApiName;
  /** Query parameters, as the method documents them. */
  queryParams: string[];
  /** Query parameters that take an enum: their names in proto order. */
  enumParams: Record<string, string[]>;
  /** pageSize limits from its description ("at most 100 … are returned. The maximum value is 100"). */
  page: { default: number; max: number };
  /** Fields the filter documentation lists as supported (as written there); undefined: not documented. */
  filterFields?: string[];
  /** Fields the orderBy documentation lists as supported. */
  orderFields?: string[];
  /** Discovery schema ids of the request and response messages. */
  request?: string;
  response?: string;
}

const FILES: Record<ApiName, string> = { aiplatform: 'aiplatform.v1.json', notebooks: 'notebooks.v1.json' };

/** The standard list page size (DESIGN: default 50, max 1000) where a method says no more. */
const STANDARD_PAGE = { default: 50, max: 1000 };

let docs: Record<ApiName, DiscoveryDoc> | undefined;
let methods: Map<string, MethodInfo> | undefined;
let enumNumberTable: Record<string, number[]> | undefined;

function loadDocs(): Record<ApiName, DiscoveryDoc> {
  docs ??= {
    aiplatform: JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'vendor', FILES.aiplatform), 'utf8')) as DiscoveryDoc,
    notebooks: JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'vendor', FILES.notebooks), 'utf8')) as DiscoveryDoc,
  };
  return docs;
}

/** A discovery schema by id, or undefined. */
export function discoverySchema(api: ApiName, id: string): DiscoverySchema | undefined {
  return loadDocs()[api].schemas[id];
}

/** `type.googleapis.com/google.cloud.aiplatform.v1.Tensorboard` → the schema's api and id. */
export function schemaOfTypeUrl(typeUrl: string): { api: ApiName; id: string } | undefined {
  const full = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const parts = full.split('.');
  const pascal = parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
  const d = loadDocs();
  if (d.aiplatform.schemas[pascal]) return { api: 'aiplatform', id: pascal };
  if (full.startsWith('google.protobuf.')) return undefined;
  const short = parts[parts.length - 1];
  if (full.startsWith('google.cloud.notebooks.') && d.notebooks.schemas[short]) return { api: 'notebooks', id: short };
  return undefined;
}

/** The numbers of an enum's names (proto numbers from schemas/vendor/enum-numbers.json, else declaration order). */
export function enumNumbers(names: string[]): number[] {
  enumNumberTable ??= JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'vendor', 'enum-numbers.json'), 'utf8')) as Record<string, number[]>;
  return enumNumberTable[names.join('|')] ?? names.map((_, i) => i);
}

/** Backticked names of a description's "Supported fields:" bullets (`* \`display_name\` supports …`). */
function documentedFields(description: string | undefined, what: 'filter' | 'orderBy'): string[] | undefined {
  if (!description) return undefined;
  const text = description.replace(/\s+/g, ' ');
  const fields = new Set<string>();
  if (what === 'filter') {
    for (const m of text.matchAll(/\* `([A-Za-z_][\w.]*)`(?: \([^)]*\))? (?:supports|represents)/g)) fields.add(m[1]);
  } else {
    const supported = /Supported fields: (.*?)(?: Example|$)/.exec(text);
    if (supported) for (const m of supported[1].matchAll(/\* `([A-Za-z_][\w.]*)`/g)) fields.add(m[1]);
  }
  return fields.size ? [...fields] : undefined;
}

function pageLimits(description: string | undefined): { default: number; max: number } {
  const text = (description ?? '').replace(/\s+/g, ' ');
  const def = /If unspecified, at most (\d+)/.exec(text);
  const max = /maximum value is (\d+)/.exec(text);
  return {
    default: def ? Number(def[1]) : STANDARD_PAGE.default,
    max: max ? Number(max[1]) : def ? Math.max(Number(def[1]), STANDARD_PAGE.max) : STANDARD_PAGE.max,
  };
}

/** `v1/projects/{projectsId}/locations/{locationsId}/tensorboards/{tensorboardsId}:readSize` → `projects/*\/locations/*\/tensorboards/*:readSize`. */
function routePattern(flatPath: string): string {
  return flatPath.replace(/^v1\//, '').replace(/\{[^}]+\}/g, '*');
}

function indexMethods(): Map<string, MethodInfo> {
  const out = new Map<string, MethodInfo>();
  for (const api of Object.keys(FILES) as ApiName[]) {
    const walk = (res: DiscoveryResource) => {
      for (const m of Object.values(res.methods ?? {})) {
        const params = m.parameters ?? {};
        const query = Object.entries(params).filter(([, p]) => p.location === 'query');
        const info: MethodInfo = {
          id: `${api}.${m.id.split('.').slice(1).join('.')}`,
          api,
          queryParams: query.map(([n]) => n),
          enumParams: Object.fromEntries(query.filter(([, p]) => p.enum).map(([n, p]) => [n, p.enum!])),
          page: pageLimits(params.pageSize?.description),
          filterFields: documentedFields(params.filter?.description, 'filter'),
          orderFields: documentedFields(params.orderBy?.description, 'orderBy'),
          request: m.request?.$ref,
          response: m.response?.$ref,
        };
        out.set(`${api} ${m.httpMethod} ${routePattern(m.flatPath ?? m.path)}`, info);
      }
      for (const child of Object.values(res.resources ?? {})) walk(child);
    };
    for (const res of Object.values(loadDocs()[api].resources)) walk(res);
  }
  return out;
}

/** The discovery method served at `httpMethod pattern`, e.g. `GET projects/*\/locations/*\/tensorboards`. */
export function discoveryMethod(api: ApiName, httpMethod: string, pattern: string): MethodInfo | undefined {
  methods ??= indexMethods();
  return methods.get(`${api} ${httpMethod} ${pattern}`);
}
