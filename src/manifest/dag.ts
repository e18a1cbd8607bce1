import { UserError } from '../core/errors.js';
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
  const byAddress = new Map<string, DagNode>();
  for (let i = 0; i < resources.length; i++) byAddress.set(resources[i].address, resources[i]);
  // Nodes by number and edges as numbers: the walk then looks nothing up by address. Indexed
  // loops, as they run per resource before V8 has optimised them.
  const nodes = [...byAddress.values()];
  const numberOf = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) numberOf.set(nodes[i].address, i);
  // Edges that all point back, to a node listed earlier, close no cycle (that order is then a
  // topological one): most stacks list what is referenced before what refers to it, and are
  // checked in this one pass.
  if (onlyBackEdges(nodes, numberOf)) return [];
  const edges: number[][] = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const out: number[] = [];
    const deps = nodes[i].dependsOn;
    for (let k = 0; k < deps.length; k++) {
      const j = numberOf.get(deps[k]);
      if (j !== undefined) out.push(j);
    }
    edges[i] = out;
  }
  // Iterative Tarjan: stacks instead of recursion, so 5,000-deep chains are fine.
  const index = new Int32Array(nodes.length).fill(-1);
  const low = new Int32Array(nodes.length);
  const onStack = new Uint8Array(nodes.length);
  const stack: number[] = [];
  const problems: Problem[] = [];
  let counter = 0;
  for (let root = 0; root < nodes.length; root++) {
    if (index[root] !== -1) continue;
    // The walk's frames: a node and the next of its edges to follow.
    const workNode = [root];
    const workNext = [0];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (workNode.length) {
      const top = workNode.length - 1;
      const v = workNode[top];
      if (workNext[top] < edges[v].length) {
        const w = edges[v][workNext[top]++];
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          workNode.push(w);
          workNext.push(0);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v], index[w]);
        }
        continue;
      }
      workNode.pop();
      workNext.pop();
      if (workNode.length) {
        const parent = workNode[workNode.length - 1];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        const component: string[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          component.push(nodes[member].address);
        } while (member !== v);
        const selfLoop = edges[v].includes(v);
        if (component.length > 1 || selfLoop) problems.push(cycleProblem(new Set(component), byAddress));
      }
    }
  }
  return problems;
}

/** Whether every edge goes from a node to one numbered lower (edges leaving the list aside). */
function onlyBackEdges(nodes: readonly DagNode[], numberOf: ReadonlyMap<string, number>): boolean {
  for (let i = 0; i < nodes.length; i++) {
    const deps = nodes[i].dependsOn;
    for (let k = 0; k < deps.length; k++) if ((numberOf.get(deps[k]) ?? -1) >= i) return false;
  }
  return true;
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
