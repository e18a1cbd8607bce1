import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/core/errors.js';
import { kindTypes } from '../src/kinds/index.js';
import { loadStack } from '../src/manifest/index.js';
import { parseManifestText } from '../src/manifest/yaml.js';
import { readPlanFile } from '../src/plan/plan-file.js';
import { checkStateDoc, LocalStateBackend, StateDocError } from '../src/state/index.js';

/**
 * Arbitrary input to every reader of user files: the YAML reader, the loader with its
 * validator, the state reader and the plan-file reader. Each answers with its value or with
 * problems (a UserError of one line per problem), never a throw of anything else, never a hang.
 * Bounded in runs and in time, so `npm test` stays fast.
 */

const dir = mkdtempSync(join(tmpdir(), 'vertexctl-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs per property, and a time box for each property and each run. */
const BOUNDS = { numRuns: 150, interruptAfterTimeLimit: 20_000, timeout: 5_000 } as const;
let fileNo = 0;
const scratchFile = (content: string | Uint8Array, ext = 'yaml'): string => {
  const file = join(dir, `f${fileNo++}.${ext}`);
  writeFileSync(file, content);
  return file;
};

/** A refusal is a UserError whose lines each are one problem: no stack, no line break inside. */
function expectProblems(err: unknown): void {
  expect(err, String((err as Error)?.stack ?? err)).toBeInstanceOf(UserError);
  const { problems, message } = err as UserError;
  expect(problems.length).toBeGreaterThan(0);
  expect(message.split('\n')).toHaveLength(problems.length);
  expect(message).not.toMatch(/^\s+at /m);
}

// Text made of YAML's structural pieces: far likelier than random text to reach parser corners.
const yamlPiece = fc.constantFrom(
  '[', ']', '{', '}', '- ', ': ', ',', ' ', '  ', '\n', '\t', '"', "'", '#', '|', '>', '&a ', '*a', '!!str ', '? ', '---\n',
  'version: 1\n', 'name: s\n', 'resources:\n', '  - name: r\n', '    type: google.aiplatform.tensorboards\n', 'props:\n',
  '{{ x }}', '{{ toString }}', '__proto__', '\u202e', '\u0000', 'é', '1e400', '.inf', '0x1F', '~',
);
const yamlText = fc.oneof(fc.string({ unit: yamlPiece, maxLength: 60 }), fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));

// Manifest-shaped values with hostile corners: prototype names, templates, odd numbers and types.
const name = fc.oneof(fc.constantFrom('a', 'b', 'tb', '__proto__', 'toString', 'constructor', 'hasOwnProperty', ''), fc.string({ maxLength: 12 }));
const template = fc.constantFrom('{{ a.name }}', '{{ b.tensorboardsId }}', '{{ x }}', '{{ toString }}', '{{ __proto__ }}', '{{ x | default("d") }}', '{{', '{{ a.b.c[0] }}', 'p\nInjected: yes');
const leaf = fc.oneof(fc.string({ maxLength: 10 }), template, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(99999999999999999999, 1e30, -0, '9223372036854775808'));
const propValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(name, tie('value'), { maxKeys: 3 })),
})).value;
const propName = fc.oneof(fc.constantFrom('projectsId', 'locationsId', 'displayName', 'labels', 'tensorboardsId', 'experimentsId', 'jobSpec', 'dataPoints', '__proto__'), name);
const entry = fc.record(
  { name: propName, value: propValue, values: fc.dictionary(name, fc.record({ value: propValue })), sensitive: fc.boolean() },
  { requiredKeys: ['name'] },
);
const resource = fc.record(
  {
    name,
    type: fc.oneof(fc.constantFrom(...kindTypes()), fc.string({ maxLength: 10 })),
    props: fc.array(entry, { maxLength: 5 }),
    dependsOn: fc.array(name, { maxLength: 2 }),
    ignoreChanges: fc.array(fc.constantFrom('labels', 'displayName', 'a..b', '[0]', 'jobSpec.x'), { maxLength: 2 }),
    protected: fc.oneof(fc.boolean(), leaf),
    deletionPolicy: fc.constantFrom('delete', 'abandon', 'x'),
  },
  { requiredKeys: ['name', 'type'] },
);
const manifest = fc.record(
  {
    version: fc.oneof(fc.constant(1), leaf),
    name: fc.oneof(fc.constant('s'), name),
    globals: fc.array(entry, { maxLength: 3 }),
    resources: fc.oneof(fc.array(resource, { maxLength: 4 }), leaf),
    extra: leaf,
  },
  { requiredKeys: ['version', 'name'] },
);

