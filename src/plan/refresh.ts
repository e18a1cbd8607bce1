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
  /**
   * A look ahead, called as list pages come in: the item the name of an address's resource names
   * (the one name matching will most likely give it), with the props refresh resolved for it, so
   * work on the pair can start while the rest is listed. Matching decides later, on all pages.
   */
  foresee?: (address: string, kind: KindDef, item: Record<string, unknown>, props: Record<string, unknown> | undefined) => void;
  /**
   * An address whose resource is certain before the last page is in, with the live resource as
   * the result will hold it and the props refresh resolved: the first name it is looked for by
   * (state's, else the manifest's) names an item, and no other address is looked for by that
   * name, so matching will give it that item. Called at most once per manifest address.
   */
  settled?: (address: string, live: LiveResource, resolved: ResolvedProps | undefined) => void;
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

  const foresee = opts.foresee;
  const lookahead = !!(foresee || opts.settled);
  const askedFor = (kind: KindDef, parent: string): AskedCollection => {
    let asked = listings.get(kind, parent);
    if (!asked) listings.set(kind, parent, (asked = { items: new Map(), expected: new Map() }));
    return asked;
  };
  // Early matches (opts.settled): their items are claimed when the first wave matches names.
  const settledEarly: Item[] = [];
  const settleEarly = (c: Candidate, item: Item) => {
    const look = c.firstLook!;
    // The name as the candidate spells it: another spelling of the project could be another claim.
    if (item.name !== `${look.parent}/${c.kind.collection}/${look.id}`) return;
    const res = toLive(c.address, c.kind, item, 'name');
    live.set(c.address, res);
    settledEarly.push(item);
    opts.settled!(c.address, res, resolutions.get(c.address));
  };
  /** Shows foresee the item a candidate looks for first as soon as both are known (and settles it, once certain). */
  const expect = (c: Candidate, props: Record<string, unknown> | undefined, certain = false) => {
    const look = c.firstLook;
    if (!lookahead || !look) return;
    const asked = askedFor(c.kind, look.parent);
    const item = asked.items.get(look.id);
    if (!item) asked.expected.set(look.id, { c, props, certain });
    else if (certain) settleEarly(c, item);
    else foresee?.(c.address, c.kind, item, props);
  };
  const startListing = (kind: KindDef, parent: string): Promise<void> => {
    const collection = askedFor(kind, parent);
    if (collection.done) return collection.done;
    const onItem = (id: string, item: Item) => {
      const expected = collection.expected.get(id);
      if (!expected) return;
      foresee?.(expected.c.address, kind, item, expected.props);
      if (expected.certain) settleEarly(expected.c, item);
    };
    collection.done = listCollection(client, kind, parent, collection.items, lookahead ? onItem : undefined).then(() => {
      collection.listing = { kind, parent, items: collection.items };
      completed.push(collection.listing);
    });
    // Awaited by the wave that needs it; marked handled so a failure waits for that await.
    collection.done.catch(() => undefined);
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
  for (let wave = 1; ; wave++) {
    const wanted = await candidates(resources, stateOnly, stateEntries, types, live, resolutions, expect);
    if (wave === 1 && opts.settled) {
      for (const c of certainMatches(wanted, manifestAddresses)) expect(c, resolutions.get(c.address)?.props, true);
    }
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
    if (wave === 1) {
      for (const item of settledEarly) claimed.add(projectKeyOf(String(item.name)));
      decided += settledEarly.length;
    }
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

/** A collection refresh asked for (or expects an item from): its items as they come in, its listing once the last page is in. */
interface AskedCollection {
  done?: Promise<void>;
  items: Map<string, Item>;
  listing?: Listing;
  /** By id, the candidate that looks for an item of it first, while the item is not in yet (for the look-ahead). */
  expected: Map<string, { c: Candidate; props: Record<string, unknown> | undefined; certain: boolean }>;
}

/**
 * The manifest candidates of the first wave that name matching cannot fail to give the item
 * they look for first, once it is listed: no other candidate looks for that name (by state's
 * name or the manifest's id). Names are compared without their project segment, so an id and a
 * number of one project never pass for two names.
 */
function certainMatches(wanted: readonly Candidate[], manifest: Set<string>): Candidate[] {
  // Who looks for each name, by kind, parent without its project, and id: an address, or null for more than one.
  const lookers = new PerCollection<Map<string, string | null>>();
  const withoutProject = (parent: string) => parent.slice(parent.indexOf('/', 9));
  const lookersOf = (kind: KindDef, parent: string) => {
    let byId = lookers.get(kind, withoutProject(parent));
    if (!byId) lookers.set(kind, withoutProject(parent), (byId = new Map()));
    return byId;
  };
  const look = (c: Candidate, parent: string, id: string) => {
    const byId = lookersOf(c.kind, parent);
    const who = byId.get(id);
    if (who === undefined) byId.set(id, c.address);
    else if (who !== c.address) byId.set(id, null);
  };
  for (const c of wanted) {
    if (c.stateName && c.stateParent !== undefined) look(c, c.stateParent, idOf(c.stateName));
    if (c.desiredParent !== undefined && c.desiredId !== undefined) look(c, c.desiredParent, c.desiredId);
  }
  // Matching looks by state's name first, then the manifest's: only the first can be certain
  // while pages come in (the second counts once the first is known to be absent).
  return wanted.filter((c) => c.firstLook && manifest.has(c.address) && lookersOf(c.kind, c.firstLook.parent).get(c.firstLook.id) === c.address);
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
  /** The name matching looks for first (state's, else the manifest's), as parent and id. */
  firstLook?: { parent: string; id: string };
}

/** Where matching looks first for a candidate's resource: state's name, else the manifest's. */
function firstLook(c: Candidate): Candidate['firstLook'] {
  if (c.stateName && c.stateParent !== undefined) return { parent: c.stateParent, id: idOf(c.stateName) };
  if (c.desiredParent !== undefined && c.desiredId !== undefined) return { parent: c.desiredParent, id: c.desiredId };
  return undefined;
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
  expect: (c: Candidate, props: Record<string, unknown> | undefined) => void,
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
    candidate.firstLook = firstLook(candidate);
    resolutions.set(r.address, { candidate, props, answers });
    answered.delete(r.address);
    expect(candidate, props);
    out.push(candidate);
  }
  for (const [address, entry] of stateOnly) {
    const kind = getKind(entry.type);
    const stateName = entry.name || undefined;
    const candidate: Candidate = { address, kind, stateName, stateParent: stateName ? parentOfName(kind, stateName) : undefined };
    candidate.firstLook = firstLook(candidate);
    expect(candidate, undefined);
    out.push(candidate);
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

/**
 * Every item of one collection, by id (into `items`, page by page as they come in, each item
 * shown to `onItem` as it is added). A parent that does not exist has no children.
 */
export async function listCollection(
  client: ApiClient,
  kind: KindDef,
  parent: string,
  items = new Map<string, Item>(),
  onItem?: (id: string, item: Item) => void,
): Promise<Map<string, Item>> {
  try {
    for await (const page of client.listPages<Item>({
      api: kind.api,
      path: `${kind.version}/${parent}/${kind.collection}`,
      query: kind.listQuery,
      itemsField: kind.listItemsField,
    })) {
      for (const item of page) {
        if (typeof item.name !== 'string') continue;
        const id = idOf(item.name);
        items.set(id, item);
        onItem?.(id, item);
      }
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
