#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './commands.js';
import { reportError } from './failure.js';
import { VERSION } from '../core/project-root.js';
import { hasSecrets, maskSecrets } from '../core/secrets.js';

/** Exit codes: 0 ok, 1 error, 2 "changes"/"drift" where a command says so. */
async function main(argv: string[]): Promise<number> {
  const program = new Command('vertexctl')
    .description('Declarative reconciler for Google Vertex AI resources')
    .version(VERSION)
    // Options of the program itself (--version) only before the command: `state show --version N` is the command's.
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let holdingCommands = 0;
  try {
    holdingCommands = await registerCommands(program, argv.slice(2));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  } finally {
    // Database connections of state backends, or an emulator started for gs:// state, would keep
    // the process alive (`--version` and `validate` open neither).
    if (holdingCommands > 0) {
      const [{ closeOpenBackends }, { closeEmbeddedEmulator }] = await Promise.all([import('../state/index.js'), import('./context.js')]);
      await closeOpenBackends();
      await closeEmbeddedEmulator();
    }
  }
}

// The metadata-server probe of google-auth-library warns when there is no metadata server; the
// missing credentials are already reported in one line.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === 'MetadataLookupWarning') return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// The net under every output: values of sensitive props never reach the terminal or a log,
// whichever way they came (an API error quoting one, a job's error, --debug lines).
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!hasSecrets()) return write(chunk, ...rest);
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    return write(maskSecrets(text), ...rest);
  }) as typeof stream.write;
}

// A reader that goes away (`vertexctl plan | head`) must not crash a run that is changing things:
// later output is dropped, the work goes on.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportError(err);
  },
);
