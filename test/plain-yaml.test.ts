import { readFileSync, readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { CORE_SCHEMA, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { readPlainYaml } from '../src/manifest/plain-yaml.js';

/**
 * The one-pass reader of plain YAML must give exactly js-yaml's value (core schema) or nothing,
 * in which case js-yaml and `yaml` read the file as before. Checked on generated documents in
 * every style the reader takes, on line soups of tricky tokens and on mutations of both.
 */

function jsYaml(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: load(text, { schema: CORE_SCHEMA }) };
  } catch {
    return { ok: false };
  }
}

/** Whenever the reader answers, js-yaml reads the text without error and to the same value. */
function expectAgreement(text: string): boolean {
  const plain = readPlainYaml(text);
  if (plain === undefined) return false;
  const full = jsYaml(text);
  expect(full.ok, `js-yaml rejects what the plain reader took:\n${text}`).toBe(true);
  expect(isDeepStrictEqual(plain, full.ok && full.value), `values differ for:\n${text}\nplain: ${JSON.stringify(plain)}\njs-yaml: ${JSON.stringify(full.ok && full.value)}`).toBe(true);
  return true;
}

const BOUNDS = { numRuns: 400, interruptAfterTimeLimit: 20_000 } as const;

// Scalars as written: plain words, every kind of core-schema literal and near misses, quoted forms.
const SCALARS = [
  'run', 'run 1', 'a b  c', 'x:y', 'a#b', 'a,b', 'a[b]', 'a{b}', '-a', '--flag=1', '-1', '+1', '0', '-0', '012', '08', '0x1F', '0o17', '0b101',
  '0x', '1_000', '1e3', '1.5e-3', '.5', '1.', '.inf', '-.Inf', '+.INF', '.NaN', '.nan', '~', 'null', 'Null', 'NULL', 'nul', 'true', 'True',
  'TRUE', 'tRue', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'y', 'n', 't', 'f', 'nan', 'inf', '1:20', '2026-12-02', 'é', '日本', '😀',
  "''", "'a'", "'a''b'", "'it''s #x'", "'{{ a.b }}'", '""', '"a"', '"a b"', '"#x"', '"a\\"b"', '"\\n"', "'a", '"a',
  'us-central1', 'projects/p/locations/l', 'http://x.y/z?q=1', '{{ board.tensorboardsId }}', 'a: b', '- x', '-', '?', ':', ': x',
  '&a x', '*a', '!t x', '|', '>', '%x', '@x', '`x`', '#x', 'a #c', 'a  # c', '__proto__', '<<',
];
const KEYS = [
  'name', 'value', 'type', 'props', 'a', 'b', 'a b', 'a.b', 'a/b', '-k', 'null', 'true', '1', '0x1', '~', '__proto__', '<<', 'constructor',
  "'q'", '"q"', "'a b'", '"1"', "'null'", 'é', 'k:', 'k#', '? k',
];

/** What a reader of plain YAML bails on; the generator writes them now and then. */
const BAILS = /^(["'].*\\|[&*!|>%@`#?:-]( |$)|- |["']$|a: b|a #c|a  # c)|^["'][^"']*$|\\/;
const weighted = (all: string[]) => fc.oneof({ arbitrary: fc.constantFrom(...all.filter((s) => !BAILS.test(s))), weight: 6 }, { arbitrary: fc.constantFrom(...all), weight: 1 });
const scalar = weighted(SCALARS);
// Keys that stay strings (js-yaml turns `1`, `null`, `true` keys into "1", "null", "true"; the reader leaves those to it).
const key = fc.oneof({ arbitrary: fc.constantFrom('name', 'value', 'type', 'props', 'a', 'b', 'a b', 'a.b', 'a/b', '-k', '__proto__', "'q'", '"1"', 'é'), weight: 8 }, { arbitrary: fc.constantFrom(...KEYS), weight: 1 });
const gap = fc.constantFrom(' ', ' ', '  ');

/** Flow collections on one line. */
const flow: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar.filter((s) => !/[,[\]{}]/.test(s)),
    fc.array(tie('node'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc.uniqueArray(fc.tuple(key, tie('node')), { maxLength: 3, selector: ([k]) => k }).map((pairs) => `{ ${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')} }`),
  ),
})).node;

