import { ApiError, isNotFound, type ApiClient } from '../api/client.js';
import { UserError } from '../core/errors.js';
import { ownRecord } from '../core/records.js';
import type { KindDef } from '../kinds/types.js';
import { idOf, parentOfName, projectKeyOf } from '../kinds/names.js';
import { ADDRESS_LABEL, labelledOwner, labelValue, labelsOf, sameOwner, type LabelledOwner, type Owner } from '../kinds/labels.js';
import { getKind } from '../kinds/index.js';
import { VIRTUAL_PROPS } from '../kinds/virtual-props.js';
import type { StateDoc, StateEntry } from '../state/types.js';
import { clientId, knownName, knownParent, referenceValue, resolveProps, targetOfEntry, type Lookup, type ReferenceTarget } from './resolve.js';

/**
 * Refresh: what exists now. Each parent collection is listed once (pages of 1000); a resource is
 * matched to its address by name (client-chosen id, or the name recorded in state) or, where the
 * server chose the id and state does not know it (a create that crashed), by ownership labels.
 * Only what a list cannot give is read separately (a time series' data points).
 */

/** A resource of the manifests (or of a plan being re-checked), props as written. */
export interface RefreshResource {
  address: string;
  type: string;
  props: Record<string, unknown>;
}

export interface LiveResource {
  address: string;
  kind: KindDef;
  /** Full name as the API returns it. */
  name: string;
  body: Record<string, unknown>;
  /** How it was found: the name state or the manifest gives, or our ownership labels. */
  matchedBy: 'name' | 'labels';
  /** The stack and environment its ownership labels name, when it carries them. */
  owner?: LabelledOwner;
  /** Values of virtual props read from the API (a time series' `dataPoints`), in their handler's form. */
  virtual?: Record<string, unknown>;
}

export interface RefreshResult {
  /** Per address: the live resource, null when it was looked for and does not exist. Addresses
   * missing from the map could not be looked for (their parent does not exist yet). */
  live: Map<string, LiveResource | null>;
  /** Resources carrying this stack's ownership labels that no address claims. */
  orphans: LiveResource[];
  /** Every collection listed, with all its items (drift finds the unmanaged ones among them). */
  listed: Listing[];
  /** Per manifest address: its props as refresh resolved them, and the answers its references got. */
  resolved?: Map<string, ResolvedProps>;
}

/** Props resolved against what was known at one moment, with the answers that made them. */
export interface ResolvedProps {
  props: Record<string, unknown>;
  answers: { address: string; field: string; value: unknown }[];
}

export interface RefreshOptions {
  /** Whose resources to look for by ownership labels. */
  owner: Owner;
  /** Virtual props to read for an address once its resource is found (e.g. ['dataPoints']). */
  virtualReads?: (address: string, live: LiveResource) => string[];
}

type Item = Record<string, unknown>;

export interface Listing {
  kind: KindDef;
  /** Full name of the parent the collection was listed under. */
  parent: string;
  /** The items, by id. */
  items: Map<string, Item>;
}

