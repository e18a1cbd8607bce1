import type { ApiName } from '../kinds/types.js';
import { discoveryMethod, type MethodInfo } from './discovery.js';
import { ApiFailure, invalidArgument } from './errors.js';
import { systemParamName } from './system-params.js';

/**
 * A small router for Google's REST paths: `v1/{collection}/{id}/.../{collection}[/{id}][:verb]`.
 * A path's shape keeps the collection segments and replaces ids with `*`, so routes are found
 * with one Map lookup on method + shape.
 */

export interface RequestContext {
  method: string;
  /** The resource path without `/v1/` and verb: `projects/p/locations/l/tensorboards/1`. */
  path: string;
  segments: string[];
  verb?: string;
  query: URLSearchParams;
  body: unknown;
  now: number;
  /** The method as the discovery document describes it (page limits, filter fields, enums). */
  discovery?: MethodInfo;
  /** Whether the client went away (long polls stop then). */
  aborted: () => boolean;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `projects/*\/locations/*\/tensorboards/*:read` */
  pattern: string;
  /** For stats: `tensorboards.get`. */
  name: string;
  /** The API whose discovery document describes the method. */
  api: ApiName;
  /** Where the discovery document has the method, when not at `pattern` (operations under resources). */
  discoveryPattern?: string;
  /** Query parameters beyond the discovery method's (system parameters are always allowed). */
  params?: string[];
  /** URL prefixes the method is bound to (default `v1`; operations also `ui`, as Google's clients call them). */
  bindings?: string[];
  /** Counts against the job submission quota (creates of job kinds). */
  jobSubmission?: boolean;
  /** Filled in by the router from the discovery documents. */
  discovery?: MethodInfo;
  handle(ctx: RequestContext): Reply | Promise<Reply>;
}

export interface ParsedPath {
  /** `v1` or `ui` */
  binding: string;
  segments: string[];
  verb?: string;
}

const BINDINGS = ['v1', 'ui'];

/** Splits `/v1/a/b/c:verb` into segments and verb; undefined when it is not an API path. */
export function parsePath(pathname: string): ParsedPath | undefined {
  const binding = pathname.split('/', 2)[1];
  if (!BINDINGS.includes(binding)) return undefined;
  const raw = pathname.slice(binding.length + 2).split('/');
  const last = raw[raw.length - 1];
  const colon = last.indexOf(':');
  let verb: string | undefined;
  if (colon >= 0) {
    verb = last.slice(colon + 1);
    raw[raw.length - 1] = last.slice(0, colon);
  }
  try {
    const segments = raw.map(decodeURIComponent);
    if (segments.some((s) => s === '')) return undefined;
    return { binding, segments, verb };
  } catch {
    return undefined;
  }
}

function shapeKey(binding: string, method: string, segments: string[], verb: string | undefined): string {
  let key = `${binding} ${method}`;
  for (let i = 0; i < segments.length; i++) key += i % 2 ? '/*' : ` ${segments[i]}`;
  return verb === undefined ? key : `${key}:${verb}`;
}

export class Router {
  private readonly routes = new Map<string, Route>();

  add(route: Route): void {
    const colon = route.pattern.indexOf(':');
    const path = colon >= 0 ? route.pattern.slice(0, colon) : route.pattern;
    const verb = colon >= 0 ? route.pattern.slice(colon + 1) : undefined;
    route.discovery ??= discoveryMethod(route.api, route.method, route.discoveryPattern ?? route.pattern);
    for (const binding of route.bindings ?? ['v1']) {
      const key = shapeKey(binding, route.method, path.split('/'), verb);
      if (this.routes.has(key)) throw new Error(`duplicate route ${key}`);
      this.routes.set(key, route);
    }
  }

  find(method: string, parsed: ParsedPath): Route | undefined {
    return this.routes.get(shapeKey(parsed.binding, method, parsed.segments, parsed.verb));
  }
}

/** Google rejects query parameters the method does not have. */
export function checkQuery(route: Route, query: URLSearchParams): void {
  for (const name of query.keys()) {
    if (systemParamName(name) || route.discovery?.queryParams.includes(name) || route.params?.includes(name)) continue;
    throw invalidArgument(
      `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`,
    );
  }
}

export function urlNotFound(method: string, pathname: string): ApiFailure {
  return new ApiFailure('NOT_FOUND', `The requested URL ${pathname} was not found on this server (${method}).`);
}
