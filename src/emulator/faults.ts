import type { FaultProfile } from './options.js';

/** mulberry32: a small, fast PRNG, so a seed always gives the same fault sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type RequestFault = 'none' | '429' | '500' | '503' | 'reset';

/**
 * Decides, per API request, whether to answer with an injected failure. Request faults and
 * failed operations draw from separate streams so enabling one does not shift the other.
 */
export class FaultInjector {
  private profile: FaultProfile | undefined;
  private pathRegex: RegExp | undefined;
  private requestRandom: () => number = Math.random;
  private operationRandom: () => number = Math.random;

  constructor(profile?: FaultProfile) {
    this.configure(profile);
  }

  configure(profile: FaultProfile | undefined): void {
    this.profile = profile;
    this.pathRegex = profile?.pathPattern ? new RegExp(profile.pathPattern) : undefined;
    const seed = profile?.seed ?? 0;
    this.requestRandom = mulberry32(seed);
    this.operationRandom = mulberry32(seed ^ 0x5bd1e995);
  }

  get retryAfterSeconds(): number {
    return this.profile?.retryAfterSeconds ?? 1;
  }

  forRequest(path: string): RequestFault {
    const p = this.profile;
    if (!p) return 'none';
    if (this.pathRegex && !this.pathRegex.test(path)) return 'none';
    const r = this.requestRandom();
    let edge = p.rate429 ?? 0;
    if (r < edge) return '429';
    edge += p.rate500 ?? 0;
    if (r < edge) return '500';
    edge += p.rate503 ?? 0;
    if (r < edge) return '503';
    edge += p.rateReset ?? 0;
    if (r < edge) return 'reset';
    return 'none';
  }

  /** Whether a newly started long-running operation should end with an error. */
  failOperation(): boolean {
    const rate = this.profile?.rateFailedOperation ?? 0;
    return rate > 0 && this.operationRandom() < rate;
  }
}