describe('property: the YAML reader', () => {
  it('answers any text with a value or one-line problems at a position', () => {
    fc.assert(
      fc.property(yamlText, (text) => {
        const result = parseManifestText('f.yaml', text);
        if (result.ok) return;
        expect(result.problems.length).toBeGreaterThan(0);
        for (const p of result.problems) {
          expect(p.pos?.file).toBe('f.yaml');
          expect(p.pos!.line).toBeGreaterThanOrEqual(1);
          expect(p.message.length).toBeGreaterThan(0);
        }
      }),
      BOUNDS,
    );
  });
});

describe('property: the loader and validator', () => {
  it('answers any manifest-shaped document with a stack or one-line problems', async () => {
    await fc.assert(
      fc.asyncProperty(manifest, async (doc) => {
        // JSON is YAML: the document reaches the loader exactly as generated.
        const file = scratchFile(JSON.stringify(doc));
        try {
          const stack = await loadStack([file], { environment: {}, vars: {} });
          expect(stack.resources.length).toBeGreaterThanOrEqual(0);
        } catch (err) {
          expectProblems(err);
        }
      }),
      BOUNDS,
    );
  });

  it('answers any text in a manifest file with a stack or one-line problems', async () => {
    await fc.assert(
      fc.asyncProperty(yamlText, async (text) => {
        try {
          await loadStack([scratchFile(text)], { environment: {} });
        } catch (err) {
          expectProblems(err);
        }
      }),
      BOUNDS,
    );
  });
});

const stateShaped = fc.record(
  {
    formatVersion: fc.oneof(fc.constant(1), leaf),
    lineage: fc.oneof(fc.constant('l'), leaf),
    serial: fc.oneof(fc.nat(), leaf),
    stack: fc.oneof(fc.constant('s'), leaf),
    resources: fc.oneof(
      fc.dictionary(
        name,
        fc.oneof(
          fc.record(
            { type: fc.oneof(fc.constantFrom(...kindTypes()), leaf), name: fc.oneof(fc.string(), leaf), id: fc.oneof(fc.string(), leaf), props: propValue, outputs: propValue, pending: propValue, dependsOn: propValue },
            { requiredKeys: [] },
          ),
          leaf,
        ),
        { maxKeys: 3 },
      ),
      leaf,
    ),
    forgotten: propValue,
  },
  { requiredKeys: [] },
);

describe('property: the state reader', () => {
  it('answers any parsed document with a state or one line naming the file', () => {
    fc.assert(
      fc.property(fc.oneof(stateShaped, fc.anything()), (raw) => {
        try {
          const doc = checkStateDoc(raw, 'state/s.json');
          expect(Object.getPrototypeOf(doc.resources)).toBeNull();
        } catch (err) {
          expect(err).toBeInstanceOf(StateDocError);
          expect((err as Error).message).toMatch(/^state\/s\.json: [^\n]+$/);
        }
      }),
      BOUNDS,
    );
  });

  it('answers any bytes in a state file the same way, and leaves the file as it is', async () => {
    const stateDir = mkdtempSync(join(dir, 'state-'));
    const backend = new LocalStateBackend(stateDir, 's');
    await fc.assert(
      fc.asyncProperty(fc.oneof(stateShaped.map((d) => JSON.stringify(d)), yamlText, fc.json()), async (text) => {
        writeFileSync(backend.location, text);
        try {
          await backend.read();
        } catch (err) {
          expect(err).toBeInstanceOf(StateDocError);
          expect((err as Error).message.startsWith(`${backend.location}: `)).toBe(true);
          expect((err as Error).message).not.toContain('\n');
        }
      }),
      BOUNDS,
    );
  });
});

describe('property: the plan-file reader', () => {
  it('answers any file with a plan or one-line problems', async () => {
    const planShaped = fc.record(
      { kind: fc.oneof(fc.constant('vertexctl-plan'), leaf), formatVersion: fc.oneof(fc.constant(1), leaf), stack: leaf, steps: propValue, state: propValue, fingerprints: propValue },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(planShaped.map((p) => JSON.stringify(p)), yamlText, fc.json()), async (text) => {
        try {
          await readPlanFile(scratchFile(text, 'plan'));
        } catch (err) {
          expectProblems(err);
        }
      }),
      BOUNDS,
    );
  });
});
