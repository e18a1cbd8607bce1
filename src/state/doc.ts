import { randomUUID } from 'node:crypto';
import { UserError } from '../core/errors.js';
import { ownRecord } from '../core/records.js';
import { stateDocProblem, withOwnResources } from './doc-schema.js';
import { SENSITIVE_MASK, registerSecret } from '../core/secrets.js';
import { STATE_FORMAT_VERSION, type StateDoc, type StateEntry } from './types.js';

/** A fresh, empty state for a stack (and environment). */
export function newStateDoc(stack: string, env?: string): StateDoc {
  const resources = ownRecord<StateEntry>();
  const doc: StateDoc = { formatVersion: STATE_FORMAT_VERSION, lineage: randomUUID(), serial: 0, stack, resources };
  if (env) doc.env = env;
  return doc;
}

/**
 * File base name of a stack's state: `<stack>`, or `<stack>.<env>`. Stack names never hold a dot
 * (`[a-z][a-z0-9_-]*`), so no two (stack, environment) pairs share a file: stack `team` in
 * environment `x` is `team.x`, stack `team-x` is `team-x`.
 */
export function stateBaseName(stack: string, env?: string): string {
  for (const part of [stack, env ?? '']) {
    // Stack and env names become file names: refuse anything that could leave the state directory.
    if (/[/\\\0]/.test(part) || part === '.' || part === '..') throw new Error(`"${part}" cannot be used in a state file name`);
  }
  if (stack.includes('.')) throw new Error(`stack name "${stack}" cannot hold a dot`);
  return env ? `${stack}.${env}` : stack;
}

/** The base name earlier versions gave a stack's state with an environment (`<stack>-<env>`), which the first write moves. */
export function legacyStateBaseName(stack: string, env?: string): string | undefined {
  return env ? `${stack}-${env}` : undefined;
}

/** The owner a state document names, as people read it. */
export function describeStateOwner(doc: Pick<StateDoc, 'stack' | 'env'>): string {
  return `stack "${doc.stack}"${doc.env ? `, environment "${doc.env}"` : ' without environment'}`;
}

/** Whether a state document is the one of this stack and environment. */
export function isStateOf(doc: Pick<StateDoc, 'stack' | 'env'>, stack: string, env?: string): boolean {
  return doc.stack === stack && (doc.env || undefined) === (env || undefined);
}

/**
 * Refuses a state document of another stack or environment: reading it as ours would adopt,
 * change or delete what it records. `where` names the document in the message.
 */
export function checkStateOwner(doc: StateDoc, stack: string, env: string | undefined, where: string): StateDoc {
  if (isStateOf(doc, stack, env)) return doc;
  throw new StateDocError(
    `${where} holds the state of ${describeStateOwner(doc)}, not of ${describeStateOwner({ stack, env })}; refusing to use it (pass the right --env, or another --state)`,
  );
}

/** Sets (or replaces) the entry of an address. Does not bump the serial: writers do, once per write. */
export function setEntry(doc: StateDoc, address: string, entry: StateEntry): void {
  doc.resources[address] = entry;
}

/** Removes an address whose resource stays: its name goes on the forgotten list, so prune leaves it alone. */
export function forgetEntry(doc: StateDoc, address: string): void {
  const name = doc.resources[address]?.name;
  delete doc.resources[address];
  if (name && !doc.forgotten?.includes(name)) doc.forgotten = [...(doc.forgotten ?? []), name];
}

/** The resource named was retired: no entry waits to replace it any more. */
export function settleReplaced(doc: StateDoc, name: string): void {
  for (const [address, e] of Object.entries(doc.resources)) {
    if (e.pending?.replaces !== name) continue;
    // Once the new resource's name is known nothing is pending any more. (Entries are replaced, never edited: see StateStore.)
    const { pending, ...rest } = e;
    const { replaces, ...stillPending } = pending;
    void replaces;
    doc.resources[address] = e.name ? rest : { ...rest, pending: stillPending };
  }
}

export function removeEntry(doc: StateDoc, address: string): boolean {
  if (!Object.hasOwn(doc.resources, address)) return false;
  delete doc.resources[address];
  return true;
}

/** A deep copy, so a document handed to a backend cannot change while it is being written. */
export function cloneDoc(doc: StateDoc): StateDoc {
  return withOwnResources(structuredClone(doc));
}

/** Checks a parsed state file against the state format; throws a one-line message naming the file (and address). */
export function checkStateDoc(raw: unknown, where: string): StateDoc {
  const fail = (why: string): never => {
    throw new StateDocError(`${where}: not a valid vertexctl state file: ${why}; the file was left as it is`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('not a JSON object');
  const version = (raw as Partial<StateDoc>).formatVersion;
  if (typeof version === 'number' && version > STATE_FORMAT_VERSION) {
    throw new StateDocError(`${where}: state format version ${version} is newer than this vertexctl understands (${STATE_FORMAT_VERSION}); upgrade vertexctl`);
  }
  const problem = stateDocProblem(raw);
  if (problem) return fail(problem);
  const doc = withOwnResources(raw as StateDoc);
  // Whatever reads this document next, no output shows the sensitive values it holds.
  registerStateSecrets(doc);
  return doc;
}

/** A state document that cannot be used: reported in one line (a UserError), never as a crash. */
export class StateDocError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'StateDocError';
  }
}

/** Registers the sensitive values a state records, so no output shows them (old values too, which manifests no longer hold). */
export function registerStateSecrets(doc: StateDoc | null): void {
  for (const entry of Object.values(doc?.resources ?? {})) {
    for (const prop of entry.sensitive ?? []) {
      registerSecret(entry.props[prop]);
      registerSecret(entry.outputs[prop]);
    }
  }
}

/** An entry as outputs show it: the values of its sensitive props (in props and outputs) masked. */
export function maskedEntry(entry: StateEntry): StateEntry {
  if (!entry.sensitive?.length) return entry;
  const mask = (values: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, entry.sensitive!.includes(k) ? SENSITIVE_MASK : v]));
  return { ...entry, props: mask(entry.props), outputs: mask(entry.outputs) };
}
