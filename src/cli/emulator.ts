import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { FaultProfile, JobOutcomeProfile, QuotaSettings } from '../emulator/options.js';
import { UserError } from '../core/errors.js';

/**
 * `vertexctl emulator`: serve the local Vertex AI + Notebooks emulator on http://127.0.0.1:PORT/
 * until SIGINT/SIGTERM. Prints the URL on stdout; logs each request on stderr unless --quiet.
 */

function wholeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} expects a whole number ≥ 0, got "${value}"`);
    return n;
  };
}

/** A flag that takes inline JSON or the path of a JSON file; checked in the action, once the emulator is loaded. */
function jsonFlag(flag: string) {
  return (value: string): unknown => {
    const text = value.trim().startsWith('{') ? value : existsSync(value) ? readFileSync(value, 'utf8') : undefined;
    if (text === undefined) throw new UserError(`${flag}: "${value}" is neither JSON nor an existing file`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${flag}: invalid JSON: ${(err as Error).message}`);
    }
    return parsed;
  };
}

function checked<T>(flag: string, value: unknown, check: (value: unknown) => T): T | undefined {
  if (value === undefined) return undefined;
  try {
    return check(value);
  } catch (err) {
    throw new UserError(`${flag}: ${(err as Error).message}`);
  }
}

interface EmulatorFlags {
  port: number;
  data?: string;
  latency?: number;
  jitter?: number;
  operationDelay?: number;
  jobPhase?: number;
  faults?: unknown;
  quotas?: unknown;
  projectIdsInNames?: boolean;
  jobOutcomes?: unknown;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('emulator')
    .description('serve a local emulator of the Vertex AI and Notebooks REST APIs on 127.0.0.1')
    .option('--port <n>', 'port to listen on (0 = any free port)', wholeNumber('--port'), 8790)
    .option('--data <dir>', 'keep the emulator state in this directory across restarts')
    .option('--latency <ms>', 'delay every API answer by this long', wholeNumber('--latency'))
    .option('--jitter <ms>', 'add a random delay of up to this long', wholeNumber('--jitter'))
    .option('--operation-delay <ms>', 'long-running operations finish after this long (default 50)', wholeNumber('--operation-delay'))
    .option('--job-phase <ms>', 'time a job spends in each state (default 200)', wholeNumber('--job-phase'))
    .option('--faults <json|file>', 'fault profile, e.g. \'{"seed":1,"rate429":0.05,"rate503":0.02}\'', jsonFlag('--faults'))
    .option('--quotas [json|file]', 'enforce per-minute quotas per project and region (Google\'s limits, or e.g. \'{"resourceManagementPerMinute":100}\')', jsonFlag('--quotas'))
    .option('--job-outcomes <json|file>', 'seeded shares of jobs that fail, are preempted or hang, e.g. \'{"seed":1,"failed":0.1,"hung":0.05}\'', jsonFlag('--job-outcomes'))
    .option('--project-ids-in-names', 'answer aiplatform names with the project id the request used (Google answers with project numbers)')
    .option('--quiet', 'do not log requests on stderr')
    .action(async (flags: EmulatorFlags) => {
      // the emulator is loaded only by the commands that run it
      const { startEmulator } = await import('../emulator/index.js');
      const { checkConfig, checkFaultProfile, checkQuotas } = await import('../emulator/server.js');
      const faults = checked<FaultProfile>('--faults', flags.faults, checkFaultProfile);
      const quotas = flags.quotas === true ? {} : checked<QuotaSettings>('--quotas', flags.quotas, checkQuotas);
      const jobOutcomes = checked<JobOutcomeProfile>('--job-outcomes', flags.jobOutcomes, (v) => checkConfig({ jobOutcomes: v }).jobOutcomes ?? {});
      const emulator = await startEmulator({
        port: flags.port,
        dataDir: flags.data,
        latencyMs: flags.latency,
        jitterMs: flags.jitter,
        operationDelayMs: flags.operationDelay,
        jobPhaseMs: flags.jobPhase,
        faults,
        quotas,
        projectIdsInNames: flags.projectIdsInNames,
        jobOutcomes,
        quiet: flags.quiet ?? false,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new UserError(`port ${flags.port} is already in use (try --port 0)`);
        throw err;
      });
      process.stdout.write(`${emulator.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await emulator.close();
    });
}