export async function refresh(
  resources: readonly RefreshResource[],
  state: StateDoc | null,
  client: ApiClient,
  opts: RefreshOptions,
): Promise<RefreshResult> {
  const listings = new PerCollection<AskedCollection>();
  /** The listings in the order they completed (drift's report lists them so). */
  const completed: Listing[] = [];
  const live = new Map<string, LiveResource | null>();
  const claimed = new Set<string>();
  // What the stack let go on purpose keeps its labels, but is neither adopted by them nor pruned.
  const forgotten = new Set(state?.forgotten ?? []);
  const stateEntries = state?.resources ?? ownRecord<StateEntry>();
  const manifestAddresses = new Set(resources.map((r) => r.address));
  const stateList = Object.entries(stateEntries);
  const stateOnly = stateList.filter(([a]) => !manifestAddresses.has(a));

  const types = new Map(resources.map((r) => [r.address, r.type]));
  for (const [a, e] of stateOnly) types.set(a, e.type);
  const resolutions = new Map<string, Resolution>();
  const listingOf = (kind: KindDef, parent: string | undefined) => (parent === undefined ? undefined : listings.get(kind, parent)?.listing);
  // Kept on the candidate once found (a listing never changes): each wave asks again for every candidate.
  const stateListing = (c: Candidate) => (c.stateListing ??= listingOf(c.kind, c.stateParent));
  const desiredListing = (c: Candidate) => (c.desiredListing ??= listingOf(c.kind, c.desiredParent));

  const startListing = (kind: KindDef, parent: string): Promise<void> => {
    const asked = listings.get(kind, parent);
    if (asked) return asked.done;
    const collection: AskedCollection = {
      done: listCollection(client, kind, parent).then((items) => {
        collection.listing = { kind, parent, items };
        completed.push(collection.listing);
      }),
    };
    // Awaited by the wave that needs it; marked handled so a failure waits for that await.
    collection.done.catch(() => undefined);
    listings.set(kind, parent, collection);
    return collection.done;
  };
  // The parents state names are listed at once: their pages come in while the manifests'
  // references are resolved below, instead of after.
  for (const [address, entry] of stateList) {
    const kind = getKind(types.get(address)!);
    const parent = entry.name ? parentOfName(kind, entry.name) : undefined;
    if (parent !== undefined) startListing(kind, parent);
  }

  // Waves: a child's parent id may only become known once its parent was found (a server-chosen
  // id adopted by labels), so list what is known, match, and repeat until nothing new appears.
  for (;;) {
    const wanted = await candidates(resources, stateOnly, stateEntries, types, live, resolutions);
    const waiting: Promise<void>[] = [];
    for (const c of wanted) {
      if (c.stateParent !== undefined && !stateListing(c)) waiting.push(startListing(c.kind, c.stateParent));
      if (c.desiredParent !== undefined && !desiredListing(c)) waiting.push(startListing(c.kind, c.desiredParent));
    }
    await Promise.all(waiting);

    // Names first (for every candidate), then labels, so an adoption never takes a resource
    // that state or a client-chosen id names. A candidate whose parent ids are not known yet
    // waits for a later wave.
    let decided = 0;
    const undecided = wanted.filter((c) => !live.has(c.address));
    const rest: Candidate[] = [];
    for (const c of undecided) {
      const byName = matchByName(c, stateListing(c), desiredListing(c), claimed);
      if (byName) {
        live.set(c.address, toLive(c.address, c.kind, byName, 'name'));
        decided++;
      } else rest.push(c);
    }
    const settle = (c: Candidate) => {
      const byLabels = matchByLabels(c, opts.owner, [stateListing(c), desiredListing(c)], claimed, forgotten);
      live.set(c.address, byLabels ? toLive(c.address, c.kind, byLabels, 'labels') : null);
    };
    for (const c of rest) {
      if (c.desiredParent !== undefined && desiredListing(c) && (c.stateParent === undefined || stateListing(c))) {
        settle(c);
        decided++;
      }
    }
    if (waiting.length === 0 && decided === 0) {
      // No further progress: what state places under a listed parent and was not found is gone.
      for (const c of rest) if (!live.has(c.address) && stateListing(c)) settle(c);
      break;
    }
  }

  // Names compared with the project spelled one way (id or number are one project).
  const orphans = findOrphans(completed, claimed, new Set([...forgotten].map(projectKeyOf)), opts.owner, () => [...manifestAddresses, ...Object.keys(stateEntries)]);

  if (opts.virtualReads) {
    const reads: Promise<void>[] = [];
    for (const [address, res] of live) {
      if (!res) continue;
      for (const prop of opts.virtualReads(address, res)) {
        reads.push(
          VIRTUAL_PROPS[prop].read(client, res.kind, res.name).then(
            (values: unknown) => {
              res.virtual = { ...res.virtual, [prop]: values };
            },
            (err: unknown) => {
              throw refreshError(err, `read ${prop} of ${res.name}`);
            },
          ),
        );
      }
    }
    await Promise.all(reads);
  }
  return { live, orphans, listed: completed, resolved: resolutions };
}

/** A collection refresh asked for: its listing once the last page is in. */
interface AskedCollection {
  done: Promise<void>;
  listing?: Listing;
}

/**
 * One value per listed collection, by kind and parent name: looked up for every resource of a
 * plan, so without building a `type parent` key string each time.
 */