/** A block node at an indentation, in random styles: mappings, sequences (compact or not), comments. */
function block(indent: number, depth: number): fc.Arbitrary<string> {
  const pad = ' '.repeat(indent);
  const inline = fc.oneof(scalar, flow);
  const child = depth <= 0 ? inline.map((v) => ({ inline: v })) : fc.oneof(inline.map((v) => ({ inline: v })), fc.constant({ nested: true }));
  const nested = (extra: number) => (depth <= 0 ? fc.constant('') : block(indent + extra, depth - 1));
  const mapping = fc
    .uniqueArray(fc.tuple(key, gap, child, fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.option(fc.constant(' # c'))), { minLength: 1, maxLength: 4, selector: ([k]) => k })
    .chain((entries) =>
      fc.tuple(...entries.map(([k, g, c, extra, seqHere, comment]) =>
        'inline' in c
          ? fc.constant(`${pad}${k}:${g}${c.inline}${comment ?? ''}\n`)
          : nested(seqHere ? 0 : extra).map((body) => {
              // At the key's own indentation only a sequence is its value; anything else goes deeper.
              const deeper = seqHere && !body.startsWith(`${pad}- `) ? body.replace(/^(?=.)/gm, '  ') : body;
              return `${pad}${k}:${comment ?? ''}\n${deeper}`;
            }),
      )),
    )
    .map((lines) => lines.join(''));
  const sequence = fc
    .array(fc.tuple(child, fc.boolean()), { minLength: 1, maxLength: 4 })
    .chain((items) =>
      fc.tuple(...items.map(([c, compact]) =>
        'inline' in c
          ? fc.constant(`${pad}- ${c.inline}\n`)
          : compact && depth > 0
            ? block(indent + 2, depth - 1).map((body) => `${pad}- ${body.slice(indent + 2)}`)
            : nested(2).map((body) => `${pad}-\n${body}`),
      )),
    )
    .map((lines) => lines.join(''));
  return fc.oneof(mapping, sequence);
}

const documents = fc
  .tuple(block(0, 3), fc.constantFrom('', '# head\n', '\n', 'version: 1\n'))
  .map(([body, head]) => head + body);

const MUTATIONS = [' ', '  ', '\n', '-', ':', '#', "'", '"', '{', '}', '[', ']', ',', 'a', '1', '\t', '\r', '&', '*', '!', '|', '.', '~', '---\n'];
const mutated = (base: fc.Arbitrary<string>) =>
  fc
    .tuple(base, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...MUTATIONS), fc.boolean()), { minLength: 1, maxLength: 3 }))
    .map(([text, edits]) => {
      let out = text;
      for (const [at, piece, remove] of edits) {
        const i = out.length ? at % out.length : 0;
        out = remove ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + piece + out.slice(i);
      }
      return out;
    });

describe('plain YAML reader', () => {
  it('reads generated documents exactly as js-yaml does, or leaves them to it', () => {
    let taken = 0;
    fc.assert(fc.property(documents, (text) => void (expectAgreement(text) && taken++)), BOUNDS);
    // The generator writes mostly plain YAML: the reader must take a good share of it.
    expect(taken).toBeGreaterThan(BOUNDS.numRuns / 10);
  });

  it('agrees with js-yaml on mutated documents', () => {
    fc.assert(fc.property(mutated(documents), (text) => void expectAgreement(text)), BOUNDS);
  });

  it('agrees with js-yaml on soups of tricky lines', () => {
    const line = fc.tuple(fc.constantFrom('', ' ', '  ', '    ', '- ', '  - ', '- - '), fc.option(fc.tuple(key, fc.constantFrom(':', ': ', ':  ', ' :'))), fc.option(fc.oneof(scalar, flow)));
    const soup = fc.array(line, { minLength: 1, maxLength: 8 }).map((lines) => lines.map(([ind, k, v]) => `${ind}${k ? k[0] + k[1] : ''}${v ?? ''}\n`).join(''));
    fc.assert(fc.property(fc.oneof(soup, mutated(soup)), (text) => void expectAgreement(text)), BOUNDS);
  });

  it('takes the manifests of the repository and the speed bench, and gives js-yaml\'s value', () => {
    const dir = new URL('../manifests/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(expectAgreement(readFileSync(new URL(f, dir), 'utf8')), f).toBe(true);
    const runs = Array.from({ length: 50 }, (_, i) =>
      `  - name: run-${i}\n    type: google.aiplatform.runs\n    props:\n      - { name: projectsId, value: p }\n      - { name: tensorboardsId, value: '{{ board.tensorboardsId }}' }\n      - { name: displayName, value: run ${i} }\n`,
    ).join('');
    expect(expectAgreement(`version: 1\nname: speed # a comment\nresources:\n${runs}`)).toBe(true);
  });

  it('leaves to js-yaml what it does not take: anchors, tags, block scalars, escapes, duplicates, CRLF, deep nesting, several documents', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  text\n',
      'a: "x\\ty"\n',
      'a: 1\na: 2\n',
      'a: 1\r\nb: 2\r\n',
      'a:\tb\n',
      '---\na: 1\n',
      'a: 1\n---\nb: 2\n',
      'a: multi\n  line\n',
      'a: { b: 1,\n  c: 2 }\n',
      `a: ${'['.repeat(40)}${']'.repeat(40)}\n`,
      '\ufeffa: 1\n',
      '- a\n- b\n',
      '',
      '# only a comment\n',
    ]) {
      expect(readPlainYaml(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('keeps __proto__ an own key and resolves keys and values as js-yaml does', () => {
    const text = '__proto__: { polluted: 1 }\nn: null\nt: TRUE\ni: 0x1F\nf: -.inf\ns: \'1\'\nk: { "x y": [a, 2, ~] }\n';
    expect(expectAgreement(text)).toBe(true);
    const value = readPlainYaml(text)!;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
