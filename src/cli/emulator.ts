import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { startEmulator, type FaultProfile } from '../emulator/index.js';
import { checkConfig, checkFaultProfile, checkQuotas } from '../emulator/server.js';
import type { JobOutcomeProfile, QuotaSettings } from '../emulator/options.js';
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

/** A flag that takes inline JSON or the path of a JSON file, checked by `check`. */
function jsonFlag<T>(flag: string, check: (value: unknown) => T) {
  return (value: string): T => {
    const text = value.trim().startsWith('{') ? value : existsSync(value) ? readFileSync(value, 'utf8') : undefined;
    if (text === undefined) throw new UserError(`${flag}: "${value}" is neither JSON nor an existing file`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${flag}: invalid JSON: ${(err as Error).message}`);
    }
    try {
      return check(parsed);
    } catch (err) {
      throw new UserError(`${flag}: ${(err as Error).message}`);
    }
  };
}

const faultProfile = jsonFlag<FaultProfile>('--faults', checkFaultProfile);
const quotaSettings = jsonFlag<QuotaSettings>('--quotas', checkQuotas);
const jobOutcomes = jsonFlag<JobOutcomeProfile>('--job-outcomes', (v) => checkConfig({ jobOutcomes: v }).jobOutcomes ?? {});

interface EmulatorFlags {
  port: number;
  data?: string;
  latency?: number;
  jitter?: number;
  operationDelay?: number;
  jobPhase?: number;
  faults?: FaultProfile;
  quotas?: QuotaSettings | true;
  projectIdsInNames?: boolean;
  jobOutcomes?: JobOutcomeProfile;
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
    .option('--faults <json|file>', 'fault profile, e.g. \'{"seed":1,"rate429":0.05,"rate503":0.02}\'', faultProfile)
    .option('--quotas [json|file]', 'enforce per-minute quotas per project and region (Google\'s limits, or e.g. \'{"resourceManagementPerMinute":100}\')', quotaSettings)
    .option('--job-outcomes <json|file>', 'seeded shares of jobs that fail, are preempted or hang, e.g. \'{"seed":1,"failed":0.1,"hung":0.05}\'', jobOutcomes)
    .option('--project-ids-in-names', 'answer aiplatform names with the project id the request used (Google answers with project numbers)')
    .option('--quiet', 'do not log requests on stderr')
    .action(async (flags: EmulatorFlags) => {
      const emulator = await startEmulator({
        port: flags.port,
        dataDir: flags.data,
        latencyMs: flags.latency,
        jitterMs: flags.jitter,
        operationDelayMs: flags.operationDelay,
        jobPhaseMs: flags.jobPhase,
        faults: flags.faults,
        quotas: flags.quotas === true ? {} : flags.quotas,
        projectIdsInNames: flags.projectIdsInNames,
        jobOutcomes: flags.jobOutcomes,
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
