import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/plan/normalize.js';

/** The definition canonicalJson must keep: JSON.stringify of a copy whose keys are sorted. */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortedCopy(v)]),
    );
  }
  return value;
}

describe('canonicalJson', () => {
  it('is JSON.stringify of a key-sorted copy, for any JSON value (with undefined holes)', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.jsonValue(), fc.constant(undefined)),
      node: fc.oneof(
        tie('leaf'),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', '10', '2', 'a"b')), tie('node'), { maxKeys: 5 }),
      ),
    })).node;
    fc.assert(fc.property(value, (v) => {
      expect(canonicalJson(v)).toBe(JSON.stringify(sortedCopy(v)));
    }), { numRuns: 500 });
  });

  it('keeps a __proto__ key as data and orders keys by code unit, integer keys first', () => {
    const v = JSON.parse('{"b":1,"__proto__":{"x":[2,null]},"a":{"é":1,"z":2,"Z":3,"10":0,"2":0}}');
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":[2,null]},"a":{"2":0,"10":0,"Z":3,"z":2,"é":1},"b":1}');
  });
});
