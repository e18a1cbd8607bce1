import { UserError } from '../core/errors.js';
import { DataSourceError } from '../kinds/time-series-sources.js';
import { dataProps } from '../kinds/virtual-props.js';
import type { DesiredResource, Problem } from '../manifest/types.js';
import type { StateEntry } from '../state/types.js';

/**
 * The planner's side of virtual props (a time series' metric points): each manifest value is
 * checked and prepared by its kind's handler before refresh, so that refresh reads only the live
 * values that may differ from state, and bad data files fail the plan (and `validate`) naming
 * the file and line.
 */

/** Prepared values by address and prop. */
export type PreparedVirtual = Map<string, Record<string, unknown>>;

/**
 * Prepares every virtual data prop of the resources; `recorded`: the state entry of an address.
 * Throws UserError with one problem per bad value.
 */
export async function prepareVirtualProps(
  resources: readonly DesiredResource[],
  recorded: (address: string) => StateEntry | undefined,
): Promise<PreparedVirtual> {
  const prepared: PreparedVirtual = new Map();
  const problems: Problem[] = [];
  // A few at a time: each holds one series' points while it is checked.
  const queue = resources.flatMap((r) => dataProps(r.kind).filter(([p]) => r.props[p] !== undefined).map(([p, h]) => ({ r, p, h })));
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { r, p, h } = job;
      try {
        const value = await h.prepare(r.props[p], { manifestFile: r.file ?? r.pos.file, recorded: recorded(r.address)?.props[p], props: r.props });
        prepared.set(r.address, { ...prepared.get(r.address), [p]: value });
      } catch (err) {
        if (!(err instanceof DataSourceError)) throw err;
        problems.push(dataProblem(r, p, err));
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  if (problems.length) throw new UserError(problems);
  return prepared;
}

/** A data file's problem at its line (or record); a problem of the value itself at the manifest. */
function dataProblem(r: DesiredResource, prop: string, err: DataSourceError): Problem {
  if (err.file !== undefined && err.line !== undefined) return { pos: { file: err.file, line: err.line, col: 1 }, address: r.address, message: err.message };
  if (err.file !== undefined) return { pos: r.positions[prop] ?? r.pos, address: r.address, message: `${err.file}${err.record !== undefined ? `: record ${err.record}` : ''}: ${err.message}` };
  return { pos: r.positions[prop] ?? r.pos, address: r.address, message: err.message };
}
