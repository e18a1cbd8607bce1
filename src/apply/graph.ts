import type { Stack } from '../manifest/types.js';

/** The dependency DAG of a stack, for `vertexctl graph`: an edge runs from a resource to what depends on it. */
export interface GraphNode {
  address: string;
  type: string;
  dependsOn: string[];
}

export function stackGraph(stack: Stack): GraphNode[] {
  return stack.resources.map((r) => ({ address: r.address, type: r.type, dependsOn: [...r.dependsOn] }));
}

/** The type without its `google.` prefix, short enough for a node label. */
function shortType(type: string): string {
  return type.replace(/^google\./, '');
}

export function toDot(name: string, nodes: GraphNode[]): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [`digraph ${q(name)} {`, '  rankdir=LR;', '  node [shape=box, style=rounded, fontname="Helvetica"];'];
  for (const n of nodes) lines.push(`  ${q(n.address)} [label=${q(`${n.address}\n${shortType(n.type)}`)}];`);
  for (const n of nodes) for (const d of n.dependsOn) lines.push(`  ${q(d)} -> ${q(n.address)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function toMermaid(nodes: GraphNode[]): string {
  // Mermaid ids must be plain words; labels carry the real addresses.
  const ids = new Map(nodes.map((n, i) => [n.address, `n${i}`]));
  const label = (s: string) => s.replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  for (const n of nodes) lines.push(`  ${ids.get(n.address)}["${label(n.address)}<br/><small>${label(shortType(n.type))}</small>"]`);
  for (const n of nodes) {
    for (const d of n.dependsOn) if (ids.has(d)) lines.push(`  ${ids.get(d)} --> ${ids.get(n.address)}`);
  }
  return `${lines.join('\n')}\n`;
}
