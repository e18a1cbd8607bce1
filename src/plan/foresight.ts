import { bodyFromProps } from '../kinds/body.js';
import type { DesiredResource } from '../manifest/types.js';
import type { StateEntry } from '../state/types.js';
import { classifyChanges, diffBody, type Classified } from './diff.js';
import { fingerprint } from './fingerprint.js';
import type { LiveResource } from './refresh.js';

/**
 * Work the planner can start before refresh is done. While the last list pages are on their way,
 * the item an address's name names is hashed and compared with the props refresh resolved for it
 * (refresh's `foresee`). The planner takes such a result only when its inputs turned out to be the
 * same ones (that item was matched, the props resolved alike, the same prior); otherwise it works
 * the answer out afresh. Both are pure functions of their inputs: nothing is decided early.
 */
export class Foresight {
  private readonly comparisons = new Map<string, Comparison>();
  /** Fingerprints by live body: a body is the item refresh listed, never changed while a plan is made. */
  private readonly prints = new Map<object, string>();

  /** Works out early what `compare` and `fingerprint` will be asked about this address. */
  foresee(r: DesiredResource, props: Record<string, unknown>, prior: StateEntry | undefined, live: Pick<LiveResource, 'kind' | 'name' | 'body'>): void {
    try {
      this.fingerprint(live);
      this.comparisons.set(r.address, { body: live.body, props, prior, classified: compareWithLive(r, props, prior, live.body) });
    } catch {
      // A look ahead never fails a plan: the planner meets the same input again and reports it then.
    }
  }

  /** The changes from live to desired: as foreseen when the inputs are those, else worked out now (once per address). */
  compare(r: DesiredResource, props: Record<string, unknown>, prior: StateEntry | undefined, body: Record<string, unknown>): Classified {
    const early = this.comparisons.get(r.address);
    if (early) this.comparisons.delete(r.address);
    if (early && early.body === body && early.props === props && early.prior === prior) return early.classified;
    return compareWithLive(r, props, prior, body);
  }

  fingerprint(live: Pick<LiveResource, 'kind' | 'name' | 'body'> | null | undefined): string {
    if (!live) return fingerprint(live);
    let print = this.prints.get(live.body);
    if (print === undefined) this.prints.set(live.body, (print = fingerprint(live)));
    return print;
  }
}

interface Comparison {
  body: object;
  props: object;
  prior: StateEntry | undefined;
  classified: Classified;
}

/**
 * The changes that bring a live resource to its desired props: compared with the live body, or
 * for kinds whose live body is not compared (jobs: it carries server defaults and state) with
 * what was last submitted.
 */
function compareWithLive(r: DesiredResource, props: Record<string, unknown>, applied: StateEntry | undefined, body: Record<string, unknown>): Classified {
  const kind = r.kind;
  const prior = applied ? bodyFromProps(kind, applied.props) : undefined;
  return classifyChanges(
    kind,
    diffBody({ kind, desired: bodyFromProps(kind, props), prior, base: kind.patch === 'none' && prior ? prior : body, ignoreChanges: r.ignoreChanges, sensitive: r.sensitive }),
  );
}
