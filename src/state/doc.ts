import { randomUUID } from 'node:crypto';
import { STATE_FORMAT_VERSION, type StateDoc, type StateEntry } from './types.js';

/** A fresh, empty state for a stack (and environment). */
export function newStateDoc(stack: string, env?: string): StateDoc {
  const doc: StateDoc = { formatVersion: STATE_FORMAT_VERSION, lineage: randomUUID(), serial: 0, stack, resources: {} };
  if (env) doc.env = env;
  return doc;
}

/** File base name of a stack's state: `<stack>` or `<stack>-<env>`. */
export function stateBaseName(stack: string, env?: string): string {
  for (const part of [stack, env ?? '']) {
    // Stack and env names become file names: refuse anything that could leave the state directory.
    if (/[/\\\0]/.test(part) || part === '.' || part === '..') throw new Error(`"${part}" cannot be used in a state file name`);
  }
  return env ? `${stack}-${env}` : stack;
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

export function removeEntry(doc: StateDoc, address: string): boolean {
  if (!(address in doc.resources)) return false;
  delete doc.resources[address];
  return true;
}

/** A deep copy, so a document handed to a backend cannot change while it is being written. */
export function cloneDoc(doc: StateDoc): StateDoc {
  return structuredClone(doc);
}

/** Checks a parsed state file; throws a one-line message naming the file on anything unexpected. */
export function checkStateDoc(raw: unknown, where: string): StateDoc {
  const fail = (why: string): never => {
    throw new Error(`${where}: not a vertexctl state file (${why})`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('not a JSON object');
  const d = raw as Partial<StateDoc>;
  if (typeof d.formatVersion !== 'number') return fail('no formatVersion');
  if (d.formatVersion > STATE_FORMAT_VERSION) {
    throw new Error(`${where}: state format version ${d.formatVersion} is newer than this vertexctl understands (${STATE_FORMAT_VERSION}); upgrade vertexctl`);
  }
  if (typeof d.lineage !== 'string' || typeof d.serial !== 'number' || typeof d.stack !== 'string') {
    return fail('lineage, serial or stack missing');
  }
  if (!d.resources || typeof d.resources !== 'object') return fail('no resources');
  return d as StateDoc;
}
