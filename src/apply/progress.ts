import type { Action } from '../plan/types.js';
import type { ApplyEvent, ApplySummary } from './types.js';

/** Draws apply events for people (a live terminal view or plain lines) or for pipelines (JSON lines). */
export interface ProgressRenderer {
  event(e: ApplyEvent): void;
  /** Stops timers; the live view leaves nothing half-drawn. */
  close(): void;
}

export type ProgressMode = 'tty' | 'plain' | 'json';

interface Output {
  write(chunk: string): unknown;
  columns?: number;
  rows?: number;
}

const ING: Record<Action, string> = {
  create: 'creating',
  update: 'updating',
  replace: 'replacing',
  delete: 'deleting',
  record: 'recording',
  adopt: 'adopting',
  'no-op': 'checking',
};

export function progressRenderer(mode: ProgressMode, out: Output, verb = 'Apply'): ProgressRenderer {
  if (mode === 'json') return { event: (e) => void out.write(`${JSON.stringify(e)}\n`), close: () => undefined };
  if (mode === 'plain') return { event: (e) => writeLines(out, plainLines(e, verb)), close: () => undefined };
  return new LiveRenderer(out, verb);
}

function writeLines(out: Output, lines: string[]): void {
  if (lines.length) out.write(`${lines.join('\n')}\n`);
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

/** The lines one event prints outside the live view (the permanent record of the run). */
function plainLines(e: ApplyEvent, verb: string): string[] {
  switch (e.event) {
    case 'apply-start':
      return [];
    case 'step-start':
      return [`${e.address}: ${ING[e.action]}...`];
    case 'step-progress':
      return [`${e.address}: ${e.message}`];
    case 'step-done':
      return [`${e.address}: ${e.result}${e.name ? ` ${e.name}` : ''}${e.also ? ` (with ${e.also.join(', ')})` : ''} [${seconds(e.elapsedMs)}]`];
    case 'step-failed':
      return [`${e.address}: ${e.action} failed: ${e.error}`];
    case 'step-skipped':
      return [`${e.address}: skipped, ${e.reason}`];
    case 'apply-done':
      return summaryLines(e.summary, verb);
  }
}

/** The closing summary: `Apply complete: 3 created, 1 updated, 0 replaced, 1 deleted.` and what failed, and why. */
export function summaryLines(s: ApplySummary, verb = 'Apply'): string[] {
  const counts =
    verb === 'Destroy' ? `${s.deleted} deleted` : `${s.created} created, ${s.updated} updated, ${s.replaced} replaced, ${s.deleted} deleted`;
  const extra = [
    s.cascaded ? `${s.cascaded} more deleted with ${s.cascaded === 1 ? 'its parent' : 'their parents'}` : '',
    s.adopted ? `${s.adopted} adopted` : '',
    s.recorded ? `${s.recorded} recorded` : '',
    s.forgotten ? `${s.forgotten} removed from state only` : '',
    s.waited ? `${s.waited} ${s.waited === 1 ? 'job' : 'jobs'} waited for` : '',
  ].filter(Boolean);
  const tail = extra.length ? `; ${extra.join(', ')}` : '';
  const ok = s.failed.length === 0 && s.skipped.length === 0 && s.notStarted.length === 0;
  if (ok) return [`${verb} complete: ${counts}${tail}.`];
  const problems = [
    s.failed.length ? `${s.failed.length} failed` : '',
    s.skipped.length ? `${s.skipped.length} skipped` : '',
    s.notStarted.length ? `${s.notStarted.length} not started` : '',
  ].filter(Boolean);
  const head = s.failed.length ? `${verb} failed` : `${verb} interrupted`;
  return [
    `${head}: ${counts}${tail}; ${problems.join(', ')}.`,
    ...s.failed.map((f) => `  ${f.address}: ${f.error}`),
    ...(s.skipped.length ? [`  skipped: ${s.skipped.map((k) => k.address).join(', ')}`] : []),
    ...(s.notStarted.length ? [`  not started: ${s.notStarted.join(', ')}`] : []),
    `Finished steps are recorded in state; run ${verb.toLowerCase()} again to finish.`,
  ];
}

interface Live {
  action: Action;
  started: number;
  message?: string;
}

/**
 * The terminal view: finished events scroll by as plain lines; below them, one live line per
 * step in flight with its elapsed time, redrawn every second.
 */
class LiveRenderer implements ProgressRenderer {
  private readonly inFlight = new Map<string, Live>();
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly out: Output,
    private readonly verb: string,
  ) {
    this.timer = setInterval(() => this.redraw([]), 1000);
    this.timer.unref();
  }

  event(e: ApplyEvent): void {
    switch (e.event) {
      case 'step-start':
        this.inFlight.set(e.address, { action: e.action, started: Date.parse(e.time) });
        return this.redraw([]);
      case 'step-progress': {
        const live = this.inFlight.get(e.address);
        if (live) live.message = e.message;
        return this.redraw(live ? [] : plainLines(e, this.verb));
      }
      case 'step-done':
      case 'step-failed':
        this.inFlight.delete(e.address);
        return this.redraw(plainLines(e, this.verb));
      default:
        return this.redraw(plainLines(e, this.verb));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.inFlight.clear();
    this.redraw([]);
  }

  private redraw(permanent: string[]): void {
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const maxLive = Math.max(1, (this.out.rows || 24) - 2);
    const entries = [...this.inFlight.entries()];
    const now = Date.now();
    const live = entries.slice(0, maxLive).map(([address, l]) => {
      const line = `  ${address}: ${ING[l.action]}... ${seconds(now - l.started)}${l.message ? ` (${l.message})` : ''}`;
      return line.length > width ? `${line.slice(0, width - 1)}…` : line;
    });
    if (entries.length > maxLive) live[live.length - 1] = `  ... and ${entries.length - maxLive + 1} more in flight`;
    // Move up over the previous live block and clear it, then print the new lines.
    let text = this.drawn ? `\x1b[${this.drawn}F\x1b[J` : '';
    for (const line of [...permanent, ...live]) text += `${line}\n`;
    this.drawn = live.length;
    if (text) this.out.write(text);
  }
}
