import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiName } from '../kinds/types.js';
import { locationOf } from '../kinds/names.js';

/** The part of a discovery document that says where the API is served. */
export interface DiscoveryEndpoints {
  rootUrl: string;
  endpoints?: { location: string; endpointUrl: string }[];
}

export const NOTEBOOKS_ROOT_URL = 'https://notebooks.googleapis.com/';

const VENDORED_AIPLATFORM = join('schemas', 'vendor', 'aiplatform.v1.json');

/**
 * The base URL (with trailing slash) that serves `api` in `location`: Vertex AI's regional
 * endpoint from the discovery document, its global root for `global` and locations the document
 * does not list; notebooks has one global host.
 */
export function baseUrlFor(api: ApiName, location: string | undefined, aiplatform: DiscoveryEndpoints = vendoredAiplatform()): string {
  if (api === 'notebooks') return NOTEBOOKS_ROOT_URL;
  const regional = location && location !== 'global' ? aiplatform.endpoints?.find((e) => e.location === location) : undefined;
  return withTrailingSlash(regional?.endpointUrl ?? aiplatform.rootUrl);
}

/** The location a request is about: given explicitly, or the `locations/{loc}` segment of its path. */
export function requestLocation(path: string, location?: string): string | undefined {
  return location ?? locationOf(path);
}

export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

let cached: DiscoveryEndpoints | undefined;

/** Reads the vendored aiplatform discovery data once (only when a call goes to Google). */
export function vendoredAiplatform(): DiscoveryEndpoints {
  if (cached) return cached;
  const file = findUp(dirname(fileURLToPath(import.meta.url)), VENDORED_AIPLATFORM);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<DiscoveryEndpoints>;
  if (typeof doc.rootUrl !== 'string') throw new Error(`${file}: no rootUrl`);
  cached = { rootUrl: doc.rootUrl, endpoints: doc.endpoints ?? [] };
  return cached;
}

/** src/api/ and dist/src/api/ sit at different depths below the package root that holds schemas/. */
function findUp(start: string, relative: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${relative} above ${start}`);
  }
}
