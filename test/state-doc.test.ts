import { describe, expect, it } from 'vitest';
import { ADDRESS_RULE } from '../src/kinds/addresses.js';
import { checkStateDoc, newStateDoc, StateDocError } from '../src/state/index.js';

/** The state format's JSON Schema, checked on every read: one line naming the file and the address. */

const entry = { type: 'google.aiplatform.tensorboards', name: 'projects/p/locations/l/tensorboards/1', id: '1', props: {}, outputs: {} };
const doc = (resources: unknown, extra: Record<string, unknown> = {}): unknown => ({
  formatVersion: 1,
  lineage: 'l-1',
  serial: 3,
  stack: 's',
  resources,
  ...extra,
});

const refusal = (raw: unknown): string => {
  try {
    checkStateDoc(raw, 'state/s.json');
  } catch (err) {
    expect(err).toBeInstanceOf(StateDocError);
    return (err as Error).message;
  }
  throw new Error('expected the state document to be refused');
};

const TAIL = '; the file was left as it is';

describe('state document schema', () => {
  it('accepts what vertexctl writes, fields of later versions too, and keys resources without a prototype', () => {
    const ok = checkStateDoc(doc({ tb: { ...entry, etag: 'e', digests: { x: 1 } } }, { forgotten: ['n'], stackId: 'later' }), 'f');
    expect(Object.getPrototypeOf(ok.resources)).toBeNull();
    expect(ok.resources.tb.id).toBe('1');
    expect('toString' in ok.resources).toBe(false);
    expect(Object.getPrototypeOf(newStateDoc('s').resources)).toBeNull();
  });

  it.each([
    [null, 'not a JSON object'],
    [[], 'not a JSON object'],
    [{ formatVersion: 1 }, 'missing "lineage"'],
    [doc({ tb: null }), 'resource "tb": must be an object'],
    [doc({ tb: { ...entry, name: 42 } }), 'resource "tb": name: must be a string'],
    [doc({ tb: { ...entry, props: null } }), 'resource "tb": props: must be an object'],
    [doc({ tb: { ...entry, outputs: undefined } }), 'resource "tb": missing "outputs"'],
    [doc({ tb: { ...entry, type: 'google.aiplatform.models' } }), 'resource "tb": type: must be one of google.aiplatform.tensorboards, google.aiplatform.experiments, google.aiplatform.runs, google.aiplatform.time_series, google.aiplatform.custom_jobs, google.aiplatform.notebook_execution_jobs, google.notebooks.executions'],
    [doc({ tb: { ...entry, pending: { action: 'explode', startedAt: 'x' } } }), 'resource "tb": pending.action: must be one of create, update, delete, replace'],
    [doc({ tb: { ...entry, dependsOn: 'a' } }), 'resource "tb": dependsOn: must be a list'],
    [JSON.parse('{"formatVersion":1,"lineage":"l","serial":1,"stack":"s","resources":{"__proto__":{}}}'), `resource "__proto__": not a valid address (${ADDRESS_RULE})`],
    [doc({ 'a b': entry }), `resource "a b": not a valid address (${ADDRESS_RULE})`],
    [doc([]), 'resources: must be an object'],
    [doc({}, { serial: -1 }), 'serial: must be >= 0'],
    [doc({}, { formatVersion: 'one' }), 'formatVersion: must be a whole number'],
  ])('refuses %j', (raw, why) => {
    expect(refusal(raw)).toBe(`state/s.json: not a valid vertexctl state file: ${why}${TAIL}`);
  });

  it('names a newer format as such', () => {
    expect(refusal(doc({}, { formatVersion: 2 }))).toBe('state/s.json: state format version 2 is newer than this vertexctl understands (1); upgrade vertexctl');
  });
});
