import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { UserError } from '../src/core/errors.js';
import { loadStack, type LoadOptions, type Stack } from '../src/manifest/index.js';

/** Strips the common indentation of a template literal, so YAML can be written indented in tests. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').replace(/\n\s*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Indents every non-empty line by n spaces. */
export function indent(text: string, n: number): string {
  return text.replace(/^(?=.)/gm, ' '.repeat(n));
}

/** Writes files (relative path → text or bytes) into a fresh temp dir and returns it. */
export function writeFiles(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vertexctl-manifest-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** loadStack with no environment variables unless given, so tests do not depend on the machine. */
export function load(paths: string[], opts: LoadOptions & { validate?: boolean } = {}): Promise<Stack> {
  return loadStack(paths, { environment: {}, ...opts });
}

/** The problem lines loadStack reports (it must fail with a UserError, never anything else). */
export async function problemsOf(paths: string[], opts: LoadOptions & { validate?: boolean } = {}): Promise<string[]> {
  const err = await load(paths, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the stack to be rejected').toBeInstanceOf(UserError);
  const lines = (err as UserError).message.split('\n');
  for (const line of lines) expect(line).not.toMatch(/^\s+at /);
  return lines;
}

/** A minimal valid stack file around the given resources YAML (indented as list items under `resources:`). */
export function stackYaml(resources: string, extra = ''): string {
  return `version: 1\nname: test-stack\n${extra}resources:\n${resources}`;
}
