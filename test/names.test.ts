import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../src/kinds/index.js';
import { parentName, parentOfName, parseResourceName } from '../src/kinds/names.js';

describe('parentOfName', () => {
  // Names built from a kind's own collections, with segments that may be empty, extra or wrong.
  const segment = fc.oneof(fc.constantFrom('', 'projects', 'locations', 'tensorboards', 'experiments', 'runs', 'timeSeries', 'customJobs', 'x'), fc.stringMatching(/^[a-z0-9-]{1,6}$/));
  const nameOf = (kind: (typeof KINDS)[number]) =>
    fc.oneof(
      fc.tuple(...[...kind.parentCollections, kind.collection].map((c) => fc.tuple(fc.oneof(fc.constant(c), segment), segment))).map((pairs) => pairs.flat().join('/')),
      fc.array(segment, { maxLength: 12 }).map((parts) => parts.join('/')),
    );

  it('agrees with splitting the name into the kind\'s ids and building its parent again', () => {
    for (const kind of KINDS) {
      fc.assert(
        fc.property(fc.oneof(nameOf(kind), fc.string({ maxLength: 40 })), (name) => {
          const ids = parseResourceName(kind, name);
          expect(parentOfName(kind, name)).toBe(ids ? parentName(kind, ids) : undefined);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('gives the name up to its last two segments for a name of the kind, and nothing for others', () => {
    const runs = KINDS.find((k) => k.type === 'google.aiplatform.runs')!;
    expect(parentOfName(runs, 'projects/p/locations/l/tensorboards/1/experiments/e/runs/r')).toBe('projects/p/locations/l/tensorboards/1/experiments/e');
    expect(parentOfName(runs, 'projects/p/locations/l/tensorboards/1/experiments/e/runs/')).toBeUndefined();
    expect(parentOfName(runs, 'projects/p/locations/l/tensorboards/1/experiments/e/runs/r/x')).toBeUndefined();
    expect(parentOfName(runs, 'projects/p/locations/l/tensorboards/1/experiment/e/runs/r')).toBeUndefined();
    expect(parentOfName(runs, 'projects//locations/l/tensorboards/1/experiments/e/runs/r')).toBeUndefined();
  });
});