class PerCollection<T> {
  private byKind = new Map<KindDef, Map<string, T>>();
  // The last answer: resources come in runs under one parent, and comparing two parent names
  // costs less than hashing a name made afresh for each.
  private last?: { kind: KindDef; parent: string; value: T };

  get(kind: KindDef, parent: string): T | undefined {
    const last = this.last;
    if (last && last.kind === kind && last.parent === parent) return last.value;
    const value = this.byKind.get(kind)?.get(parent);
    if (value !== undefined) this.last = { kind, parent, value };
    return value;
  }

  set(kind: KindDef, parent: string, value: T): void {
    let byParent = this.byKind.get(kind);
    if (!byParent) this.byKind.set(kind, (byParent = new Map()));
    byParent.set(parent, value);
    this.last = undefined;
  }
}

/** What refresh knows about where an address's resource is (or would be). */
interface Candidate {
  address: string;
  kind: KindDef;
  /** Name recorded in state, if any. */
  stateName?: string;
  stateParent?: string;
  /** Where the manifest puts it, when the parent ids are known. */
  desiredParent?: string;
  desiredId?: string;
  /** The listings of stateParent and desiredParent, once listed. */
  stateListing?: Listing;
  desiredListing?: Listing;
}

const YIELD_EVERY = 500;

/** A manifest resource's candidate as last worked out, and the answers its references got then. */
interface Resolution extends ResolvedProps {
  candidate: Candidate;
}

/**
 * Where to look for each address, given what was found so far. Manifest resources come first,
 * in the order given (dependencies first), so references to parents found in an earlier wave
 * resolve. A resource is resolved again only when one of its references answers differently
 * from the last wave (a parent adopted by labels under a new id): the props are resolved once.
 */
async function candidates(
  resources: readonly RefreshResource[],
  stateOnly: [string, StateEntry][],
  stateEntries: Record<string, StateEntry>,
  types: Map<string, string>,
  live: Map<string, LiveResource | null>,
  resolutions: Map<string, Resolution>,
): Promise<Candidate[]> {
  const resolved = (address: string) => resolutions.get(address)?.props;
  // Answers kept for the wave (what is found does not change during one), until the resource
  // they are about is resolved again: a thousand runs asking for their experiment's id ask once.
  const answered = new Map<string, Map<string, unknown>>();
  const lookup: Lookup = (address, field) => {
    let fields = answered.get(address);
    if (!fields) answered.set(address, (fields = new Map()));
    if (fields.has(field)) return fields.get(field);
    const value = referenceValue(currentTarget(types.get(address), live.get(address), stateEntries[address], resolved(address)), field);
    fields.set(field, value);
    return value;
  };
  const out: Candidate[] = [];
  for (let i = 0; i < resources.length; i++) {
    // Lets list pages in flight be read and the next ones asked for while this works.
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    const r = resources[i];
    const last = resolutions.get(r.address);
    if (last && last.answers.every((a) => lookup(a.address, a.field) === a.value)) {
      out.push(last.candidate);
      continue;
    }
    const answers: Resolution['answers'] = [];
    const { props } = resolveProps(r.props, (address, field) => {
      const value = lookup(address, field);
      answers.push({ address, field, value });
      return value;
    });
    const kind = getKind(r.type);
    const entry = stateEntries[r.address];
    const stateName = entry?.name ? entry.name : undefined;
    const candidate: Candidate = {
      address: r.address,
      kind,
      stateName,
      stateParent: stateName ? parentOfName(kind, stateName) : undefined,
      desiredParent: knownParent(kind, props),
      desiredId: clientId(kind, props),
    };
    resolutions.set(r.address, { candidate, props, answers });
    answered.delete(r.address);
    out.push(candidate);
  }
  for (const [address, entry] of stateOnly) {
    const kind = getKind(entry.type);
    const stateName = entry.name || undefined;
    out.push({ address, kind, stateName, stateParent: stateName ? parentOfName(kind, stateName) : undefined });
  }
  return out;
}

/** What is known now (not after apply) about a referenced address: the live resource, else state, else the manifest. */
function currentTarget(
  type: string | undefined,
  found: LiveResource | null | undefined,
  entry: StateEntry | undefined,
  props: Record<string, unknown> | undefined,
): ReferenceTarget | undefined {
  if (!type) return undefined;
  const kind = getKind(type);
  if (found) return { kind, name: found.name, props, body: found.body };
  if (entry) return targetOfEntry(kind, entry);
  return props && { kind, name: knownName(kind, props, clientId(kind, props)), props };
}

