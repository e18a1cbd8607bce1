import type { Command } from 'commander';
import { readPlanFile, renderPlanText, toPlanJson, useColor } from '../plan/index.js';
import { commandHint } from './hints.js';

/**
 * `vertexctl show PLANFILE [--json]`: a saved plan, rendered from the very steps `apply PLANFILE`
 * would execute (the file is checked as strictly as apply checks it).
 */
export function register(program: Command): void {
  program
    .command('show')
    .description('print a saved plan (from `plan --out`), as apply would carry it out')
    .argument('<planfile>', 'a plan file')
    .option('--json', 'write only the plan JSON to stdout')
    .action(async (file: string, opts: { json?: boolean }) => {
      const plan = await readPlanFile(file);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(toPlanJson(plan), null, 2)}\n`);
        return;
      }
      const where = plan.target.emulator ? 'the embedded emulator' : (plan.target.endpoint ?? "Google's endpoints");
      const env = plan.env !== undefined ? `, environment "${plan.env}"` : '';
      process.stdout.write(`Plan for stack "${plan.stack}"${env}, made ${plan.createdAt}, for ${where} with the state at ${plan.target.state}.\n\n`);
      process.stdout.write(renderPlanText(plan, { color: useColor(process.stdout) }));
      if (plan.steps.some((s) => s.action !== 'no-op')) process.stdout.write(`\nApply it with: ${commandHint(['apply', file])}\n`);
    });
}
