import { hostname, userInfo } from 'node:os';
import type { LockInfo } from './types.js';

/** Thrown when the state lock is held by someone else after the wait ran out. */
export class LockError extends Error {
  constructor(
    message: string,
    readonly holder?: LockInfo,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

/** The lock holder description of this process, for `StateBackend.lock`. */
export function lockHolder(command: string): Omit<LockInfo, 'id'> {
  let who = 'unknown';
  try {
    who = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep "unknown"
  }
  return { who, host: hostname(), pid: process.pid, command, created: new Date().toISOString() };
}

/** What a run waiting for a lock (`--lock-timeout`) says once, when it starts waiting. */
export function waitingNotice(location: string, holder: LockInfo, timeoutMs: number): string {
  const wait = timeoutMs < 1000 ? `${timeoutMs}ms` : `${Math.round(timeoutMs / 1000)}s`;
  return `State ${location} is locked by ${describeHolder(holder)}; waiting up to ${wait} for it (--lock-timeout).`;
}

export function describeHolder(h: LockInfo): string {
  return `${h.who}@${h.host} (pid ${h.pid}, "${h.command}", since ${h.created}, lock id ${h.id})`;
}

/** Whether a process with this pid exists on this host (EPERM: exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock left by a process that no longer runs on this host: safe to break. */
export function isStale(h: LockInfo): boolean {
  return h.host === hostname() && h.pid !== process.pid && !pidAlive(h.pid);
}
