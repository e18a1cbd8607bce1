import type { Command } from 'commander';
import { parseQuotaSetting, type QuotaRates } from '../api/quota.js';
import { VARIABLE_NAME } from '../manifest/variables.js';

/** Options every command accepts (DESIGN.md, CLI contract: "Global"). */
export interface GlobalOptions {
  endpoint?: string;
  emulator?: boolean;
  state: string;
  env?: string;
  var: Record<string, string>;
  parallelism: number;
  debug?: boolean;
  /** Service account to impersonate with the ADC credentials (Google endpoints only). */
  impersonateServiceAccount?: string;
  /** `--quota KIND=N/min` settings over Google's default request quotas. */
  quota: QuotaRates;
}

function collectVar(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--var expects k=v, got "${value}"`);
  const name = value.slice(0, eq);
  if (!VARIABLE_NAME.test(name)) {
    throw new Error(`--var ${JSON.stringify(name)}: a variable name starts with a letter or _ and holds letters, digits, _ and -`);
  }
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function collectQuota(value: string, previous: QuotaRates = {}): QuotaRates {
  const [kind, rate] = parseQuotaSetting(value);
  return { ...previous, [kind]: rate };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive whole number, got "${value}"`);
  return n;
}

export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .option('--endpoint <url>', 'send every API call to this URL, without credentials (env VERTEXCTL_ENDPOINT)')
    .option('--emulator', 'start the embedded emulator in-process and use it')
    .option('--state <path>', 'state: a directory, postgres://user@host/db[?schema=…] or gs://bucket/prefix (env VERTEXCTL_STATE; default state)')
    .option('--env <name>', 'environment: selects per-environment prop values')
    .option('--var <k=v>', 'set a template variable (repeatable)', collectVar)
    .option('--parallelism <n>', 'API calls / steps in flight', positiveInt, 10)
    .option('--quota <kind=rate>', 'pace API calls under a request quota per project and region, e.g. job-submissions=60/min, resource-management=10/s or tensorboard-writes=off (repeatable; default Google\'s quotas)', collectQuota)
    .option('--debug', 'log every API request (credentials redacted) to stderr')
    .option('--impersonate-service-account <email>', 'call Google as this service account (env VERTEXCTL_IMPERSONATE_SERVICE_ACCOUNT)');
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Partial<GlobalOptions>;
  return {
    endpoint: o.endpoint ?? process.env.VERTEXCTL_ENDPOINT,
    emulator: o.emulator,
    state: o.state ?? (process.env.VERTEXCTL_STATE || 'state'),
    env: o.env,
    var: o.var ?? {},
    parallelism: o.parallelism ?? 10,
    debug: o.debug,
    impersonateServiceAccount: o.impersonateServiceAccount,
    quota: o.quota ?? {},
  };
}
