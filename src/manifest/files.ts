import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Problem } from '../core/errors.js';
import { describeReadError, readManifestFile, type ParsedFile } from './yaml.js';

// Which files make the stack, and reading them.

/** Files named, plus every *.yaml / *.yml (sorted) of directories named. */
export async function expandPaths(paths: readonly string[], problems: Problem[]): Promise<string[]> {
  if (paths.length === 0) problems.push({ message: 'no manifest files given' });
  const out: string[] = [];
  for (const p of paths) {
    try {
      if ((await stat(p)).isDirectory()) {
        const entries = await readdir(p, { withFileTypes: true });
        const names = entries.filter((e) => !e.isDirectory() && /\.ya?ml$/i.test(e.name)).map((e) => e.name).sort();
        if (names.length === 0) problems.push({ message: `${p}: no *.yaml or *.yml files in this directory` });
        out.push(...names.map((n) => join(p, n)));
      } else out.push(p);
    } catch (err) {
      problems.push({ message: `${p}: ${describeReadError(err)}` });
    }
  }
  return [...new Set(out)];
}

/** Reads and parses each file; those that cannot be read or parsed add their problems. */
export async function readManifests(files: readonly string[], problems: Problem[]): Promise<ParsedFile[]> {
  const parsed: ParsedFile[] = [];
  for (const result of await Promise.all(files.map(readManifestFile))) {
    if (result.ok) parsed.push(result.parsed);
    else problems.push(...result.problems);
  }
  return parsed;
}
