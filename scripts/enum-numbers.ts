/**
 * Generates schemas/vendor/enum-numbers.json: the proto numbers of the enums in the vendored
 * discovery documents, for the emulator's `$alt=json;enum-encoding=int` (Google's REST clients
 * send and expect enums as numbers). Discovery documents list enum names in declaration order but
 * not their numbers, which are not always 0, 1, 2… (aiplatform's Scheduling.Strategy is not), so
 * the numbers come from the proto descriptors shipped with @google-cloud/aiplatform.
 *
 *   npx tsx scripts/enum-numbers.ts
 *
 * Keys are the discovery enum's names joined with `|`; values the numbers in the same order.
 * Enums the protos do not have (notebooks v1) are left out: the emulator numbers them in order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../src/core/project-root.js';

type Node = { [k: string]: unknown };

export const ENUM_NUMBERS_FILE = join(PROJECT_ROOT, 'schemas', 'vendor', 'enum-numbers.json');

/** Every enum of the protos: its value names → numbers. */
function protoEnums(): Record<string, number>[] {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@google-cloud/aiplatform/build/protos/protos.json');
  const root = JSON.parse(readFileSync(file, 'utf8')) as Node;
  const out: Record<string, number>[] = [];
  const walk = (node: Node) => {
    if (node.values && typeof node.values === 'object') out.push(node.values as Record<string, number>);
    for (const child of Object.values((node.nested as Record<string, Node> | undefined) ?? {})) walk(child);
  };
  walk(root);
  return out;
}

/** Every `enum` name list in a discovery document (schemas and method parameters). */
function discoveryEnums(doc: unknown, out: string[][] = []): string[][] {
  if (Array.isArray(doc)) {
    for (const v of doc) discoveryEnums(v, out);
  } else if (doc && typeof doc === 'object') {
    const node = doc as Node;
    if (Array.isArray(node.enum) && node.enum.every((v) => typeof v === 'string')) out.push(node.enum as string[]);
    for (const [k, v] of Object.entries(node)) if (k !== 'enum') discoveryEnums(v, out);
  }
  return out;
}

export function buildEnumNumbers(): Record<string, number[]> {
  const protos = protoEnums();
  const table: Record<string, number[]> = {};
  for (const api of ['aiplatform.v1.json', 'notebooks.v1.json']) {
    const doc = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'vendor', api), 'utf8'));
    for (const names of discoveryEnums(doc)) {
      const key = names.join('|');
      if (key in table) continue;
      // A proto enum with exactly these names; all such enums must agree on the numbers.
      const matches = protos.filter((values) => Object.keys(values).length === names.length && names.every((n) => n in values));
      const numbers = matches.map((values) => names.map((n) => values[n]));
      if (numbers.length === 0) continue;
      if (numbers.some((ns) => ns.join() !== numbers[0].join())) throw new Error(`enum ${key}: the protos disagree on its numbers`);
      // Enums numbered 0, 1, 2… in discovery order need no entry.
      if (numbers[0].every((n, i) => n === i)) continue;
      table[key] = numbers[0];
    }
  }
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function renderEnumNumbers(table: Record<string, number[]>): string {
  return `${JSON.stringify(table, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(ENUM_NUMBERS_FILE, renderEnumNumbers(buildEnumNumbers()));
  process.stdout.write(`wrote ${ENUM_NUMBERS_FILE}\n`);
}
