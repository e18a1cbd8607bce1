import { describe, expect, it } from 'vitest';
import { UserError } from '../src/core/errors.js';
import { IgnoreRules } from '../src/drift/index.js';

/** `.vertexctlignore` patterns: what each kind of pattern matches, stack scoping, and `!`. */

const board = { address: 'training', type: 'google.aiplatform.tensorboards', name: 'projects/p/locations/us-central1/tensorboards/123', stack: 'vision' };
const other = { ...board, stack: 'search', name: 'projects/p/locations/us-central1/tensorboards/456' };
const unmanaged = { address: null, type: 'google.aiplatform.tensorboards', name: 'projects/p/locations/us-central1/tensorboards/789', stack: null };

describe('IgnoreRules', () => {
  it('reads addresses, stack/address, types and resource names apart', () => {
    const rules = (text: string) => IgnoreRules.parse(text, '.vertexctlignore');
    expect(rules('train*').ignoresResource(board)).toBe(true);
    expect(rules('vision/training').ignoresResource(board)).toBe(true);
    expect(rules('vision/training').ignoresResource(other)).toBe(false);
    expect(rules('*/training').ignoresResource(board)).toBe(false); // a glob before the slash: a resource name
    expect(rules('google.aiplatform.tensorboards').ignoresResource(unmanaged)).toBe(true);
    expect(rules('projects/p/locations/*/tensorboards/123').ignoresResource(board)).toBe(true);
    expect(rules('projects/**/tensorboards/7*').ignoresResource(unmanaged)).toBe(true);
    expect(rules('projects/*/tensorboards/123').ignoresResource(board)).toBe(false); // `*` stays in one segment
  });

  it('field paths cover the fields below them; the last matching line wins', () => {
    const rules = IgnoreRules.parse('training:labels\n!training:labels.team\n*:jobSpec.**.imageUri\n', 'f');
    expect(rules.ignoresField(board, 'labels.owner')).toBe(true);
    expect(rules.ignoresField(board, 'labels.team')).toBe(false);
    expect(rules.ignoresField(board, 'labelsX')).toBe(false);
    expect(rules.ignoresField(board, 'jobSpec.workerPoolSpecs[0].containerSpec.imageUri')).toBe(true);
    expect(rules.ignoresResource(board)).toBe(false);
  });

  it("a stack directory's rules cover that stack and the unmanaged resources, not other stacks", () => {
    const rules = IgnoreRules.parse('training\nprojects/**\n', 'vision/.vertexctlignore', 'vision');
    expect(rules.ignoresResource(board)).toBe(true);
    expect(rules.ignoresResource(other)).toBe(false);
    expect(rules.ignoresResource(unmanaged)).toBe(true);
  });

  it('names each bad line with file:line:col', () => {
    expect(() => IgnoreRules.parse('ok\n  :x\nbad pattern\n', 'dir/.vertexctlignore')).toThrow(UserError);
    try {
      IgnoreRules.parse('ok\n  :x\nbad pattern\n', 'dir/.vertexctlignore');
    } catch (err) {
      expect((err as Error).message.split('\n')).toEqual([
        'dir/.vertexctlignore:2:3: ":x": nothing before ":" (write "*:x" for every resource)',
        'dir/.vertexctlignore:3:1: "bad pattern": a pattern has no spaces (one pattern per line)',
      ]);
    }
  });
});
