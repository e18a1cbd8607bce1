import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { DRIFT_FORMATS, IGNORE_FILE, IgnoreRules, detectDrift, formatOfFile, renderDrift, summaryLine, type DriftFormat, type IgnoreSource, type StackInput } from '../drift/index.js';
import { writeFileAtomic } from '../files/write-atomic.js';
import { loadStack } from '../manifest/index.js';
import { useColor } from '../plan/index.js';
import { openContext } from './context.js';
import { UserError } from '../core/errors.js';
import { maskSecrets } from '../core/secrets.js';
import { addGlobalOptions, globalOptions } from './options.js';
import { stateBackend } from './run-apply.js';

/**
 * `vertexctl drift PATH…`: where the cloud has wandered from the manifests, read only. Each
 * directory is one stack (the files named together make one more), and one report covers them
 * all. Exit 0 in sync, 2 drift, 1 error.
 */

interface DriftCommandOptions {
  format?: DriftFormat;
  output: string[];
  ignoreFile: string[];
}

function parseFormat(value: string): DriftFormat {
  if (!(DRIFT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${DRIFT_FORMATS.join(', ')}`);
  return value as DriftFormat;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const cmd = program
    .command('drift')
    .description('report where the live resources differ from the manifests (read only)')
    .argument('<paths...>', 'stack directories (one stack each) or manifest files (together one stack)')
    .option('--format <format>', `report format: ${DRIFT_FORMATS.join(', ')} (default: text, or by --output's extension)`, parseFormat)
    .option('--output <file>', 'write the report to this file instead of stdout (repeatable; format by extension: .json .md .html)', collect, [])
    .option('--ignore-file <file>', `more ignore patterns, besides ${IGNORE_FILE} in the current directory and in each stack directory (repeatable)`, collect, []);
  addGlobalOptions(cmd).action(async (paths: string[], opts: DriftCommandOptions, command: Command) => {
    const global = globalOptions(command);
    const groups = await stackPaths(paths);
    await checkIgnoreFiles(opts.ignoreFile);
    const inputs: StackInput[] = [];
    const stackDirs: { dir: string; stack: string }[] = [];
    for (const group of groups) {
      const stack = await loadStack(group.paths, { env: global.env, vars: global.var });
      if (inputs.some((i) => i.stack.name === stack.name)) throw new UserError(`${group.paths.join(' ')}: stack "${stack.name}" is named twice in this run`);
      stackDirs.push({ dir: group.dir, stack: stack.name });
      const backend = stateBackend(global, stack.name, global.env);
      try {
        inputs.push({ stack, stateDoc: await backend.read() });
      } finally {
        await backend.close?.();
      }
    }
    const ignore = await IgnoreRules.read(ignoreSources(stackDirs, opts.ignoreFile));
    const ctx = await openContext(global);
    let report;
    try {
      report = await detectDrift(inputs, { client: ctx.client, ignore });
    } finally {
      await ctx.close();
    }
    const generatedAt = new Date();
    if (opts.output.length === 0) {
      const format = opts.format ?? 'text';
      process.stdout.write(renderDrift(report, format, { color: format === 'text' && useColor(process.stdout), generatedAt }));
    } else {
      for (const file of opts.output) {
        const format = (opts.output.length === 1 ? opts.format : undefined) ?? formatOfFile(file) ?? opts.format ?? 'text';
        // Files do not pass through the terminal's net: what the renderer did not mask is masked here.
        await writeFileAtomic(file, maskSecrets(renderDrift(report, format, { generatedAt }))).catch((err: NodeJS.ErrnoException) => {
          throw new UserError(`--output ${file}: cannot write the report: ${err.code === 'ENOENT' ? 'no such directory' : (err.code ?? err.message)}`);
        });
      }
      process.stdout.write(`${summaryLine(report)}\nWrote the report to ${opts.output.join(', ')}.\n`);
    }
    process.exitCode = report.drifted ? 2 : 0;
  });
}

/** Each directory is a stack of its own; the files named are one stack together. */
interface StackPaths {
  paths: string[];
  /** Where the stack's own ignore file is. */
  dir: string;
}

async function stackPaths(paths: string[]): Promise<StackPaths[]> {
  const dirs: StackPaths[] = [];
  const files: string[] = [];
  for (const p of paths) {
    const isDir = await stat(p).then((s) => s.isDirectory(), () => false);
    if (isDir) dirs.push({ paths: [p], dir: p });
    else files.push(p);
  }
  return files.length ? [...dirs, { paths: files, dir: dirname(files[0]) }] : dirs;
}

async function checkIgnoreFiles(files: string[]): Promise<void> {
  for (const file of files) {
    const ok = await stat(file).then((s) => s.isFile(), () => false);
    if (!ok) throw new UserError(`--ignore-file ${file}: no such file`);
  }
}

/**
 * The ignore files that apply: each stack directory's (to that stack), the current directory's
 * unless it is a stack's, then --ignore-file (to every stack).
 */
function ignoreSources(stackDirs: { dir: string; stack: string }[], extra: string[]): IgnoreSource[] {
  const sources: IgnoreSource[] = [];
  const seen = new Map<string, string | undefined>();
  for (const { dir, stack } of stackDirs) {
    const file = join(resolve(dir), IGNORE_FILE);
    // The files named together as one stack may share a directory with a stack of their own.
    if (seen.has(file)) {
      if (seen.get(file) !== stack) seen.set(file, undefined);
    } else seen.set(file, stack);
  }
  const cwd = join(resolve(process.cwd()), IGNORE_FILE);
  if (!seen.has(cwd)) sources.push({ file: cwd });
  for (const [file, stack] of seen) sources.push({ file, ...(stack !== undefined && { stack }) });
  return [...sources, ...extra.map((file) => ({ file }))];
}
