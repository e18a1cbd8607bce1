import { UserError } from '../cli/errors.js';
import type { Problem, SourcePos } from './types.js';

export interface DagNode {
  address: string;
  dependsOn: string[];
  /** Where the resource was written, for the cycle message. */
  pos?: SourcePos;
}

/**
 * Addresses in dependency order: every resource after all it depends on, otherwise in input
 * order (a depth-first post-order, so output is stable). Edges to addresses not in the list are
 * ignored, which lets callers order a subset. Throws UserError naming each cycle.
 */
export function dependencyOrder(resources: readonly DagNode[]): string[] {
  const problems = findCycles(resources);
  if (problems.length) throw new UserError(problems);
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const emitted = new Set<string>();
  const order: string[] = [];
  for (const root of resources) {
    if (emitted.has(root.address)) continue;
    // Iterative, so a 5,000-long chain does not overflow the call stack. Acyclic, so a node
    // on the work stack is never reached again before it is emitted.
    const work = [{ node: root, next: 0 }];
    while (work.length) {
      const frame = work[work.length - 1];
      if (frame.next < frame.node.dependsOn.length) {
        const dep = byAddress.get(frame.node.dependsOn[frame.next++]);
        if (dep && !emitted.has(dep.address)) work.push({ node: dep, next: 0 });
        continue;
      }
      work.pop();
      if (!emitted.has(frame.node.address)) {
        emitted.add(frame.node.address);
        order.push(frame.node.address);
      }
    }
  }
  return order;
}

/** One problem per strongly connected component that contains a cycle. */
export function findCycles(resources: readonly DagNode[]): Problem[] {
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  // Iterative Tarjan: stacks instead of recursion, so 5,000-deep chains are fine.
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const problems: Problem[] = [];
  let counter = 0;
  for (const root of resources) {
    if (indexOf.has(root.address)) continue;
    const work: { address: string; next: number }[] = [{ address: root.address, next: 0 }];
    indexOf.set(root.address, counter);
    low.set(root.address, counter++);
    stack.push(root.address);
    onStack.add(root.address);
    while (work.length) {
      const frame = work[work.length - 1];
      const deps = byAddress.get(frame.address)!.dependsOn;
      if (frame.next < deps.length) {
        const dep = deps[frame.next++];
        if (!byAddress.has(dep)) continue;
        if (!indexOf.has(dep)) {
          indexOf.set(dep, counter);
          low.set(dep, counter++);
          stack.push(dep);
          onStack.add(dep);
          work.push({ address: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.address, Math.min(low.get(frame.address)!, indexOf.get(dep)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].address;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.address)!));
      }
      if (low.get(frame.address) === indexOf.get(frame.address)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.address);
        const selfLoop = byAddress.get(frame.address)!.dependsOn.includes(frame.address);
        if (component.length > 1 || selfLoop) problems.push(cycleProblem(new Set(component), byAddress));
      }
    }
  }
  return problems;
}

/** Walks dependsOn edges inside one component from its first-written member until it comes back. */
function cycleProblem(component: Set<string>, byAddress: Map<string, DagNode>): Problem {
  const start = [...byAddress.keys()].find((a) => component.has(a))!;
  const path = [start];
  const seen = new Map([[start, 0]]);
  let cur = start;
  for (;;) {
    const next = byAddress.get(cur)!.dependsOn.find((d) => component.has(d))!;
    const at = seen.get(next);
    if (at !== undefined) {
      const cycle = [...path.slice(at), next];
      return { pos: byAddress.get(cycle[0])!.pos, address: cycle[0], message: `reference cycle: ${cycle.join(' -> ')}` };
    }
    seen.set(next, path.length);
    path.push(next);
    cur = next;
  }
}