function matchByName(c: Candidate, stateListing: Listing | undefined, desiredListing: Listing | undefined, claimed: Set<string>): Item | undefined {
  const tries: [Listing | undefined, string | undefined][] = [
    [stateListing, c.stateName ? idOf(c.stateName) : undefined],
    [desiredListing, c.desiredId],
  ];
  for (const [listing, id] of tries) {
    const item = listing && id !== undefined ? listing.items.get(id) : undefined;
    if (!item) continue;
    const key = projectKeyOf(String(item.name));
    if (!claimed.has(key)) {
      claimed.add(key);
      return item;
    }
  }
  return undefined;
}

function matchByLabels(c: Candidate, owner: Owner, listings: (Listing | undefined)[], claimed: Set<string>, forgotten: Set<string>): Item | undefined {
  if (!c.kind.labelsPath) return undefined;
  const address = labelValue(c.address);
  for (const listing of listings) {
    for (const item of listing?.items.values() ?? []) {
      const labels = labelsOf(c.kind, item);
      if (sameOwner(labelledOwner(labels), owner) && labels![ADDRESS_LABEL] === address && !claimed.has(projectKeyOf(String(item.name))) && ![...forgotten].some((f) => projectKeyOf(f) === projectKeyOf(String(item.name)))) {
        claimed.add(projectKeyOf(String(item.name)));
        return item;
      }
    }
  }
  return undefined;
}

/** `claimed`, `forgotten`: names spelled by projectKeyOf. */
function findOrphans(
  listings: readonly Listing[],
  claimed: Set<string>,
  forgotten: Set<string>,
  owner: Owner,
  addresses: () => Iterable<string>,
): LiveResource[] {
  const orphans: LiveResource[] = [];
  // The addresses, by label value, only once an orphan needs a name (most plans have none).
  let byLabel: Map<string, string> | undefined;
  let used: Set<string> | undefined;
  for (const { kind, items } of listings) {
    for (const item of items.values()) {
      const key = projectKeyOf(String(item.name));
      if (claimed.has(key) || forgotten.has(key)) continue;
      const labels = labelsOf(kind, item);
      // Only exactly our stack and environment: labels of earlier versions are ambiguous, never pruned.
      if (!sameOwner(labelledOwner(labels), owner)) continue;
      used ??= new Set(addresses());
      byLabel ??= new Map([...used].map((a) => [labelValue(a), a]));
      // Named after the address its label gives, with its id appended when that address is taken.
      const labelled = labels![ADDRESS_LABEL] ?? kind.collection;
      let address = byLabel.get(labelled) ?? labelled;
      if (used.has(address)) address = `${address}#${idOf(String(item.name))}`;
      used.add(address);
      orphans.push(toLive(address, kind, item, 'labels'));
    }
  }
  return orphans;
}

function toLive(address: string, kind: KindDef, item: Item, matchedBy: LiveResource['matchedBy']): LiveResource {
  const owner = labelledOwner(labelsOf(kind, item));
  return { address, kind, name: String(item.name), body: item, matchedBy, ...(owner && { owner }) };
}

/** Every item of one collection, by id. A parent that does not exist has no children. */
export async function listCollection(client: ApiClient, kind: KindDef, parent: string): Promise<Map<string, Item>> {
  const items = new Map<string, Item>();
  try {
    for await (const item of client.list<Item>({
      api: kind.api,
      path: `${kind.version}/${parent}/${kind.collection}`,
      query: kind.listQuery,
      itemsField: kind.listItemsField,
    })) {
      if (typeof item.name === 'string') items.set(idOf(item.name), item);
    }
  } catch (err) {
    if (isNotFound(err)) return items;
    throw refreshError(err, `list ${kind.type} in ${parent}`);
  }
  return items;
}

function refreshError(err: unknown, what: string): Error {
  if (err instanceof ApiError) return new UserError(`refresh failed: cannot ${what}: ${err.message}`);
  return err instanceof Error ? err : new Error(String(err));
}
