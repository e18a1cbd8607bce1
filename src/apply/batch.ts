import type { ApiClient } from '../api/client.js';
import { parentName } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import type { Live } from './operations.js';

/** One resource of a batch create: its direct parent, client id and body. */
export interface BatchItem {
  parent: string;
  id: string;
  body: Live;
}

/**
 * The resource name a batch call is made on: the direct parent (runs:batchCreate on an
 * experiment) or an ancestor (experiments:batchCreate takes time series of all its runs).
 */
export function batchParent(kind: KindDef, props: Record<string, unknown>): string {
  const levels = kind.batchCreate?.parentLevel ?? 0;
  if (!levels) return parentName(kind, props);
  const parts = parentName(kind, props).split('/');
  return parts.slice(0, parts.length - 2 * levels).join('/');
}

/** Creates up to `batchCreate.max` resources in one call; returns them in request order. */
export async function batchCreate(client: ApiClient, kind: KindDef, on: string, items: BatchItem[]): Promise<Live[]> {
  const spec = kind.batchCreate;
  if (!spec) throw new Error(`${kind.type} has no batch create`);
  if (items.length > spec.max) throw new Error(`a batch of ${kind.type} takes at most ${spec.max} items`);
  const sep = spec.pathSuffix.startsWith(':') ? '' : '/';
  const res = await client.request<Record<string, unknown>>({
    api: kind.api,
    method: 'POST',
    path: `${kind.version}/${on}${sep}${spec.pathSuffix}`,
    body: {
      [spec.requestsField]: items.map((it) => ({ parent: it.parent, [spec.itemIdField]: it.id, [spec.itemBodyField]: it.body })),
    },
  });
  const created = (res[spec.responseField] as Live[] | undefined) ?? [];
  const byName = new Map(created.map((r) => [String(r.name), r]));
  return items.map((it) => {
    const live = byName.get(`${it.parent}/${kind.collection}/${it.id}`);
    if (!live) throw new Error(`batch create on ${on} did not return ${it.parent}/${kind.collection}/${it.id}`);
    return live;
  });
}
